"""Digital results: how long issuing and verifying take.

- issuing with the PKCS#12 backend: ``services.sign_result`` whole (render the PDF from the
  result's text, sign the QR payload as COSE, stamp the QR, PAdES-sign, store the file, record
  the events), and the rendering and the signing alone;
- verifying a QR text offline (``verifier.verify`` against the signed trust list, opened once)
  and opening the signed trust list itself;
- validating the signed PDF with pyHanko (``services.validate_signature``, no network).

Mean of N runs after one warm-up call. Everything written to the database is rolled back; the
files go to a temporary data folder.

    ./run bench bench/bench_results.py   (or: DICHVUCONG_MODE=demo .venv/bin/python bench/…)
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys

import harness

harness.setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from dichvucong.agencies.models import Agency  # noqa: E402
from dichvucong.results import render, services, signing, stamping, verifier  # noqa: E402
from dichvucong.results.models import Result  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "10"))
VERIFY_RUNS = int(os.environ.get("BENCH_VERIFY_RUNS", "300"))
HAI_CHAU = "Ủy ban nhân dân phường Hải Châu"
BODY = ("Ủy ban nhân dân phường Hải Châu xác nhận: bà Nguyễn Thị Thu Hà, sinh ngày 12/03/1990, "
        "cư trú tại 12 Trần Phú, phường Hải Châu, thành phố Đà Nẵng, hiện chưa đăng ký kết hôn "
        "với ai.\nGiấy xác nhận có giá trị sử dụng để làm thủ tục đăng ký kết hôn.")


def _timed(fn, runs: int, prepare=None) -> tuple[harness.Timings, object]:
    """``fn(prepare())`` timed, ``prepare`` (a fresh result to sign, say) untimed."""
    argument = []
    return harness.timed(lambda: fn(argument[-1] if argument else None), runs,
                         prepare=(lambda: argument.append(prepare())) if prepare else None)


def _new_result(agency: Agency) -> Result:
    today = timezone.localdate()
    sequence = services.next_sequence(agency.pk, today.year)
    number = services.format_number(agency, today.year, sequence)
    return Result.objects.create(
        number=number, token=secrets.token_hex(16), year=today.year, sequence=sequence,
        agency=agency, title="Giấy xác nhận tình trạng hôn nhân",
        document_type="Giấy xác nhận tình trạng hôn nhân", body=BODY,
        holder_name="Nguyễn Thị Thu Hà",
        holder_id_hash=verifier.id_hash(number, "048190001234").hex(),
        signer_name="Trần Văn Bình", signer_title=f"TM. {agency.name}", issue_date=today)


def _document(result: Result) -> render.Document:
    return render.Document(
        heading=stamping._heading(result), number=result.number, title=result.title,
        document_type=result.document_type, holder_name=result.holder_name,
        holder_id_masked="048******234", paragraphs=render.paragraphs(result.body),
        issue_date=result.issue_date, valid_until=None, signer_title=result.signer_title,
        signer_name=result.signer_name, dossier_code="", replaces="")


def main() -> None:
    call_command("migrate", verbosity=0)
    if not Agency.objects.filter(name=HAI_CHAU).exists() or "--setup" in sys.argv:
        call_command("load_reference_data", verbosity=0)
    agency = Agency.objects.get(name=HAI_CHAU)
    print(f"Digital results, PKCS#12 signer (ECDSA P-256), mean of {RUNS} runs "
          f"({VERIFY_RUNS} for the QR)")
    with transaction.atomic():
        services.ensure_demo_keys([agency])
        backend = signing.backend("pkcs12")

        timings, signed = _timed(lambda r: services.sign_result(r.pk), RUNS,
                                 lambda: _new_result(agency))
        assert signed.is_ready, signed.signing_error
        print(timings.line("sign_result: render + sign + store", 48))

        timings, rendered = _timed(lambda r: render.render(_document(r)), RUNS,
                                   lambda: _new_result(agency))
        content, box = rendered
        print(timings.line("render the PDF alone", 48))
        now = timezone.now()
        timings, out = _timed(lambda r: signing.run_async(
            stamping._sign_document, backend, r, content, box, now), RUNS,
            lambda: _new_result(agency))
        print(timings.line("sign alone (COSE payload, QR stamp, PAdES)", 48))
        pdf = out[0]

        published = services.signed_trust_list()
        anchors = services.trust_list_anchors()
        timings, trust = _timed(lambda _: verifier.open_signed_trust_list(published, anchors),
                                RUNS)
        print(timings.line(f"open the signed trust list ({len(trust.keys)} keys)", 48))
        text = services.verify_url(signed.qr_payload)
        timings, verdict = _timed(lambda _: verifier.verify(text, trust), VERIFY_RUNS)
        assert verdict.outcome == "valid", verdict.reason
        print(timings.line("verify a QR text offline", 48))
        timings, outcome = _timed(lambda _: services.verify_text(text), RUNS)
        assert outcome.outcome == "valid"
        print(timings.line("verify a QR text online (with the status)", 48))
        timings, validated = _timed(lambda _: services.validate_signature(pdf), RUNS)
        assert validated[0], "the PDF signature does not validate"
        print(timings.line("validate the PDF signature (pyHanko)", 48))
        print(f"  signed PDF {len(pdf) / 1024:.1f} KB, QR text {len(text)} characters, "
              f"sha256 {hashlib.sha256(pdf).hexdigest()[:12]}…")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
