"""The default commission rules of the payments issue; staff change them in admin."""

from datetime import UTC, datetime

from django.db import migrations

DEFAULTS = {"shop_sale": 500, "affiliate_commission": 1000, "sponsorship": 1000, "bonus": 0}
SINCE = datetime(2020, 1, 1, tzinfo=UTC)


def seed(apps, schema_editor):
    rule = apps.get_model("payments", "CommissionRule")
    for source, rate_bps in DEFAULTS.items():
        rule.objects.get_or_create(
            source=source, country="", effective_from=SINCE,
            defaults={"rate_bps": rate_bps, "note": "Platform default"},
        )


def unseed(apps, schema_editor):
    apps.get_model("payments", "CommissionRule").objects.filter(effective_from=SINCE, country="").delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_payments_flow")]
    operations = [migrations.RunPython(seed, unseed)]
