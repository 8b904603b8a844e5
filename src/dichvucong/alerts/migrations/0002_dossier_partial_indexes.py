"""Partial indexes on the dossier tables for the alert scan: it reads only open dossiers near a
deadline, so each rule finds its rows in an index over the open ones, never by scanning the
history. Raw SQL (PostgreSQL and SQLite speak the same CREATE INDEX … WHERE) so that the dossiers
app's model state stays its own."""

from django.db import migrations

PROCESSING = ("'received', 'examining', 'awaiting_approval', 'approved', 'transferred', "
              "'processing_supplement'")

INDEXES = [
    # Near due, overdue, running steps: the due time of dossiers in processing.
    ("alert_dossier_processing_due", "dossiers_dossier", "(due_at)",
     f"state IN ({PROCESSING})"),
    # Online dossiers waiting for reception, oldest submission first.
    ("alert_dossier_submitted", "dossiers_dossier", "(submitted_at)", "state = 'submitted'"),
    # Supplement requests waiting for the applicant.
    ("alert_dossier_supplement", "dossiers_dossier", "(state, paused_at)",
     "state IN ('reception_supplement', 'processing_supplement')"),
    # Whether a dossier has had its apology (Mẫu 04).
    ("alert_event_apology", "dossiers_dossierevent", "(dossier_id)", "action = 'apology'"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("dossiers", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns} WHERE {condition}",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, columns, condition in INDEXES
    ]
