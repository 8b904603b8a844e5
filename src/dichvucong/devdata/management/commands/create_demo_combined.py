from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dichvucong.devdata.combined import create_demo_combined


class Command(BaseCommand):
    help = ("File the demo's combined-procedure dossiers (liên thông): one in progress across "
            "the ward, its police and social insurance, one late because of social insurance "
            "(demo mode only).")

    def handle(self, *args, **options):
        if settings.MODE == "production":
            raise CommandError("The demo dossiers are created only in demo or test mode.")
        made = create_demo_combined()
        if options["verbosity"]:
            self.stdout.write("Hồ sơ liên thông mẫu: " + (", ".join(d.code for d in made)
                                                          or "đã có"))
