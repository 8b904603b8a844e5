"""``dichvucong verify-result``: check a result's QR text offline, from a saved trust list.

    dichvucong verify-result --trust-list trust-list.json "DVC1:…"   (or the verification link)
    dichvucong verify-result --trust-list trust-list.json --from-file qr.txt
    dichvucong verify-result --trust-list trust-list.json --anchor 4f3c… "DVC1:…"

The trust list is the signed one the platform publishes (/xac-minh/danh-sach-tin-cay.json); it is
used only when its signature verifies with a trust-list certificate whose SHA-256 fingerprint is
given with ``--anchor`` (default: DICHVUCONG_RESULTS_TRUST_LIST_ANCHORS, or this installation's
own trust-list certificate), when it is not past its ``next_update`` by more than the grace
(``--grace-hours``, default DICHVUCONG_RESULTS_TRUST_LIST_GRACE_HOURS; inside it the verdict
carries a warning), and when its sequence is not lower than the highest one accepted before,
which is kept next to the list (``<trust list>.sequence``, or ``--state``): a replayed older list
is refused. A refused list gives the verdict ``trust_list_refused`` with the reason. Needs no
database and no network. Exit status 0 when the result is genuine and valid, 1 otherwise.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext

from dichvucong.results import verifier
from dichvucong.results.trust_list import trust_list_anchors


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
        parser.add_argument("--state", default="",
                            help="where the highest accepted sequence is kept (default: "
                                 "<trust list>.sequence)")
        parser.add_argument("--grace-hours", type=float, default=None,
                            help="how long after its next update a list is still accepted, "
                                 "with a warning")
        parser.add_argument("--now", default="", help="check as of this ISO 8601 moment "
                                                      "(default: now)")
        parser.add_argument("--language", choices=[code for code, _ in settings.LANGUAGES],
                            default=None, help="language of the verdict")

    def handle(self, *args, language, **options):
        if language:
            with translation.override(language):
                return self._handle(**options)
        return self._handle(**options)

    def _handle(self, *, text, trust_list, from_file, json: bool, anchor, state, grace_hours,
                now, **options):
        if from_file:
            text = Path(from_file).read_text().strip()
        if not text:
            raise CommandError("Give the QR text, or --from-file.")
        if not anchor:
            anchor = trust_list_anchors()
        try:
            moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
        except ValueError as exc:
            raise CommandError(f"--now is not an ISO 8601 moment: {exc}") from exc
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        grace = timedelta(hours=settings.RESULTS_TRUST_LIST_GRACE_HOURS
                          if grace_hours is None else grace_hours)
        state_path = Path(state or f"{trust_list}.sequence")
        try:
            document = _load(trust_list)
            last = read_state(state_path)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the trust list: {exc}") from exc
        try:
            trust = verifier.open_signed_trust_list(document, anchor, moment, grace=grace,
                                                    last_sequence=last)
        except verifier.TrustListError as exc:
            # Never a silent "valid": the verdict says the list was refused, and why.
            self._write(json, verifier.TRUST_LIST_REFUSED, exc.message.localised(gettext),
                        code=exc.code)
            raise CommandError(f"Trust list refused: {exc}") from exc
        if last is None or trust.sequence > last:
            write_state(state_path, trust.sequence)
        verdict = verifier.verify(text, trust, moment.date())
        self._write(json, verdict.outcome, verdict.reason, verdict=verdict, trust=trust)
        if verdict.outcome != verifier.VALID:
            raise SystemExit(1)

    def _write(self, as_json: bool, outcome: str, reason: str, *, code: str = "",
               verdict: verifier.Verdict | None = None,
               trust: verifier.TrustList | None = None) -> None:
        claims = verdict.claims if verdict else None
        warning = verdict.warning.localised(gettext) if verdict and verdict.warning else ""
        if as_json:
            data = {"outcome": outcome, "reason": reason}
            if code:
                data["code"] = code
            if verdict is not None:
                data |= {
                    "number": claims.number if claims else None,
                    "holder": claims.holder if claims else None,
                    "issuer": verdict.key.agency_name if verdict.key else None,
                    "issue_date": claims.issue_date.isoformat() if claims else None,
                    "valid_until": claims.valid_until.isoformat()
                    if claims and claims.valid_until else None,
                    "warning": warning or None}
            if trust is not None:
                data["trust_list"] = {
                    "sequence": trust.sequence,
                    "next_update": trust.next_update.isoformat() if trust.next_update else None}
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(f"{outcome}: {reason}")
        if warning:
            self.stdout.write(f"  {warning}")
        if claims is not None and verdict.genuine:
            self.stdout.write(f"  số {claims.number} · {claims.title or claims.document_type}"
                              f" · {claims.holder} · cấp ngày {claims.issue_date:%d/%m/%Y}")


def _load(path: str) -> dict:
    return json.loads(Path(path).read_text())


def read_state(path: Path) -> int | None:
    """The highest sequence accepted before, or None when this verifier has none yet."""
    if not path.is_file():
        return None
    sequence = json.loads(path.read_text()).get("sequence")
    if not isinstance(sequence, int):
        raise ValueError(f"{path} holds no sequence")
    return sequence


def write_state(path: Path, sequence: int) -> None:
    """Atomically (a crash leaves the old value, never an empty file)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"sequence": sequence,
                                     "accepted_at": datetime.now(UTC).isoformat(
                                         timespec="seconds")}))
    os.replace(temporary, path)
