"""Bearer tokens are remembered per process for a few seconds (kefu.core.services.user_for_token): a revoked
token or a deactivated user must still stop working within TOKEN_CACHE_SECONDS, and at once when the change
is made in the same process."""

import datetime as dt

import pytest
from django.db import connection

from kefu.core import cache
from kefu.core.models import ApiToken, User
from kefu.core.services import TOKEN_CACHE_SECONDS


class Clock:
    """Stands in for the `time` module of kefu.core.cache, so a test can let seconds pass."""

    def __init__(self):
        import time

        self.now = time.monotonic()

    def monotonic(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(cache, "time", fake)
    return fake


def _profile(api, subscriber):
    return api.get(f"/api/v1/customers/{subscriber.msisdn}/360")


def test_the_cache_lasts_a_few_seconds_at_most():
    assert 0 < TOKEN_CACHE_SECONDS <= 5


def test_a_user_deactivated_elsewhere_is_refused_within_seconds(api, agent_xian, make_subscriber, clock):
    customer = make_subscriber()
    api.login(agent_xian)
    assert _profile(api, customer).status_code == 200
    # another worker process deactivates the account: no signal reaches this process
    User.objects.filter(pk=agent_xian.pk).update(is_active=False)
    clock.now += TOKEN_CACHE_SECONDS + 0.1
    refused = _profile(api, customer)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"


def test_a_token_revoked_elsewhere_is_refused_within_seconds(api, agent_xian, make_subscriber, clock):
    customer = make_subscriber()
    api.login(agent_xian)
    assert _profile(api, customer).status_code == 200
    with connection.cursor() as cursor:  # as another process would: no signal here
        cursor.execute(f"DELETE FROM {ApiToken._meta.db_table}")  # noqa: S608 - our table
    clock.now += TOKEN_CACHE_SECONDS + 0.1
    assert _profile(api, customer).status_code == 401


def test_changes_made_in_this_process_apply_at_once(api, agent_xian, make_subscriber):
    customer = make_subscriber()
    api.login(agent_xian)
    assert _profile(api, customer).status_code == 200
    agent_xian.is_active = False
    agent_xian.save()
    assert _profile(api, customer).status_code == 401

    agent_xian.is_active = True
    agent_xian.save()
    api.login(agent_xian)
    assert _profile(api, customer).status_code == 200
    ApiToken.objects.filter(user=agent_xian).delete()
    assert _profile(api, customer).status_code == 401


def test_an_expired_token_is_refused_even_while_remembered(api, agent_xian, make_subscriber, monkeypatch):
    customer = make_subscriber()
    api.login(agent_xian)
    assert _profile(api, customer).status_code == 200
    token = ApiToken.objects.get(user=agent_xian)
    later = token.expires_at + dt.timedelta(seconds=1)
    monkeypatch.setattr("kefu.core.services.timezone.now", lambda: later)
    assert _profile(api, customer).status_code == 401


def test_an_unknown_token_is_refused(api, agent_xian, make_subscriber):
    customer = make_subscriber()
    api.token = "not-a-token"
    assert _profile(api, customer).status_code == 401
