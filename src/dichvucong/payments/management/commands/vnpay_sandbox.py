"""Run the local VNPay sandbox gateway (``payments/sandbox.py``) for the demo."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dichvucong.payments.sandbox import MerchantAccount, Sandbox, serve


class Command(BaseCommand):
    help = "Serve the local VNPay 2.1.0 sandbox gateway (demo and development only)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.VNPAY_SANDBOX_PORT)
        parser.add_argument("--ipn-url", default=f"{settings.SITE_URL}/thanh-toan/vnpay/ipn/",
                            help="the merchant's IPN URL the gateway calls")
        parser.add_argument("--ipn-interval", type=float, default=60.0,
                            help="seconds between IPN retries")

    def handle(self, *args, host, port, ipn_url, ipn_interval, **options):
        if settings.MODE == "production":
            raise CommandError("The VNPay sandbox is for the demo and tests, not production.")
        sandbox = Sandbox(merchants={settings.VNPAY_TMN_CODE: MerchantAccount(
            settings.VNPAY_TMN_CODE, settings.VNPAY_HASH_SECRET, ipn_url)},
            ipn_interval=ipn_interval)
        self.stdout.write(f"Cổng VNPay thử nghiệm tại http://{host}:{port}/ (IPN → {ipn_url})")
        serve(sandbox, host, port)
