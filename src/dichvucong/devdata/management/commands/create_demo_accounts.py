from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dichvucong.devdata.accounts import DEMO_PASSWORD, create_demo_accounts


class Command(BaseCommand):
    help = "Create the demo accounts (demo mode only) and print them."

    def handle(self, *args, **options):
        if settings.MODE == "production":
            raise CommandError("Demo accounts are created only in demo or test mode.")
        accounts = create_demo_accounts()
        if options["verbosity"] == 0:
            return
        self.stdout.write(f"Tài khoản trình diễn (mật khẩu chung: {DEMO_PASSWORD}):")
        self.stdout.write(f"  {'admin':<22} Quản trị hệ thống (/quan-tri/)")
        for account in accounts:
            self.stdout.write(f"  {account.username:<22} {account.description}")
