"""``dichvucong scan_alerts``: run the alert scan now (the worker runs it every five minutes)."""

from django.core.management.base import BaseCommand

from dichvucong.alerts.scan import scan


class Command(BaseCommand):
    help = "Raise and clear the deadline alerts now."

    def handle(self, *args, **options) -> None:
        result = scan()
        kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(result.by_kind.items())) or "—"
        self.stdout.write(
            f"{result.found} causes ({kinds}); {result.raised} raised, {result.cleared} cleared, "
            f"{result.notified} notifications; {result.seconds:.2f} s")
