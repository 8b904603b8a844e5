"""Fees and reductions have effective dates, and what citizens see of fees and time limits is
true (issue #14, item 12).

The fee rule is tested directly (hypothesis over the days around a reduction's end); then through
the doors citizens use: the procedure page, the submission page, ``POST /api/v1/dossiers`` and
the dossier's fee (``GET /api/v1/payments/dossiers/{code}``), the catalogue API and open data.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dichvucong.catalog.definition import Channel, Fee
from dichvucong.catalog.loaders import read_catalogue
from dichvucong.catalog.models import Procedure
from dichvucong.payments.fees import Applicant, quote

DRIVING_LICENCE = "3.000347"  # Cấp đổi giấy phép lái xe
REDUCTION_STARTS, REDUCTION_ENDS = date(2023, 12, 1), date(2025, 12, 31)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
INTERNAL_TEXTS = ("giá trị mẫu", "sample value", "not verified", "chưa đối chiếu",
                  "chỉ quản trị thấy")
PLACEHOLDER_UNIT = "đơn vị không ghi trên Cổng quốc gia"



def licence_fee() -> Fee:
    return Fee(name="Lệ phí cấp giấy phép lái xe", amount=135_000, online_amount=115_000,
               online_valid_from=REDUCTION_STARTS, online_valid_until=REDUCTION_ENDS)


# --- the fee rule ---------------------------------------------------------------------------------

def on(day: date, online: bool = True) -> Applicant:
    return Applicant(online=online, submitted_on=day)


def test_a_reduction_until_31_12_2025_applies_that_day_and_not_the_next():
    assert quote([licence_fee()], on(date(2025, 12, 31))).total == 115_000
    assert quote([licence_fee()], on(date(2026, 1, 1))).total == 135_000
    assert quote([licence_fee()], on(date(2026, 12, 15))).total == 135_000
    assert quote([licence_fee()], on(date(2023, 11, 30))).total == 135_000
    assert quote([licence_fee()], on(date(2023, 12, 1))).total == 115_000


@given(st.dates(min_value=date(2023, 10, 1), max_value=date(2026, 3, 1)), st.booleans())
def test_the_online_amount_applies_exactly_within_its_period(day, online):
    line = quote([licence_fee()], on(day, online)).lines[0]
    reduced = online and REDUCTION_STARTS <= day <= REDUCTION_ENDS
    assert line.amount == (115_000 if reduced else 135_000)
    assert line.reduction == (20_000 if reduced else 0)
    assert bool(line.reduction_basis) is reduced


@given(st.dates(min_value=date(2025, 10, 1), max_value=date(2026, 3, 1)), st.booleans())
def test_exactly_one_of_two_successive_rows_is_charged(day, online):
    old = Fee(name="Lệ phí", amount=50_000, online_amount=0, valid_until=date(2025, 12, 31))
    new = Fee(name="Lệ phí", amount=60_000, valid_from=date(2026, 1, 1))
    result = quote([old, new], on(day, online))
    assert len(result.lines) == 1
    if day <= date(2025, 12, 31):
        assert result.total == (0 if online else 50_000)
    else:
        assert result.total == 60_000


def test_no_row_in_force_charges_nothing_and_a_period_must_not_end_before_it_starts():
    future = Fee(amount=10_000, valid_from=date(2030, 1, 1))
    assert quote([future], on(date(2026, 12, 1))).total == 0
    assert quote([future], on(date(2030, 1, 1))).total == 10_000
    with pytest.raises(ValidationError):
        Fee(amount=1, valid_from=date(2026, 1, 2), valid_until=date(2026, 1, 1))
    with pytest.raises(ValidationError):
        Fee(amount=1, online_amount=0, online_valid_from=date(2026, 1, 2),
            online_valid_until=date(2026, 1, 1))


def test_the_shipped_catalogue_dates_the_driving_licence_reduction():
    licences = {d.code: d for d in read_catalogue() if d.code in ("3.000347", "3.000348")}
    assert set(licences) == {"3.000347", "3.000348"}
    for definition in licences.values():
        assert quote(definition.fees, on(date(2025, 12, 31))).total == 115_000
        assert quote(definition.fees, on(date(2026, 1, 1))).total == 135_000
        assert quote(definition.fees, on(date(2026, 1, 1), online=False)).total == 135_000
        assert all(fee.legal_basis for fee in definition.fees)


# --- what citizens see ----------------------------------------------------------------------------

ROW = re.compile(r'<tr><th scope="row">(?P<label>[^<]*)</th><td>[^<]*</td><td>(?P<fee>.*?)</td>'
                 r"</tr>", re.S)
CHANNEL_BY_LABEL = {"Trực tuyến": Channel.ONLINE, "Trực tiếp": Channel.IN_PERSON,
                    "Qua dịch vụ bưu chính": Channel.POST}


def page(client, code: str) -> str:
    response = client.get(f"/thu-tuc/{code}/")
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


def channel_fees(text: str) -> dict[Channel, str]:
    return {CHANNEL_BY_LABEL[m["label"]]: m["fee"].split("<br>")[0]
            for m in ROW.finditer(text)}


def priced_procedures():
    """Every procedure whose page states a fee: fee rows, or a channel's fee label."""
    for procedure in Procedure.objects.select_related("current_version").order_by("code"):
        definition = procedure.current_version.parsed()
        if definition.fees or any(c.fee for c in definition.channels):
            yield procedure, definition


@pytest.mark.django_db
def test_the_driving_licence_page_shows_the_fee_in_force_today(client):
    today = timezone.localdate()
    assert today > REDUCTION_ENDS  # the reduction this test is about has ended
    text = page(client, DRIVING_LICENCE)
    assert channel_fees(text) == {Channel.ONLINE: "135.000 đ", Channel.IN_PERSON: "135.000 đ"}
    assert "nộp trực tuyến: 115.000 đ" not in text
    assert "Căn cứ: Thông tư 37/2023/TT-BTC" in text


@pytest.mark.django_db
def test_no_procedure_page_says_free_for_a_channel_the_fee_rule_charges(client):
    today = timezone.localdate()
    wrong, rows = [], 0
    for procedure, definition in priced_procedures():
        shown = channel_fees(page(client, procedure.code))
        rows += len(shown)
        for channel, cell in shown.items():
            # What the rule charges before any applicant's exemption (no applicant type, no
            # answers), which the page lists separately.
            charged = quote(definition.fees, Applicant(
                online=channel == Channel.ONLINE, applicant_type="",
                submitted_on=today)).total
            if charged and "Miễn phí" in cell:
                wrong.append((procedure.code, channel.value, cell, charged))
    assert rows > 1000
    assert wrong == []


@pytest.mark.django_db
def test_a_portal_free_label_contradicted_by_its_own_note_is_not_shown_as_free(client):
    # Cấp giấy phép lái xe quốc tế: the portal's label says «Miễn phí», its note 135.000 đồng.
    text = page(client, "3.000353")
    assert channel_fees(text) == {Channel.ONLINE: "Chưa công bố", Channel.IN_PERSON: "Chưa công bố"}
    assert "135.000 đồng" in text


@pytest.mark.django_db
def test_who_is_exempt_is_said_beside_the_fee(client):
    text = page(client, "2.000806")  # kết hôn có yếu tố nước ngoài
    assert "Được miễn: Người thuộc gia đình có công với cách mạng; Người thuộc hộ nghèo; " \
           "Người khuyết tật" in text


def stored_text(procedure) -> str:
    return json.dumps(procedure.current_version.definition, ensure_ascii=False).lower()


@pytest.mark.django_db
def test_no_public_page_or_api_shows_internal_notes(client):
    from dichvucong.opendata.builders import catalogue_rows

    checked = 0
    for procedure in Procedure.objects.select_related("current_version").order_by("code"):
        if not any(t in stored_text(procedure) for t in INTERNAL_TEXTS):
            continue
        checked += 1
        text = page(client, procedure.code).lower()
        api = json.dumps(client.get(f"/api/v1/catalog/procedures/{procedure.code}").json(),
                         ensure_ascii=False).lower()
        for shown in (text, api):
            assert not [t for t in INTERNAL_TEXTS if t in shown], procedure.code
    assert checked >= 10  # the notes are in the data, for administrators
    rows = json.dumps(catalogue_rows(), ensure_ascii=False).lower()
    assert not [t for t in INTERNAL_TEXTS if t in rows]


@pytest.mark.django_db
def test_a_time_limit_without_a_unit_is_not_shown_with_placeholder_text(client):
    from dichvucong.opendata.builders import catalogue_rows

    unstated = 0
    for procedure in Procedure.objects.select_related("current_version").order_by("code"):
        if '"unstated"' not in stored_text(procedure):
            continue
        text = page(client, procedure.code).lower()
        assert PLACEHOLDER_UNIT not in text, procedure.code
        # The page shows the limit the clock counts (the definition's processing), not the
        # import's per-channel one: a curated same-day rule replaces a bare «1».
        processing = procedure.current_version.parsed().processing
        if processing.time_limit and processing.time_limit.unit == "unstated" and not (
                processing.same_day):
            unstated += 1
            assert "chưa công bố đơn vị thời hạn — liên hệ cơ quan thực hiện" in text, \
                procedure.code
    assert unstated >= 10  # the bare numbers are in the national data
    rows = json.dumps(catalogue_rows(), ensure_ascii=False).lower()
    assert PLACEHOLDER_UNIT not in rows


@pytest.mark.django_db
def test_the_notes_stay_available_to_administrators():
    definition = Procedure.objects.get(code=DRIVING_LICENCE).current_version.parsed()
    assert "115.000" in definition.fees[0].internal_note  # kept, not deleted
    assert definition.sources and definition.sources[-1].note


# --- the quote of a submitted dossier -----------------------------------------------------------

@pytest.fixture
def citizen(client):
    assert client.login(username="congdan", password="demo-dichvucong")


def submit_licence(client):
    from dichvucong.dossiers import submission
    from tests.procedure_flow import api_form
    from tests.residence_forms import licence_form

    procedure = Procedure.objects.get(code=DRIVING_LICENCE)
    agency = submission.receiving_agencies(procedure).first()
    definition = procedure.current_version.parsed()
    names = [f"{i}.pdf" for i, _ in enumerate(definition.documents)]
    return client.post("/api/v1/dossiers", {
        "procedure": DRIVING_LICENCE, "agency": agency.pk,
        "form": api_form(procedure, licence_form()),
        "documents": json.dumps(list(range(len(names)))),
        "files": [SimpleUploadedFile(n, PDF, content_type="application/pdf") for n in names]})


@pytest.mark.django_db
def test_an_online_dossier_submitted_after_the_reduction_owes_the_full_fee(client, citizen):
    from dichvucong.dossiers.models import Dossier
    from dichvucong.payments.services import quote_for

    assert timezone.localdate() > REDUCTION_ENDS
    response = submit_licence(client)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["fee_amount"] == 135_000
    fee = client.get(f"/api/v1/payments/dossiers/{body['code']}").json()
    assert fee["amount"] == 135_000
    assert [(line["amount"], line["reduction"]) for line in fee["lines"]] == [(135_000, 0)]
    # The same dossier, had it been submitted on the reduction's last day, keeps that day's rule.
    dossier = Dossier.objects.get(code=body["code"])
    last_day = timezone.make_aware(datetime.combine(REDUCTION_ENDS, datetime.min.time())
                                   + timedelta(hours=16))
    assert quote_for(dossier, on=last_day).total == 115_000


@pytest.mark.django_db
def test_the_submission_page_quotes_the_fee_in_force(client, citizen):
    response = client.get(f"/thu-tuc/{DRIVING_LICENCE}/nop-ho-so/")
    assert response.status_code == 200
    text = html_lib.unescape(response.content.decode())
    assert "135.000 đ" in text and "115.000 đ" not in text
