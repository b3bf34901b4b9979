"""Choice labels (`get_FOO_display`, kefu.core.models.ChoiceLabels) are looked up from a map built once per
field, but still read in the caller's language, on models and through the customer 360 API."""

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_labels_follow_the_language_of_each_call(make_subscriber):
    subscriber = make_subscriber(vip_tier="gold", status="active")
    with translation.override("zh-hans"):
        chinese = subscriber.get_vip_tier_display(), subscriber.get_status_display()
    with translation.override("en"):
        english = subscriber.get_vip_tier_display(), subscriber.get_status_display()
    assert chinese == ("金卡", "正常") and english == ("Gold card", "Active")


def test_a_value_outside_the_choices_shows_as_it_is(make_subscriber):
    subscriber = make_subscriber()
    subscriber.brand = "retired-brand"
    assert subscriber.get_brand_display() == "retired-brand"


def test_the_360_api_answers_labels_in_the_asked_language(client, api, agent_xian, make_subscriber):
    subscriber = make_subscriber(vip_tier="gold")
    bearer = f"Bearer {api.login(agent_xian).token}"
    path = f"/api/v1/customers/{subscriber.msisdn}/360"
    english = client.get(path, HTTP_AUTHORIZATION=bearer, HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get(path, HTTP_AUTHORIZATION=bearer, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert english.json()["profile"]["vip_tier_label"] == "Gold card"
    assert chinese.json()["profile"]["vip_tier_label"] == "金卡"
    assert english["Content-Type"] == "application/json; charset=utf-8"
