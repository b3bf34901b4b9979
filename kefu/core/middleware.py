import json

from django.http import HttpResponse
from django.utils.translation import gettext as _

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


def _problem_text(status: int) -> str:
    if status == 404:
        return _("Not found.")
    if status == 405:
        return _("This method is not allowed here.")
    if status >= 500:
        return _("The server failed; the error has been logged.")
    return _("The request was refused.")
