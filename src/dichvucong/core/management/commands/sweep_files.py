"""``dichvucong sweep-files``: what the worker's hourly ``core.sweep_orphan_files`` does, on
demand (``--dry-run`` lists the files without deleting them)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from dichvucong.core import storage


class Command(BaseCommand):
    help = "Delete the stored files no row names that are older than the grace period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list, do not delete")
        parser.add_argument("--grace-hours", type=float,
                            default=storage.ORPHAN_GRACE.total_seconds() / 3600)

    def handle(self, *args, dry_run, grace_hours, **options):
        names = storage.sweep_orphans(timedelta(hours=grace_hours), dry_run=dry_run)
        for name in names:
            self.stdout.write(name)
        self.stdout.write(f"{len(names)} orphan file(s) {'found' if dry_run else 'deleted'}")
