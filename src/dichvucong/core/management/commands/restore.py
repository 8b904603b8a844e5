"""``dichvucong restore FILE``: a backup restored into an empty deployment, then the restore
drill: every stored file read back against its SHA-256 and every signed result's signature
validated (core.backup; docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dichvucong.core import backup, storage
from dichvucong.dossiers.models import Dossier
from dichvucong.results import services as results
from dichvucong.results.models import Result, SigningState


class Command(BaseCommand):
    help = ("Restore a backup into an empty database, file storage and key folder, then check "
            "every file and every signed result.")

    def add_arguments(self, parser):
        parser.add_argument("input", type=Path, help="the backup file")
        parser.add_argument("--key-file", type=Path,
                            help=f"the operator's key (default: ${backup.KEY_ENV})")
        parser.add_argument("--check-only", action="store_true",
                            help="restore nothing; run the drill on this deployment")

    def handle(self, *args, input, key_file, check_only, **options):
        if not check_only:
            try:
                summary = backup.restore(Path(input), backup.load_key(key_file))
            except backup.BackupError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"restored {input}: {summary.database} database, {summary.files} "
                              f"files ({summary.bytes} bytes), {summary.keys} key and trust "
                              "files")
        problems = drill(self.stdout.write)
        if problems:
            raise CommandError(f"the restore drill found {problems} problem(s)")


def drill(say) -> int:
    """Read every recorded file back and validate every signed result; the problems found."""
    problems = 0
    seen = set()  # the data store's documents name the same files as attachments and results
    for model, name, sha256 in storage.recorded_files():
        if (name, sha256) in seen:
            continue
        seen.add((name, sha256))
        try:
            storage.read_verified(name, sha256)
        except (FileNotFoundError, storage.CorruptFile) as exc:
            problems += 1
            say(f"{model} {name}: {type(exc).__name__}")
    signed = Result.objects.filter(signing_state=SigningState.DONE).exclude(pdf="")
    verified = 0
    for result in signed.iterator():
        try:
            ok, _signer = results.validate_signature(results.pdf_bytes(result))
        except (FileNotFoundError, storage.CorruptFile):
            ok = False  # counted above
        if ok:
            verified += 1
        else:
            problems += 1
            say(f"result {result.number}: signature not valid")
    say(f"drill: {Dossier.objects.count()} dossiers, {len(seen)} files read back against their "
        f"SHA-256, {verified}/{signed.count()} signed results verified, {problems} problem(s)")
    return problems
