"""On PostgreSQL, a GIN index on the DataStore records: ``datastore_search`` filters then use
jsonb containment (``data @> {...}``) instead of reading every record of the table."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE INDEX IF NOT EXISTS opendata_row_data_gin "
                              "ON opendata_row USING gin (data jsonb_path_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS opendata_row_data_gin")


class Migration(migrations.Migration):
    dependencies = [("opendata", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
