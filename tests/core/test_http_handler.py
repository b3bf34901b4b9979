"""`kefu serve` answers HTTP through kefu.core.http_handler (Django's synchronous stack, one thread-pool
call per request): the same answers as the test client gets — JSON API with its errors, masking, the
access log, pages with sessions and CSRF — from the ASGI application the server runs."""

import asyncio
import json

import pytest

from kefu.core.models import AccessLog
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _connections_end_with_their_request(monkeypatch):
    """As under `kefu serve` (a pool, or no persistent connections): the handler's threads keep none open."""
    from django.db import connections

    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


def call(method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict, bytes]:
    from kefu.asgi import application

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path.split("?")[0],
        "raw_path": path.encode(),
        "query_string": path.partition("?")[2].encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    chunks = [{"type": "http.request", "body": body[:5], "more_body": True}, {"type": "http.request", "body": body[5:]}]
    sent = []

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(application(scope, receive, send))
    start = sent[0]
    assert start["type"] == "http.response.start"
    response_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, b"".join(m.get("body", b"") for m in sent[1:])


def test_api_answers_through_the_server_application(agent_xian, make_subscriber):
    customer = make_subscriber(bills=2)
    status, _, body = call(
        "POST",
        "/api/v1/auth/token",
        json.dumps({"username": "agent.xian", "password": PASSWORD}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 200, body
    token = json.loads(body)["token"]

    status, headers, body = call(
        "GET", f"/api/v1/customers/{customer.msisdn}/360", headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 200 and headers["content-type"].startswith("application/json")
    profile = json.loads(body)["profile"]
    assert profile["msisdn"] == f"{customer.msisdn[:3]}****{customer.msisdn[-4:]}"
    assert AccessLog.objects.filter(user=agent_xian, object_id=str(customer.pk), action="view").count() == 1

    status, headers, body = call("GET", "/api/v1/no-such-thing", headers={"Authorization": f"Bearer {token}"})
    assert status == 404 and json.loads(body)["code"] == "not_found"
    status, _, body = call("GET", f"/api/v1/customers/{customer.msisdn}/360")
    assert status == 401 and json.loads(body)["code"] == "unauthenticated"
    status, _, body = call("GET", "/api/v1/customers?q=139&limit=500", headers={"Authorization": f"Bearer {token}"})
    assert status == 422


def test_pages_keep_sessions_and_csrf(agent_xian):
    status, headers, body = call("GET", "/login/")
    assert status == 200 and "csrftoken=" in headers.get("set-cookie", "")
    status, _, _ = call(
        "POST",
        "/login/",
        b"username=agent.xian&password=Kefu-test-2026",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 403  # no CSRF token: refused, as under any server
