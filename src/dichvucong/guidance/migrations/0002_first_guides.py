from django.db import migrations


def seed(apps, schema_editor):
    from dichvucong.guidance.seed import seed as seed_guides

    seed_guides(apps.get_model("guidance", "Guide"), apps.get_model("guidance", "GuideRevision"))


class Migration(migrations.Migration):
    """The first guides (guidance/seed.py)."""

    dependencies = [("guidance", "0001_guidance")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
