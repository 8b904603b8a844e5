from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dichvucong.devdata.issuers import create_demo_clinic


class Command(BaseCommand):
    help = ("Register the demo clinic as a third-party issuer and deposit the demo citizen's "
            "driver's health certificate (demo mode only).")

    def handle(self, *args, **options):
        if settings.MODE == "production":
            raise CommandError("The demo clinic is created only in demo or test mode.")
        clinic = create_demo_clinic()
        if options["verbosity"] == 0:
            return
        # The secret is shown once, as for any registration (/quan-tri/ rotates it).
        self.stdout.write(f"Tổ chức cấp giấy tờ: {clinic.client} — client_id "
                          f"{clinic.client.application.client_id}"
                          + (f", khóa bí mật (chỉ hiện lần này): {clinic.secret}"
                             if clinic.secret else ""))
