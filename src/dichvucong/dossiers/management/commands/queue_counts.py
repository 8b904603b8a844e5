"""``dichvucong queue_counts``: check the back office's kept queue counts against the dossiers
(``dossiers/queuecounts.py``); ``--rebuild`` counts them afresh, ``--fold`` sums their rows."""

from django.core.management.base import BaseCommand, CommandError

from dichvucong.dossiers import queuecounts


class Command(BaseCommand):
    help = "Check (or rebuild, or fold) the queue counts kept per agency, state and step role."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="count afresh")
        parser.add_argument("--fold", action="store_true", help="one row per key")

    def handle(self, *args, **options) -> None:
        if options["rebuild"]:
            self.stdout.write(f"{queuecounts.rebuild()} counts written")
        elif options["fold"]:
            queuecounts.fold()
        wrong = queuecounts.differences()
        for (agency, state, role), (have, want) in sorted(wrong.items()):
            self.stdout.write(f"agency {agency} {state} {role or '-'}: kept {have}, "
                              f"dossiers {want}")
        if wrong:
            raise CommandError(f"{len(wrong)} counts differ: run queue_counts --rebuild")
        self.stdout.write("the queue counts equal the dossiers")
