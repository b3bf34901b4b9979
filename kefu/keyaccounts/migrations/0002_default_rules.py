"""The seed's rules as version 1 of the `personal` rule set, published, so grading works from the start."""

from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
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
    now = timezone.now()
    RuleVersion.objects.create(
        ruleset=ruleset,
        number=1,
        status="published",
        rules=parse_rules(rules).as_json(),
        note="Defaults of the key-account service specification",
        published_at=now,
    )


class Migration(migrations.Migration):
    dependencies = [("keyaccounts", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
