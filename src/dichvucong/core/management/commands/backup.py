"""``dichvucong backup FILE``: the database, the stored files, the signing keys and the
trust-list state in one encrypted file (core.backup; docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dichvucong.core import backup


class Command(BaseCommand):
    help = ("Back up the database, the stored files, the signing keys and the trust-list state "
            "into one file encrypted with the operator's key.")

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path, nargs="?",
                            help="the backup file to write")
        parser.add_argument("--key-file", type=Path,
                            help=f"the operator's key (default: ${backup.KEY_ENV})")
        parser.add_argument("--new-key", type=Path, metavar="FILE",
                            help="write a new key to FILE (mode 600) and stop; keep it apart "
                                 "from the backups")

    def handle(self, *args, output, key_file, new_key, **options):
        try:
            if new_key:
                backup.new_key(Path(new_key))
                self.stdout.write(f"new backup key written to {new_key}")
                return
            if output is None:
                raise CommandError("name the backup file to write")
            summary = backup.create(Path(output), backup.load_key(key_file))
        except (backup.BackupError, FileExistsError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup written to {output}: {summary.database} database, "
                          f"{summary.files} files ({summary.bytes} bytes), "
                          f"{summary.keys} key and trust files")
        if summary.missing:
            # Backed up as they are; said loudly, since no backup can bring them back.
            self.stderr.write(f"warning: {len(summary.missing)} file(s) named by rows are missing "
                              "from the storage: " + ", ".join(summary.missing[:20]))
