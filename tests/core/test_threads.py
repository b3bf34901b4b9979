"""kefu.core.threads: the server's synchronous threads keep their database connection from one request to
the next (no connection opened, or taken from a pool, per request), still obey CONN_MAX_AGE, and code in
them that calls async_to_sync reaches the server's event loop."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, connections

from kefu.core import threads
from tests.core.test_http_handler import call

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def one_thread(monkeypatch):
    """The process's threads, reduced to one so that every call lands on it; its connection closed after."""
    executor = ThreadPoolExecutor(max_workers=1)
    monkeypatch.setattr(threads, "_executor", executor)
    yield
    asyncio.run(_run(connections.close_all))
    executor.shutdown()


async def _run(fn, *args):
    return await threads.run(fn, *args)


def _connection_identity():
    connection.ensure_connection()
    return connection.connection


@pytest.fixture
def closable():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("Django never closes an in-memory SQLite database")


def test_requests_on_a_thread_share_its_connection(monkeypatch, one_thread):
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 600)
    first = asyncio.run(_run(_connection_identity))
    status, _, _ = call("GET", "/health/")  # a whole request: request_started … request_finished
    assert status == 200
    assert asyncio.run(_run(_connection_identity)) is first
    # and the test's own thread has another connection: a thread's connection is its own
    assert _connection_identity() is not first


def test_a_connection_past_its_age_is_dropped_at_the_end_of_a_request(monkeypatch, closable, one_thread):
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    call("GET", "/health/")
    assert asyncio.run(_run(lambda: connection.connection)) is None


def test_async_to_sync_in_a_thread_runs_on_the_callers_loop(one_thread):
    async def where():
        return asyncio.get_running_loop()

    async def scenario():
        loop = asyncio.get_running_loop()
        return loop, await threads.run(async_to_sync(where))

    caller, used = asyncio.run(scenario())
    assert used is caller


def test_database_call_drops_a_broken_connection_before_the_next(monkeypatch, closable, one_thread):
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 600)

    def broken():
        connection.ensure_connection()
        connection.errors_occurred = True
        connection.close_at = 0  # past its age too: dropped whatever the backend says of its health
        return connection.connection

    async def scenario():
        before = await threads.database_call(broken)
        return before, await threads.database_call(_connection_identity)

    before, after = asyncio.run(scenario())
    assert before is not after and before.closed
