"""KA-1: a rule version is JSON validated by a schema; one that does not parse or leaves a tier unreachable
is refused with the reason naming the field, and nothing is written."""

from __future__ import annotations

import copy

import pytest
from django.utils import translation

from kefu.core.errors import DomainError
from kefu.keyaccounts.models import RuleVersion, VersionStatus
from kefu.keyaccounts.rules import EngineParams, default_rules, parse_rules
from kefu.keyaccounts.services import parameter_defaults

DEFAULTS = default_rules({"diamond": 1000, "gold": 500, "silver": 300, "high_value": 150}, 150, 3)


def refused(rules) -> DomainError:
    with pytest.raises(DomainError) as caught:
        parse_rules(rules)
    assert caught.value.status == 422
    return caught.value


def test_the_seed_defaults_parse_into_fen_thresholds():
    params = EngineParams.from_rules(parse_rules(DEFAULTS))
    assert params.tiers == (("diamond", 100000), ("gold", 50000), ("silver", 30000), ("high_value", 15000))
    assert params.qualify_fen == 15000 and params.good_credit_level == 3 and params.require_contract


def test_thresholds_not_strictly_decreasing_name_the_unreachable_tier():
    rules = copy.deepcopy(DEFAULTS)
    rules["tiers"]["gold"] = 1000
    with translation.override("en"):
        error = refused(rules)
    assert error.field == "rules.tiers.gold"
    assert "1000.00" in error.message and "no spend reaches" in error.message


def test_a_qualification_minimum_above_a_tier_leaves_the_tier_below_it_unreachable():
    rules = copy.deepcopy(DEFAULTS)
    rules["qualification"]["min_avg_spend_yuan"] = 320
    error = refused(rules)
    assert error.field == "rules.qualification.min_avg_spend_yuan"
    with translation.override("en"):
        error = refused(rules)
    assert "Silver card threshold (300.00 yuan)" in error.message and "Personal high value" in error.message


def test_a_document_that_does_not_parse_names_the_field():
    rules = copy.deepcopy(DEFAULTS)
    rules["tiers"]["silver"] = "three hundred"
    assert refused(rules).field == "rules.tiers.silver"
    rules = copy.deepcopy(DEFAULTS)
    rules["tiers"]["platinum"] = 2000
    assert refused(rules).field == "rules.tiers.platinum"
    rules = copy.deepcopy(DEFAULTS)
    del rules["qualification"]["good_credit_level"]
    assert refused(rules).field == "rules.qualification.good_credit_level"
    rules = copy.deepcopy(DEFAULTS)
    rules["tiers"]["gold"] = 500.001
    assert refused(rules).field == "rules.tiers.gold"
    assert refused([1, 2]).field == "rules"


def test_a_credit_rule_set_that_never_gives_good_credit_is_refused():
    rules = copy.deepcopy(DEFAULTS)
    rules["credit"] = {"rules": [{"level": 2, "max_late_months": 0}], "default_level": 1}
    assert refused(rules).field == "rules.qualification.good_credit_level"
    rules["credit"] = {"rules": [{"level": 3}, {"level": 4}], "default_level": 1}
    assert refused(rules).field == "rules.credit.rules.1.level"


def test_the_default_version_comes_from_the_parameters(db, admin_user):
    from kefu.core.services import set_parameter

    set_parameter(
        admin_user, "keyaccounts.tier_thresholds_yuan", {"diamond": 1200, "gold": 600, "silver": 300, "high_value": 150}
    )
    assert parse_rules(parameter_defaults()).tiers.diamond == 1200


def test_the_api_refuses_a_bad_version_with_the_field_and_writes_nothing(api, admin_user):
    before = RuleVersion.objects.count()
    rules = copy.deepcopy(DEFAULTS)
    rules["tiers"]["high_value"] = 300
    response = api.login(admin_user).post("/api/v1/keyaccounts/rulesets/personal/versions", {"rules": rules})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "rules.tiers.high_value" and body["code"] == "invalid"
    assert body["errors"][0]["field"] == "rules.tiers.high_value"
    assert RuleVersion.objects.count() == before


def test_the_seed_version_is_published(db):
    published = RuleVersion.objects.get(ruleset__code="personal", status=VersionStatus.PUBLISHED)
    assert published.number == 1
    assert parse_rules(published.rules).tiers.gold == 500


def test_the_schema_is_served_for_editors(api, admin_user):
    schema = api.login(admin_user).get("/api/v1/keyaccounts/rules/schema").json()
    assert set(schema["properties"]) >= {"qualification", "tiers", "credit", "points", "discounts", "potential"}
