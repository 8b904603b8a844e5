from django.db import migrations, models


def skip_earlier_files(apps, schema_editor):
    # Files stored before the worker read papers are never read (no pipeline entry owes it):
    # marked so, or the pages would say they are being read for ever.
    apps.get_model("dossiers", "Attachment").objects.update(reading={"status": "skipped"})


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0010_walk_in_callers'),
    ]

    operations = [
        migrations.AddField(
            model_name='attachment',
            name='reading',
            field=models.JSONField(blank=True, default=None, null=True),
        ),
        migrations.RunPython(skip_earlier_files, migrations.RunPython.noop),
    ]
