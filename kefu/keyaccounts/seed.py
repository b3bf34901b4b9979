"""Version 1 of the `personal` rule set: the seed's defaults, published, so grading works from the start.

Run by the 0002 migration and after every migrate (a flushed test database gets it back, like roles)."""

from django.utils import timezone


def ensure_default_rules(apps) -> None:
    from kefu.core.parameters import SPECS
    from kefu.keyaccounts.rules import default_rules, parse_rules

    RuleSet = apps.get_model("keyaccounts", "RuleSet")
    RuleVersion = apps.get_model("keyaccounts", "RuleVersion")
    ruleset, _ = RuleSet.objects.get_or_create(code="personal", defaults={"name": "Personal key accounts"})
    if RuleVersion.objects.filter(ruleset=ruleset).exists():
        return
    rules = default_rules(
        SPECS["keyaccounts.tier_thresholds_yuan"].default,
        SPECS["keyaccounts.vip_min_avg_spend_yuan"].default,
        SPECS["customers.good_credit_level"].default,
    )
    RuleVersion.objects.create(
        ruleset=ruleset,
        number=1,
        status="published",
        rules=parse_rules(rules).as_json(),
        note="Defaults of the key-account service specification",
        published_at=timezone.now(),
    )


def after_migrate(sender=None, **kwargs) -> None:
    from django.apps import apps

    ensure_default_rules(apps)
