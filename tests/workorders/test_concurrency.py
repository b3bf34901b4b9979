"""Two handlers acting on the same step at once: exactly one succeeds, the other gets the current state.

Real concurrent transactions need row locks: PostgreSQL only (SQLite serialises writers anyway).
"""

import threading

import pytest
from django.db import connection

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.models import User
from kefu.workorders import services
from kefu.workorders.models import EventKind, WorkOrder

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]


def _race(action, usernames):
    """Run `action(user)` for each username in its own thread and connection, released together."""
    barrier = threading.Barrier(len(usernames))
    outcomes = {}

    def run(username):
        try:
            user = User.objects.get(username=username)
            barrier.wait(timeout=10)
            outcomes[username] = action(user)
        except DomainError as exc:
            outcomes[username] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in usernames]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_handlers_transition_the_same_step_at_once(complaint, staff):
    services.transition(staff["agent.xian"], complaint.number, "submit", version=complaint.version)
    version = WorkOrder.objects.get(pk=complaint.pk).version

    outcomes = _race(
        lambda user: services.transition(user, complaint.number, "dispatch", version=version),
        ["backoffice.xian", "backoffice2.xian"],
    )
    winners = [name for name, result in outcomes.items() if isinstance(result, WorkOrder)]
    losers = [result for result in outcomes.values() if isinstance(result, DomainError)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].code == ErrorCode.CONFLICT
    assert losers[0].extra["current"]["version"] == version + 1
    assert losers[0].extra["current"]["step"] == "handle"
    order = WorkOrder.objects.get(pk=complaint.pk)
    assert order.step == "handle" and order.version == version + 1
    assert order.events.filter(kind=EventKind.TRANSITION, data__transition="dispatch").count() == 1


def test_two_claims_at_once_one_wins(complaint, staff):
    services.transition(staff["agent.xian"], complaint.number, "submit", version=complaint.version)
    outcomes = _race(
        # each claims with the version it read: whoever comes second finds it changed or claimed
        lambda user: services.claim(user, complaint.number, version=WorkOrder.objects.get(pk=complaint.pk).version),
        ["backoffice.xian", "backoffice2.xian"],
    )
    winners = [name for name, result in outcomes.items() if isinstance(result, WorkOrder)]
    assert len(winners) == 1
    loser = next(r for r in outcomes.values() if isinstance(r, DomainError))
    assert loser.code == ErrorCode.CONFLICT
    assert WorkOrder.objects.get(pk=complaint.pk).handler.username == winners[0]
