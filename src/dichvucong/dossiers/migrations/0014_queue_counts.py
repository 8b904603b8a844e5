"""The back office's queue counts kept by the database (``dossiers/queuecounts.py``): triggers
on the dossiers' table insert a change (+1, −1) of (agency, state, step role) into
``dossiers_queuecount`` in the writer's transaction, whatever path wrote the dossier; then the
counts of the dossiers already there. Drafts are not counted (no queue shows them, and a
citizen's draft is saved often)."""

from django.db import migrations, models

TABLE = "dossiers_queuecount"
COLUMNS = f"INSERT INTO {TABLE} (agency_id, state, step_role, n)"

# PostgreSQL: an insert or delete statement writes one row per key it changed (a bulk
# generator's million rows are a few hundred changes); an update runs the function only for
# the rows whose key changed (the WHEN clause), not for every save of a dossier.
POSTGRESQL = [
    f"""CREATE FUNCTION dossiers_queuecount_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        {COLUMNS} SELECT agency_id, state, step_role, COUNT(*) FROM queue_new
          WHERE state <> 'draft' GROUP BY agency_id, state, step_role;
      ELSE
        {COLUMNS} SELECT agency_id, state, step_role, -COUNT(*) FROM queue_old
          WHERE state <> 'draft' GROUP BY agency_id, state, step_role;
      END IF;
      RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION dossiers_queuecount_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.state <> 'draft' THEN
        {COLUMNS} VALUES (OLD.agency_id, OLD.state, OLD.step_role, -1);
      END IF;
      IF NEW.state <> 'draft' THEN
        {COLUMNS} VALUES (NEW.agency_id, NEW.state, NEW.step_role, 1);
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER dossiers_queuecount_insert AFTER INSERT ON dossiers_dossier
       REFERENCING NEW TABLE AS queue_new FOR EACH STATEMENT
       EXECUTE FUNCTION dossiers_queuecount_rows()""",
    """CREATE TRIGGER dossiers_queuecount_delete AFTER DELETE ON dossiers_dossier
       REFERENCING OLD TABLE AS queue_old FOR EACH STATEMENT
       EXECUTE FUNCTION dossiers_queuecount_rows()""",
    """CREATE TRIGGER dossiers_queuecount_update AFTER UPDATE ON dossiers_dossier
       FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state
                          OR OLD.agency_id IS DISTINCT FROM NEW.agency_id
                          OR OLD.step_role IS DISTINCT FROM NEW.step_role)
       EXECUTE FUNCTION dossiers_queuecount_row()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS dossiers_queuecount_insert ON dossiers_dossier",
    "DROP TRIGGER IF EXISTS dossiers_queuecount_delete ON dossiers_dossier",
    "DROP TRIGGER IF EXISTS dossiers_queuecount_update ON dossiers_dossier",
    "DROP FUNCTION IF EXISTS dossiers_queuecount_rows()",
    "DROP FUNCTION IF EXISTS dossiers_queuecount_row()",
]

# SQLite: row triggers. A delete counts only while some count is kept: Django's flush (the
# tests' TransactionTestCase) deletes the tables one by one in no set order, and the counts'
# table emptied before the dossiers' must not be left with their −1s. A dossier counted keeps a
# row of its key (its sum is at least 1), so the table is never empty while one exists.
SQLITE = [
    f"""CREATE TRIGGER dossiers_queuecount_insert AFTER INSERT ON dossiers_dossier
       WHEN NEW.state <> 'draft' BEGIN
       {COLUMNS} VALUES (NEW.agency_id, NEW.state, NEW.step_role, 1); END""",
    f"""CREATE TRIGGER dossiers_queuecount_delete AFTER DELETE ON dossiers_dossier
       WHEN OLD.state <> 'draft' AND EXISTS (SELECT 1 FROM {TABLE}) BEGIN
       {COLUMNS} VALUES (OLD.agency_id, OLD.state, OLD.step_role, -1); END""",
    f"""CREATE TRIGGER dossiers_queuecount_update AFTER UPDATE ON dossiers_dossier
       WHEN OLD.state IS NOT NEW.state OR OLD.agency_id IS NOT NEW.agency_id
            OR OLD.step_role IS NOT NEW.step_role BEGIN
       {COLUMNS} SELECT OLD.agency_id, OLD.state, OLD.step_role, -1 WHERE OLD.state <> 'draft';
       {COLUMNS} SELECT NEW.agency_id, NEW.state, NEW.step_role, 1 WHERE NEW.state <> 'draft';
       END""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS dossiers_queuecount_{name}"
               for name in ("insert", "delete", "update")]

BACKFILL = (f"{COLUMNS} SELECT agency_id, state, step_role, COUNT(*) FROM dossiers_dossier "
            "WHERE state <> 'draft' GROUP BY agency_id, state, step_role")


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":  # no dossier changes until the backfill commits with them
        schema_editor.execute("LOCK TABLE dossiers_dossier IN SHARE MODE")
    for sql in {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor, []):
        schema_editor.execute(sql)
    schema_editor.execute(BACKFILL)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0013_my_dossiers_by_applicant'),
    ]

    operations = [
        migrations.CreateModel(
            name='QueueCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('agency_id', models.IntegerField()),
                ('state', models.CharField(max_length=30)),
                ('step_role', models.CharField(blank=True, default='', max_length=20)),
                ('n', models.IntegerField()),
            ],
            options={
                'indexes': [models.Index(fields=['agency_id', 'state', 'step_role'], name='queue_count_key')],
            },
        ),
        migrations.RunPython(create, drop),
    ]
