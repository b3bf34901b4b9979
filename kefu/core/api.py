"""API authentication (bearer token or the page session) and the token login endpoint."""

from django.http import HttpResponse
from ninja import Router, Schema
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, SessionAuth

from kefu.core import services


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        user = services.user_for_token(token)
        if user is not None:
            request.user = user
        return user


class PageSessionAuth(SessionAuth):
    """The logged-in page session; unsafe methods must carry the CSRF token."""


API_AUTH = [BearerAuth(), PageSessionAuth()]


class Utf8JSONRenderer(JSONRenderer):
    """UTF-8 text, not \\u escapes: names stay readable, and TM Forum conformance kits look for them verbatim."""

    json_dumps_params = {"ensure_ascii": False}


RENDERER = Utf8JSONRenderer()  # the API's (kefu.api)


def answer(request, data: dict) -> HttpResponse:
    """`data` as the API's JSON answer (200), rendered as every other one, without ninja first validating a plain
    `dict[str, Any]` (which copies the whole answer): for the screen pop, the hottest endpoint."""
    content = RENDERER.render(request, data, response_status=200)
    return HttpResponse(content, content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}")


router = Router(tags=["auth"])


class TokenRequest(Schema):
    username: str
    password: str


class TokenResponse(Schema):
    token: str


class Problem(Schema):
    code: str
    detail: str
    field: str | None = None


@router.post("/token", auth=None, response={200: TokenResponse, 401: Problem, 423: Problem})
def token(request, credentials: TokenRequest):
    """Exchange a username and password for a bearer token (`Authorization: Bearer <token>`)."""
    user = services.login(credentials.username, credentials.password)
    return {"token": services.issue_token(user)}
