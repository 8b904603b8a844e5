"""``dichvucong verify-result``: check a result's QR text offline, from a saved trust list.

    dichvucong verify-result --trust-list trust-list.json "DVC1:…"   (or the verification link)
    dichvucong verify-result --trust-list trust-list.json --from-file qr.txt
    dichvucong verify-result --trust-list trust-list.json --anchor 4f3c… "DVC1:…"

The trust list is the signed one the platform publishes (/xac-minh/danh-sach-tin-cay.json); it is
used only when its signature verifies with a trust-list certificate whose SHA-256 fingerprint is
given with ``--anchor`` (default: DICHVUCONG_RESULTS_TRUST_LIST_ANCHORS, or this installation's
own trust-list certificate). Needs no database and no network. Exit status 0 when the result is
genuine and valid, 1 otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dichvucong.results import verifier


class Command(BaseCommand):
    help = "Verify a result's QR text offline against a saved trust list."
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("text", nargs="?", default="", help="the QR text or link")
        parser.add_argument("--trust-list", required=True, help="the saved trust-list JSON")
        parser.add_argument("--from-file", default="", help="read the QR text from a file")
        parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
        parser.add_argument("--anchor", action="append", default=[],
                            help="SHA-256 fingerprint of an accepted trust-list certificate "
                                 "(repeatable)")

    def handle(self, *args, text, trust_list, from_file, json: bool, anchor, **options):
        if from_file:
            text = Path(from_file).read_text().strip()
        if not text:
            raise CommandError("Give the QR text, or --from-file.")
        if not anchor:
            from dichvucong.results.services import trust_list_anchors

            anchor = trust_list_anchors()
        try:
            document = _load(trust_list)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the trust list: {exc}") from exc
        try:
            trust = verifier.open_signed_trust_list(document, anchor)
        except verifier.TrustListError as exc:
            raise CommandError(f"Trust list refused: {exc}") from exc
        verdict = verifier.verify(text, trust)
        claims = verdict.claims
        if json:
            import json as json_module

            self.stdout.write(json_module.dumps({
                "outcome": verdict.outcome, "reason": verdict.reason,
                "number": claims.number if claims else None,
                "holder": claims.holder if claims else None,
                "issuer": verdict.key.agency_name if verdict.key else None,
                "issue_date": claims.issue_date.isoformat() if claims else None,
                "valid_until": claims.valid_until.isoformat()
                if claims and claims.valid_until else None,
            }, ensure_ascii=False))
        else:
            self.stdout.write(f"{verdict.outcome}: {verdict.reason}")
            if claims is not None and verdict.genuine:
                self.stdout.write(f"  số {claims.number} · {claims.title or claims.document_type}"
                                  f" · {claims.holder} · cấp ngày {claims.issue_date:%d/%m/%Y}")
        if verdict.outcome != verifier.VALID:
            raise SystemExit(1)


def _load(path: str) -> dict:
    return json.loads(Path(path).read_text())
