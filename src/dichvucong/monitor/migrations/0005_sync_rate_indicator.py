from django.db import migrations


def seed(apps, schema_editor):
    from dichvucong.monitor.seed import seed_sync

    seed_sync(apps.get_model("monitor", "Indicator"))


def unseed(apps, schema_editor):
    from dichvucong.monitor.seed import SYNC_FROM

    apps.get_model("monitor", "Indicator").objects.filter(
        code="1.4", effective_from=SYNC_FROM).delete()


class Migration(migrations.Migration):
    """Decision 766 indicator 1.4 (sync rate with the national portal) becomes measured."""

    dependencies = [("monitor", "0004_agency_monthly_facts"), ("nationalsync", "0002_intake")]

    operations = [migrations.RunPython(seed, unseed)]
