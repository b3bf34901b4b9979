"""Creating and dispatching an order through the API stays a fixed, small number of SQL statements:
the speed of `bench/workorders.py` rests on it (docs/performance.md). A change that adds a query per
creation fails here first."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)

# customer, duplicates, number, then one INSERT each for the order, its timers, its timeline events and its
# audit events — nothing per timer or event. The token is remembered by the process for a few seconds; a
# registered TMF621 listener adds one INSERT into the hub's outbox.
CREATE_AND_DISPATCH_STATEMENTS = 7


def _create(api, msisdn):
    return api.post(
        "/api/v1/workorders",
        {
            "category": "complaint-billing",
            "title": "话费异常",
            "description": "本月多扣 30 元，请核实",
            "channel": "hotline",
            "msisdn": msisdn,
            "confirm_duplicate": True,
            "transition": "submit",
        },
    )


def _statements(queries):
    return [q["sql"] for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]


def test_create_and_dispatch_is_a_bounded_number_of_statements(api, staff, xian_customer, baoji_customer, clock):
    api.login(staff["agent.xian"])
    assert _create(api, xian_customer.msisdn).status_code == 201  # warm the per-process caches
    with CaptureQueriesContext(connection) as second:
        response = _create(api, xian_customer.msisdn)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["step"] == "dispatch" and body["customer"]["msisdn"] == "139****0001"
    statements = _statements(second.captured_queries)
    assert len(statements) <= CREATE_AND_DISPATCH_STATEMENTS, "\n".join(statements)

    # the count does not grow with what the customer already has (ten earlier orders: duplicates listed)
    for _ in range(8):
        _create(api, xian_customer.msisdn)
    with CaptureQueriesContext(connection) as later:
        assert _create(api, xian_customer.msisdn).status_code == 201
    assert len(_statements(later.captured_queries)) == len(statements)
    assert WorkOrder.objects.filter(customer=xian_customer).count() == 11
