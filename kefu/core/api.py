"""API authentication (bearer token or the page session) and the token login endpoint."""

from ninja import Router, Schema
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
