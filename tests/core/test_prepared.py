"""kefu.core.prepared: a queryset compiled once per shape answers every later call with that call's values,
as the ORM would — never with another call's rows, never across data scopes."""

import datetime as dt

import pytest

from kefu.core import prepared
from kefu.customers import services as customers
from kefu.customers.models import Bill, Subscriber

pytestmark = pytest.mark.django_db


def test_each_call_gets_its_own_rows(make_subscriber):
    first, second = make_subscriber(bills=3), make_subscriber(bills=1)

    def bills(pk):
        return Bill.objects.filter(subscriber_id=pk).select_related("subscriber").order_by("-month")

    assert [b.pk for b in prepared.fetch("t.bills", bills, first.pk)] == [b.pk for b in bills(first.pk)]
    again = prepared.fetch("t.bills", bills, second.pk)
    assert [b.pk for b in again] == [b.pk for b in bills(second.pk)] and len(again) == 1
    assert again[0].subscriber.msisdn == second.msisdn  # select_related, as the ORM fills it
    assert again[0].month == dt.date(2026, 10, 1)  # the database's value conversions
    assert prepared.fetch("t.bills", bills, 10**9) == []


def test_a_scope_never_answers_for_another(agent_xian, agent_baoji, admin_user, make_subscriber):
    xian, baoji = make_subscriber(region="xian-yanta"), make_subscriber(region="baoji-weibin")
    assert customers.get_on_net(agent_xian, xian.msisdn).pk == xian.pk
    for user, foreign in ((agent_xian, baoji), (agent_baoji, xian)):
        with pytest.raises(customers.NotFound):
            customers.get_on_net(user, foreign.msisdn)
    assert customers.get_on_net(agent_baoji, baoji.msisdn).pk == baoji.pk
    assert {customers.get_on_net(admin_user, s.msisdn).pk for s in (xian, baoji)} == {xian.pk, baoji.pk}


def test_values_and_dates(make_subscriber):
    sub = make_subscriber(bills=4)

    def months(pk, since):
        return Bill.objects.filter(subscriber_id=pk, month__gte=since).values("month", "total_fen").order_by("month")

    for since in (dt.date(2026, 9, 1), dt.date(2026, 8, 1)):
        assert prepared.fetch("t.months", months, sub.pk, since) == list(months(sub.pk, since))
    assert len(prepared.fetch("t.months", months, sub.pk, dt.date(2026, 8, 1))) == 3


def test_what_cannot_be_prepared_runs_through_the_orm(make_subscriber):
    sub = make_subscriber()
    since = sub.updated_at - dt.timedelta(minutes=1)  # a datetime: the ORM adapts it per database

    def changed(moment):
        return Subscriber.objects.filter(updated_at__gte=moment)

    assert [s.pk for s in prepared.fetch("t.changed", changed, since)] == [sub.pk]
    assert prepared.fetch("t.changed", changed, sub.updated_at + dt.timedelta(minutes=1)) == []


def test_insert_writes_each_call_s_row_as_save_would(agent_xian, admin_user):
    from django.utils import timezone

    from kefu.core.models import AccessLog

    before = timezone.now()
    prepared.insert(AccessLog, user=agent_xian, action="view", object_type="t", object_id="1")
    prepared.insert(AccessLog, user=admin_user, action="unmask", object_type="t", object_id="2", channel="api")
    rows = list(AccessLog.objects.filter(object_type="t").order_by("object_id"))
    assert [(r.user, r.action, r.object_id, r.channel) for r in rows] == [
        (agent_xian, "view", "1", "web"),  # a field not given takes its default
        (admin_user, "unmask", "2", "api"),
    ]
    assert all(before <= r.at <= timezone.now() for r in rows)  # auto_now_add, as save() sets it
    with pytest.raises(TypeError):
        prepared.insert(AccessLog, user=agent_xian, no_such_field=1)
