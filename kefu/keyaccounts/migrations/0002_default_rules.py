"""The seed's rules as version 1 of the `personal` rule set, published, so grading works from the start."""

from django.db import migrations


def seed(apps, schema_editor):
    from kefu.keyaccounts.seed import ensure_default_rules

    ensure_default_rules(apps)


class Migration(migrations.Migration):
    dependencies = [("keyaccounts", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
