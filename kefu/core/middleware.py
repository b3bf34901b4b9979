import json
from typing import Any

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError, ErrorCode

API_PREFIXES = ("/api/", "/tmf-api/")

_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 500: "error"}


class JsonApiErrorsMiddleware:
    """Every API error is JSON: answers that Django or ninja produce outside the API's own handlers
    (an unknown path, a method the path does not take, a server error) are rewritten as problem details."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(API_PREFIXES)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            body = {"code": _CODES.get(response.status_code, "error"), "detail": _problem_text(response.status_code)}
            if response.status_code == 405 and response.has_header("Allow"):
                body["allowed"] = response["Allow"]
            rewritten = HttpResponse(
                json.dumps(body, ensure_ascii=False), status=response.status_code, content_type="application/json"
            )
            if response.has_header("Allow"):
                rewritten["Allow"] = response["Allow"]
            return rewritten
        return response


class LazyMessageMiddleware(MessageMiddleware):
    """Django's messages, with the storage made when a message is first added or read: making it (a cookie
    signer, a session storage) cost 0.05–0.09 ms of every API call, which never shows one."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)


def _problem_text(status: int) -> str:
    if status == 404:
        return _("Not found.")
    if status == 405:
        return _("This method is not allowed here.")
    if status >= 500:
        return _("The server failed; the error has been logged.")
    return _("The request was refused.")


NUL = "\x00"
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class RefuseNulTextMiddleware:
    """Text with a NUL character is refused before any view reads it: PostgreSQL text cannot hold one (the query
    would fail with a server error) and no field of Kefu needs one. The API answers 422 naming the parameter or
    field (in the TMF shape under /tmf-api/), a page 400 with the reason; nothing is read or changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = nul_field(request)
        if field is None:
            return self.get_response(request)
        from kefu.core.tmf_api import TmfError

        message = _("Text cannot contain NUL characters.")
        if request.path.startswith(API_PREFIXES):
            error_class = TmfError if request.path.startswith("/tmf-api/") else DomainError
            error = error_class(ErrorCode.INVALID, message, field=field)
            return HttpResponse(
                json.dumps(error.as_problem(), ensure_ascii=False), status=error.status, content_type="application/json"
            )
        return render(request, "core/bad_request.html", {"message": message, "field": field}, status=400)


def nul_field(request) -> str | None:
    """The first part of the request carrying a NUL character: "path", a query parameter, a form field or a
    JSON member (dotted path), or None."""
    if NUL in request.path:
        return _path_parameter(request.path_info)
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in v for v in values):
            return name
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    if request.content_type == "application/json":
        # JSON can carry a NUL only escaped: most bodies are passed without being parsed a second time
        if b"\\u0000" not in request.body:
            return None
        try:
            return _in_json(json.loads(request.body or b"null"), "")
        except ValueError:
            return None  # not JSON: the API's own validation says so
    if request.content_type in _FORM_TYPES:
        for name, values in request.POST.lists():
            if NUL in name or any(NUL in v for v in values):
                return name
    return None


def _path_parameter(path: str) -> str:
    """The name of the URL parameter holding the NUL character (`code` of /groups/<code>/), else "path"."""
    try:
        match = resolve(path)
    except Resolver404:
        return "path"
    return next((name for name, value in match.kwargs.items() if NUL in str(value)), "path")


def _in_json(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path or "body" if NUL in value else None
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
