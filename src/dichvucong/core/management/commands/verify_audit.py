"""``dichvucong verify-audit``: check the audit trail's chain and anchors (``core/audit.py``);
exits with status 1 when anything was deleted, altered, inserted or cut off."""

from django.core.management.base import BaseCommand, CommandError

from dichvucong.core import audit


class Command(BaseCommand):
    help = "Verify the tamper-evident audit trail against its hashes and signed anchors."

    def add_arguments(self, parser):
        parser.add_argument("--anchor", action="store_true",
                            help="seal pending entries and anchor the head first")

    def handle(self, *args, **options):
        if options["anchor"]:
            audit.anchor()
        report = audit.verify()
        for problem in report.problems:
            self.stderr.write(problem)
        summary = (f"{report.entries} entries, {report.anchors} anchors, "
                   f"{report.unsealed} entries awaiting their seal, {report.erased} source rows "
                   "erased lawfully")
        if not report.ok:
            raise CommandError(f"audit trail NOT intact: {len(report.problems)} problem(s); "
                               f"{summary}")
        self.stdout.write(f"audit trail intact: {summary}")
