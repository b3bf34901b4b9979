"""`kefu demo`: the logins it prints work, and running it again does not double anything."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from kefu.contact.models import Contact
from kefu.core.errors import DomainError
from kefu.core.models import User
from kefu.core.services import login
from kefu.customers.models import Bill, Subscriber
from tests.demo.conftest import AS_OF

LOGINS = ("agent.xian", "agent.baoji", "manager.baoji", "leader.xian", "admin")


def _demo(**options) -> str:
    out = io.StringIO()
    call_command(
        "demo",
        subscribers=200,
        seed=7,
        password="Kefu-demo-7",
        as_of=AS_OF,
        stdout=out,
        stderr=io.StringIO(),
        **options,
    )
    return out.getvalue()


def test_demo_prints_logins_that_work(db):
    output = _demo()
    for username in LOGINS:
        assert username in output
        assert login(username, "Kefu-demo-7").username == username
    assert "Kefu-demo-7" in output
    assert "宝鸡市" in output  # the region column
    with pytest.raises(DomainError):
        login("agent.xian", "kefu2026")
    # every role in every city, plus the administrator
    assert User.objects.filter(username__regex=r"^[a-z]+\.[a-z]+$").count() == 7 * 10
    assert User.objects.get(username="manager.baoji").groups.filter(name="manager").exists()


def test_running_demo_again_replaces_the_customers(db):
    _demo()
    counts = (Subscriber.objects.count(), Bill.objects.count(), Contact.objects.count(), User.objects.count())
    first = list(Subscriber.objects.order_by("id").values_list("msisdn", "name", "vip_tier"))
    _demo()
    assert (Subscriber.objects.count(), Bill.objects.count(), Contact.objects.count(), User.objects.count()) == counts
    assert list(Subscriber.objects.order_by("id").values_list("msisdn", "name", "vip_tier")) == first
    assert counts[0] == 200


def test_demo_refuses_a_non_positive_size(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("demo", "--subscribers", "0", stdout=io.StringIO())
