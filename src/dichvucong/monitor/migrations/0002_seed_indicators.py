from django.db import migrations


def seed(apps, schema_editor):
    from dichvucong.monitor.seed import seed as seed_rows

    seed_rows(apps.get_model("monitor", "Indicator"))


class Migration(migrations.Migration):
    dependencies = [("monitor", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
