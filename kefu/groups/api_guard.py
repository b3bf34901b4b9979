"""One guard for every router of the area: text with a NUL character is refused before it reaches a query.

PostgreSQL cannot hold NUL in text (psycopg raises, the request would answer 500) and no field of the area
needs one, so a path parameter, query parameter, form field or JSON string (or key) carrying one answers 422
naming it, through the API's DomainError handler, and nothing is read or changed.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from django.utils.translation import gettext as _

from kefu.core.errors import DomainError, ErrorCode

NUL = "\x00"


def _in_json(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return name
            found = _in_json(item, name)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _in_json(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def nul_field(request, path_params: dict) -> str | None:
    """The first parameter or field carrying a NUL character, or None."""
    for name, value in path_params.items():
        if isinstance(value, str) and NUL in value:
            return name
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in v for v in values):
            return name
    if request.method in ("POST", "PUT", "PATCH"):
        if request.content_type == "application/json":
            try:
                return _in_json(json.loads(request.body or b"null"), "")
            except ValueError:
                return None  # not JSON: the API's own validation says so
        if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            for name, values in request.POST.lists():
                if NUL in name or any(NUL in v for v in values):
                    return name
    return None


def refuse_nul_text(run):
    """A ninja view decorator (`router.add_decorator(refuse_nul_text, mode="view")`)."""

    @functools.wraps(run)
    def guarded(request, *args, **kwargs):
        name = nul_field(request, kwargs)
        if name is not None:
            error = DomainError(ErrorCode.INVALID, _("Text cannot contain NUL characters."), field=name)
            from kefu.api import api  # the root API's DomainError handler answers it

            return api.on_exception(request, error)
        return run(request, *args, **kwargs)

    return guarded
