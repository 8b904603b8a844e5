"""The processing index covers the review state (``awaiting_review``, the first of two approval
levels a procedure's routing may state): the alert scan's condition names it, so the index must
too, term for term (``alerts/scan.py:PROCESSING_INDEX``)."""

from django.db import migrations

OLD = ("'received', 'examining', 'awaiting_approval', 'approved', 'transferred', "
       "'processing_supplement'")
NEW = ("'received', 'examining', 'awaiting_review', 'awaiting_approval', 'approved', "
       "'transferred', 'processing_supplement'")
NAME = "alert_dossier_processing_due"


def _create(states: str) -> str:
    return f"CREATE INDEX {NAME} ON dossiers_dossier (due_at) WHERE state IN ({states})"


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0003_combined_handover_due"),
        ("dossiers", "0008_routing_step_role"),
    ]

    operations = [
        migrations.RunSQL([f"DROP INDEX IF EXISTS {NAME}", _create(NEW)],
                          [f"DROP INDEX IF EXISTS {NAME}", _create(OLD)]),
    ]
