"""``dichvucong result_keys --demo``: make the demo CA and a PKCS#12 signing certificate for each
agency that has none (under DICHVUCONG_RESULTS_PKI_DIR), and publish them in the trust list.

``dichvucong result_keys --revoke <kid> --reason "…"``: mark an agency's signing key revoked (a
lost token, a compromised key); a new issue of the trust list is published at once.

``dichvucong result_keys --issue-trust-list``: publish a new issue of the trust list now."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dichvucong.results import services


class Command(BaseCommand):
    help = "Create the demo CA and agency signing certificates (demo and tests only), revoke a " \
           "signing key, or issue the trust list."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true")
        parser.add_argument("--revoke", default="", metavar="KID",
                            help="revoke the signing key with this key id (hex)")
        parser.add_argument("--reason", default="", help="why the key is revoked")
        parser.add_argument("--issue-trust-list", action="store_true",
                            help="publish a new issue of the trust list now")

    def handle(self, *args, demo, revoke, reason, issue_trust_list, **options):
        if revoke:
            try:
                key = services.revoke_key(revoke, reason)
            except services.ResultError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(f"Key {key.kid} revoked at {key.revoked_at:%Y-%m-%d %H:%M} UTC.")
            return
        if issue_trust_list:
            try:
                issue = services.issue_trust_list("operator")
            except services.ResultError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(f"Trust list {issue.sequence} issued, next update "
                              f"{issue.next_update:%Y-%m-%d %H:%M} UTC.")
            return
        if not demo or settings.MODE == "production":
            raise CommandError("Only with --demo, outside production: production keys come from "
                               "a licensed CA.")
        made = services.ensure_demo_keys()
        self.stdout.write(f"Demo signing certificates created: {made} "
                          f"(in {settings.RESULTS_PKI_DIR}).")
