"""The catalogue quality check: each check on small definitions (``catalog.quality``), the
``check_catalog`` command on the loaded catalogue, and the designer's page through HTTP."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.accounts.models import Membership, Role, User
from dichvucong.catalog import quality
from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.catalog.models import Field, Procedure, ProcedureVersion
from dichvucong.catalog.quality import Kind
from dichvucong.catalog.services import current_definitions

DESIGNER = "quantri.thutuc"
CONTROLLER = "kiemsoat"


def definition(**parts) -> ProcedureDefinition:
    """A clean definition (no finding), with ``parts`` replacing its own."""
    data = {
        "code": "DNG.000777", "name": "Cấp giấy xác nhận thử nghiệm", "field": "Hộ tịch",
        "levels": ["province"], "online_mode": "partial",
        "channels": [
            {"channel": "online", "time_limit": {"value": 3, "unit": "working_days"},
             "fee": {"amount": 20000, "label": "Lệ phí"}},
            {"channel": "in_person", "time_limit": {"value": 5, "unit": "working_days"},
             "fee": {"amount": 25000, "label": "Lệ phí"}},
        ],
        "processing": {"time_limit": {"value": 5, "unit": "working_days"},
                       "online_time_limit": {"value": 3, "unit": "working_days"}},
        "fees": [{"name": "Lệ phí", "amount": 25000, "online_amount": 20000}],
        "documents": [{"name": "Tờ khai", "copies": 1}, {"name": "Bản sao CCCD", "copies": 1}],
    }
    return ProcedureDefinition.model_validate(data | parts)


def kinds(found: list[quality.Finding]) -> list[Kind]:
    return [f.kind for f in found]


def test_a_clean_definition_has_no_finding():
    assert quality.check(definition()) == []


def test_free_label_beside_an_amount_or_a_note_naming_one():
    free_amount = definition(channels=[
        {"channel": "online", "fee": {"amount": 135000, "label": "Miễn phí"}},
        {"channel": "in_person", "fee": {"amount": None, "label": "Miễn phí",
                                         "note": "Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần"}},
        {"channel": "post", "fee": {"amount": 0, "label": "Miễn phí", "note": "Không thu"}},
    ])
    found = quality.free_with_amount(free_amount)
    assert [(f.path, f.severity) for f in found] == [
        ("channels.0.fee", quality.Severity.ERROR), ("channels.1.fee", quality.Severity.ERROR)]


@given(amount=st.integers(min_value=0, max_value=10**9),
       label=st.sampled_from(["Miễn phí", "miễn phí", "Lệ phí", ""]))
def test_a_free_label_contradicts_every_non_zero_amount(amount, label):
    found = list(quality.free_with_amount(definition(channels=[
        {"channel": "online", "fee": {"amount": amount, "label": label}}])))
    assert bool(found) == (label.lower().startswith("miễn") and amount > 0)


def test_a_number_without_its_unit():
    found = quality.check(definition(
        channels=[{"channel": "online", "time_limit": {"value": 1, "unit": "unstated",
                                                       "text": "1"}}],
        processing={"time_limit": {"value": 1, "unit": "unstated"},
                    "online_time_limit": {"value": None, "unit": "unstated", "text": ""}}),
        [Kind.UNSTATED_UNIT])
    # A limit with no number at all is not a missing unit.
    assert [f.path for f in found] == ["processing.time_limit", "channels.0.time_limit"]


@given(copies=st.integers(min_value=0, max_value=30000))
def test_implausible_copy_counts(copies):
    found = list(quality.copies(definition(documents=[{"name": "Tờ khai", "copies": copies}])))
    assert bool(found) == (copies == 0 or copies > quality.MAX_COPIES)
    assert all(f.path == "documents.0.copies" for f in found)


def test_over_long_names():
    assert not list(quality.long_name(definition(name="x" * quality.MAX_NAME_LENGTH)))
    found = list(quality.long_name(definition(name="x" * (quality.MAX_NAME_LENGTH + 1))))
    assert [(f.kind, f.path) for f in found] == [(Kind.LONG_NAME, "name")]


def test_online_flag_and_online_channel_disagree():
    no_channel = definition(online_mode="full", channels=[{"channel": "in_person"}])
    no_flag = definition(online_mode="none")
    assert kinds(quality.check(no_channel, [Kind.ONLINE_FLAG])) == [Kind.ONLINE_FLAG]
    assert kinds(quality.check(no_flag, [Kind.ONLINE_FLAG])) == [Kind.ONLINE_FLAG]
    assert quality.check(definition(online_mode="none", channels=[{"channel": "post"}]),
                         [Kind.ONLINE_FLAG]) == []


def test_online_slower_than_the_counter():
    slower = definition(
        processing={"time_limit": {"value": 3, "unit": "working_days"},
                    "online_time_limit": {"value": 4, "unit": "working_days"}},
        channels=[{"channel": "online", "time_limit": {"value": 4, "unit": "working_days"}},
                  {"channel": "in_person", "time_limit": {"value": 3, "unit": "working_days"}}])
    assert [f.path for f in quality.online_slower(slower)] == [
        "processing.online_time_limit", "channels.0.time_limit"]
    # Different units do not compare: 10 days against 8 working days is not clear-cut.
    mixed = definition(processing={"time_limit": {"value": 8, "unit": "working_days"},
                                   "online_time_limit": {"value": 10, "unit": "days"}})
    assert not list(quality.online_slower(mixed))


def test_online_dearer_than_the_counter():
    dearer = definition(
        fees=[{"name": "Lệ phí", "amount": 40000, "online_amount": 50000}],
        channels=[{"channel": "online", "fee": {"amount": 50000}},
                  {"channel": "in_person", "fee": {"amount": 40000}}])
    assert [f.path for f in quality.online_dearer(dearer)] == [
        "fees.0.online_amount", "channels.0.fee.amount"]


@given(amount=st.integers(min_value=0, max_value=100000))
def test_amounts_that_look_like_thousands(amount):
    found = list(quality.amount_in_thousands(definition(
        fees=[{"name": "Lệ phí", "amount": amount}], channels=[{"channel": "in_person"}])))
    assert bool(found) == (0 < amount < 1000)


def test_duplicate_document_names():
    found = list(quality.duplicate_document(definition(documents=[
        {"name": "Giấy tờ  của  chủ xe"}, {"name": "Giấy tờ của chủ xe"},
        {"name": "Giấy ủy quyền", "condition": "Khi nộp thay"},
        {"name": "Giấy ủy quyền", "condition": "Khi là tổ chức"}])))
    assert [f.path for f in found] == ["documents.1.name"]


def test_online_procedure_without_documents():
    assert kinds(quality.check(definition(documents=[]), [Kind.ONLINE_WITHOUT_DOCUMENTS])) == [
        Kind.ONLINE_WITHOUT_DOCUMENTS]
    offline = definition(documents=[], online_mode="none", channels=[{"channel": "in_person"}])
    assert quality.check(offline) == []


def test_counts_name_every_kind():
    found = quality.check_all([definition(documents=[]), definition(name="x" * 300)])
    assert quality.counts(found) == {k: (1 if k in (Kind.ONLINE_WITHOUT_DOCUMENTS,
                                                    Kind.LONG_NAME) else 0) for k in Kind}


# --- the command, on the loaded catalogue -------------------------------------------------------

@pytest.mark.django_db
def test_check_catalog_on_the_loaded_catalogue():
    expected = quality.counts(quality.check_all(current_definitions()))
    out = io.StringIO()
    call_command("check_catalog", stdout=out)
    table = out.getvalue()
    assert f"Thủ tục đã kiểm tra: {Procedure.objects.filter(is_active=True).count()}" in table
    for kind, count in expected.items():
        assert any(line.split()[:2] == [kind.value, str(count)] for line in table.splitlines())
    # In Vietnamese, whatever language was active.
    with translation.override("en"):
        call_command("check_catalog", "--kind", "long_name", stdout=(out := io.StringIO()))
    assert "Tên quá dài" in out.getvalue()
    # The national data has each of these contradictions (see the report in the commit).
    assert expected[Kind.FREE_WITH_AMOUNT] and expected[Kind.UNSTATED_UNIT]

    out = io.StringIO()
    call_command("check_catalog", "--format", "csv", "--kind", "free_with_amount", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == expected[Kind.FREE_WITH_AMOUNT]
    assert {row["kind"] for row in rows} == {"free_with_amount"}

    out = io.StringIO()
    call_command("check_catalog", "--format", "json", stdout=out)
    assert len(json.loads(out.getvalue())) == sum(expected.values())


# --- the designer's page ------------------------------------------------------------------------

URL = "/thiet-ke/chat-luong/"


@pytest.fixture
def flawed(db) -> Procedure:
    """A published procedure of the designer's agency with a «Miễn phí» beside 135.000 đ."""
    agency = Membership.objects.get(user__username=DESIGNER, role=Role.SERVICE_DESIGNER).agency
    content = definition(code="DNG.000778", channels=[
        {"channel": "online", "fee": {"amount": 135000, "label": "Miễn phí"}}]).to_json()
    procedure = Procedure.objects.create(
        code="DNG.000778", name=content["name"], field=Field.objects.first(), owner=agency,
        agency=agency, at_province=True, online_mode="partial")
    version = ProcedureVersion.objects.create(
        procedure=procedure, number=1, status=ProcedureVersion.Status.PUBLISHED,
        definition=content, published_at=timezone.now())
    procedure.current_version = version
    procedure.save()
    return procedure


@pytest.mark.django_db
def test_anonymous_and_citizens_cannot_see_the_quality_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/dang-nhap/?next=")
    client.force_login(User.objects.get(username="congdan"))
    assert client.get(URL).status_code == 403
    client.force_login(User.objects.get(username="motcua.haichau"))
    assert client.get(URL).status_code == 403


def test_a_designer_sees_their_agencys_findings_linked_to_the_designer(client: Client, flawed):
    client.force_login(User.objects.get(username=DESIGNER))
    assert f'href="{URL}"' in client.get("/thiet-ke/").content.decode()
    response = client.get(URL, {"kind": "free_with_amount"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/thiet-ke/DNG.000778/"' in page
    assert "Nhãn «Miễn phí» nhưng mức thu là 135.000 đ." in page
    editable = Procedure.objects.filter(owner__memberships__user__username=DESIGNER,
                                        owner__memberships__role=Role.SERVICE_DESIGNER)
    expected = quality.check_all(current_definitions(editable))
    assert response.context["checked"] == editable.count()
    assert response.context["total"] == len(expected)
    assert response.context["page"].paginator.count == len(
        [f for f in expected if f.kind == Kind.FREE_WITH_AMOUNT])
    # Only the designer's own agency's procedures.
    assert {row.finding.code for row in response.context["rows"]} <= set(
        editable.values_list("code", flat=True))


def test_a_controller_sees_the_whole_catalogue_paginated_and_filtered(client: Client, flawed):
    client.force_login(User.objects.get(username=CONTROLLER))
    response = client.get(URL)
    assert response.status_code == 200
    assert f'href="{URL}"' in client.get("/").content.decode()  # in the menu
    every = quality.check_all(current_definitions())
    assert response.context["checked"] == Procedure.objects.filter(is_active=True).count()
    assert response.context["total"] == len(every)
    counts = dict((value, count) for value, _label, count in response.context["kinds"])
    assert counts == {k.value: n for k, n in quality.counts(every).items()}
    assert len(response.context["rows"]) == 50
    last = response.context["page"].paginator.num_pages
    tail = client.get(URL, {"page": last, "kind": ""})
    assert len(tail.context["rows"]) == len(every) - 50 * (last - 1)
    filtered = client.get(URL, {"kind": "unstated_unit", "page": 2})
    assert {row.finding.kind for row in filtered.context["rows"]} == {Kind.UNSTATED_UNIT}
    assert 'kind=unstated_unit&amp;page=3' in filtered.content.decode()
    # A procedure the controller cannot edit links to its public page.
    national = next(row for row in response.context["rows"] if row.finding.code[0].isdigit())
    assert national.url == f"/thu-tuc/{national.finding.code}/"
    # An unknown kind is all kinds, not an error.
    assert client.get(URL, {"kind": "<script>"}).context["total"] == len(every)


def test_decimal_limits_compare():
    assert quality._longer(*(definition().processing.time_limit.model_copy(
        update={"value": Decimal(v)}) for v in ("2.5", "2")))
