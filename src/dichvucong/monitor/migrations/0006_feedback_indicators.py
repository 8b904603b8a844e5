from django.db import migrations


def seed(apps, schema_editor):
    from dichvucong.monitor.seed import seed_feedback

    seed_feedback(apps.get_model("monitor", "Indicator"))


def unseed(apps, schema_editor):
    from dichvucong.monitor.seed import FEEDBACK_FROM

    apps.get_model("monitor", "Indicator").objects.filter(
        code__in=("5.1", "5.2"), effective_from=FEEDBACK_FROM).delete()


class Migration(migrations.Migration):
    """Decision 766 indicators 5.1 and 5.2 (feedback) become measured."""

    dependencies = [("monitor", "0005_sync_rate_indicator"), ("feedback", "0001_feedback")]

    operations = [migrations.RunPython(seed, unseed)]
