"""Issue #17 items 2 and 4: dossiers and their processing steps reach the National Public
Service Portal through the outbox, checked against the simulator running as a process of its
own (``nationalsync/simulator.py``), which validates every request against the JSON Schema of
the portal's services and keeps what it accepted.

The worker is run the way huey runs it (``worker.deliver_due``); the tests' transactions never
commit, so the after-commit kick is not what delivers here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests
from django.conf import settings
from django.db import transaction
from django.test import TestCase

from dichvucong.accounts.models import User
from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.catalog.services import import_definitions
from dichvucong.dossiers import actions
from dichvucong.dossiers.lifecycle import Action, LifecycleRole, national_status
from dichvucong.dossiers.models import Dossier
from dichvucong.nationalsync import outbox, records, shape, worker
from dichvucong.nationalsync.models import SyncRecord, SyncState
from tests import builders
from tests.birth_helpers import birth_form_json
from tests.test_backoffice import agency, client_for, make_dossier, pdf, post_action, walk_in

pytestmark = pytest.mark.django_db


class Simulator:
    def __init__(self, url: str) -> None:
        self.url = url

    def control(self, action: str, **body) -> None:
        requests.post(f"{self.url}_simulator/{action}", json=body, timeout=5).raise_for_status()

    def received(self) -> dict:
        return requests.get(f"{self.url}_simulator/received", timeout=5).json()


@pytest.fixture(scope="module")
def simulator():
    process = subprocess.Popen(
        [sys.executable, "-m", "dichvucong.nationalsync.simulator", "--port", "0"],
        stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        port = int(process.stdout.readline())
        yield Simulator(f"http://127.0.0.1:{port}/")
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def portal(simulator, settings):
    simulator.control("reset")
    settings.NATIONAL_SYNC_URL = simulator.url
    settings.NATIONAL_SYNC_BACKOFF_SECONDS = 0  # a retry falls due at once: no waiting here
    settings.NATIONAL_SYNC_TIMEOUT = 0.5
    return simulator


def drive_through_the_back_office(dossier: Dossier) -> None:
    """Receive, assign, examine, approve, issue, return and close, through the pages."""
    reception, leader = client_for("motcua.haichau"), client_for("lanhdao.haichau")
    specialist = client_for("chuyenvien.haichau")
    steps = [(reception, "receive", {}),
             (leader, "assign", {"assignee": User.objects.get(username="chuyenvien.haichau").pk}),
             (specialist, "examine", {"note": "Đủ điều kiện"}), (leader, "approve", {}),
             (specialist, "issue_result", {"result": pdf("ket-qua.pdf")}),
             (reception, "return_result", {"method": "counter"}), (reception, "close", {})]
    for client, action, fields in steps:
        response = post_action(client, dossier, action, **fields)
        assert response.status_code == 302, (action, response.content.decode()[:500])


def deliver():
    """The sync worker's run, once the pipeline's worker has written the records."""
    builders.derive()
    return worker.deliver_due()


def sent_for(received: dict, code: str) -> list[dict]:
    return [r for r in received["accepted"] if r["record"]["MaHoSo"] == code]


def test_lifecycles_arrive_in_order_once_and_schema_clean(portal):
    online = make_dossier("submitted", name="Nguyễn Thị Đồng Bộ")
    drive_through_the_back_office(online)
    import_definitions([ProcedureDefinition.model_validate({
        "code": "TST.900171", "name": "Thủ tục thử đồng bộ có lệ phí", "field": "Thử nghiệm",
        "levels": ["commune"], "online_mode": "full",
        "processing": {"time_limit": {"value": "3", "unit": "working_days"}},
        "documents": [{"name": "Đơn đề nghị", "mandatory": False}],
        "fees": [{"name": "Lệ phí thử", "amount": 30000}]})])
    response = walk_in("TST.900171")
    assert response.status_code == 302, response.content.decode()[:1000]
    counter = Dossier.objects.get(procedure__code="TST.900171")
    rejected = make_dossier("submitted")
    actions.perform(rejected.pk, Action.reject, User.objects.get(username="motcua.haichau"),
                    LifecycleRole.reception_officer, "Hồ sơ không thuộc thẩm quyền")
    report = deliver()
    assert report.failed == report.retried == 0

    received = portal.received()
    assert received["refused"] == [] and received["duplicates"] == []
    keys = [r["key"] for r in received["accepted"]]
    assert len(keys) == len(set(keys)) == SyncRecord.objects.count() == report.synced
    assert set(SyncRecord.objects.values_list("state", flat=True)) == {SyncState.SYNCED}
    for dossier in (online, counter, rejected):
        dossier.refresh_from_db()
        events = list(dossier.events.all())
        sent = sent_for(received, dossier.code)
        # Each event: the dossier (created first, then updated), then its step, in order.
        assert [(r["service"], r["isUpdating"]) for r in sent] == (
            [(shape.DOSSIER_SERVICE, False), (shape.STEP_SERVICE, False)]
            + [(shape.DOSSIER_SERVICE, True), (shape.STEP_SERVICE, False)] * (len(events) - 1))
        # Records follow the events, a fee request the payments app writes from inside
        # another event's save included (its records were written first).
        step_events = list(SyncRecord.objects.filter(dossier=dossier, service=shape.STEP_SERVICE)
                           .order_by("id").values_list("event_id", flat=True))
        assert step_events == sorted(e.pk for e in events)
        steps = [r["record"] for r in sent if r["service"] == shape.STEP_SERVICE]
        assert [s["TrangThai"] for s in steps] == [str(national_status(e.to_state))
                                                  for e in events]
        assert [s["ThoiDiemXuLy"] for s in steps] == [shape.national_date(e.created_at)
                                                     for e in events]
        # The last dossier record is the dossier as the database has it now.
        assert sent[-2]["record"] == records.dossier_record(dossier, events[-1].created_at)
    assert sent_for(received, online.code)[-2]["record"]["TrangThaiHoSo"] == "10"
    assert sent_for(received, online.code)[-2]["record"]["KenhThucHien"] == "2"
    assert sent_for(received, counter.code)[0]["record"]["KenhThucHien"] == "1"
    assert sent_for(received, counter.code)[0]["record"]["DinhDanhCHS"] == [
        {"LoaiDinhDanh": "1", "SoDinhDanh": "048090001234"}]
    assert sent_for(received, counter.code)[-2]["record"]["DanhSachLePhi"] == [
        {"TenPhiLePhi": "Phí, lệ phí", "Gia": 30000}]
    assert sent_for(received, rejected.code)[-1]["record"]["TrangThai"] == "3"
    assert "Hồ sơ không thuộc thẩm quyền" in sent_for(
        received, rejected.code)[-1]["record"]["NoiDungXuLy"]
    assert deliver().handled == 0  # nothing is sent twice


def test_a_change_that_rolls_back_leaves_no_record(portal):
    dossier = make_dossier("submitted")
    count = SyncRecord.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.perform(dossier.pk, Action.receive, User.objects.get(username="motcua.haichau"),
                        LifecycleRole.reception_officer)
        raise RuntimeError
    assert SyncRecord.objects.count() == count
    assert outbox.record_event(dossier.events.get()) == []  # an event recorded twice: once
    assert SyncRecord.objects.count() == count


def test_faults_then_recovery_every_record_arrives_exactly_once(portal, admin_client):
    dossier = make_dossier("received")  # submit and receive: four records
    portal.control("faults", mode="http500", count=3)
    for _ in range(4):  # a run stops at a failed request: one attempt a run
        deliver()
    first = SyncRecord.objects.filter(dossier=dossier).first()
    assert first.state == SyncState.SYNCED and first.attempts == 4
    assert first.response["error_code"] == "0"
    assert portal.received()["duplicates"] == []

    # The portal keeps the next record but never answers: resent with its key, recognised.
    actions.perform(dossier.pk, Action.assign, User.objects.get(username="lanhdao.haichau"),
                    LifecycleRole.leader)
    portal.control("faults", mode="silent", count=1, delay=1.5)
    deliver()
    deliver()
    silent = SyncRecord.objects.filter(dossier=dossier).order_by("id")[4]
    assert silent.state == SyncState.SYNCED and silent.attempts == 2
    assert silent.response["duplicate"] is True
    assert portal.received()["duplicates"][0]["keys"] == [silent.key]

    # A refusal (non-zero error_code) fails at once and holds back the dossier's later records,
    # until the operator resends it from the admin list, which shows the error.
    actions.perform(dossier.pk, Action.examine, User.objects.get(username="chuyenvien.haichau"),
                    LifecycleRole.specialist)
    portal.control("faults", mode="error_code", count=1)
    report = deliver()
    assert report.failed == 1 and report.synced == 0
    failed = SyncRecord.objects.get(dossier=dossier, state=SyncState.FAILED)
    assert SyncRecord.objects.filter(dossier=dossier, state=SyncState.PENDING).count() == 1
    workspace = client_for("motcua.haichau").get(f"/mot-cua/ho-so/{dossier.code}/")
    html = workspace.content.decode()
    assert "Đã đồng bộ 6/8 bản ghi" in html and "1 bản ghi đang chờ gửi." in html
    assert "Cổng quốc gia từ chối (mã 99)" in html
    page = admin_client.get("/quan-tri/nationalsync/syncrecord/").content.decode()
    assert "Cổng quốc gia từ chối (mã 99)" in page and dossier.code in page
    response = admin_client.post("/quan-tri/nationalsync/syncrecord/", {
        "action": "resend", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    deliver()
    assert set(SyncRecord.objects.filter(dossier=dossier)
               .values_list("state", flat=True)) == {SyncState.SYNCED}
    received = portal.received()
    keys = [r["key"] for r in sent_for(received, dossier.code)]
    assert keys == list(SyncRecord.objects.filter(dossier=dossier).values_list("key", flat=True))
    assert received["refused"] == []


def test_a_run_stops_at_the_first_request_the_portal_does_not_answer(portal, settings):
    """While the portal is down, a run makes one request, not one for every due record (it
    spent seconds of the worker's CPU a minute); the others wait, their attempts not counted."""
    settings.NATIONAL_SYNC_BATCH = 1  # a request a record: three dossiers, three requests due
    dossiers = [make_dossier("submitted") for _ in range(3)]
    builders.derive()
    records = SyncRecord.objects.filter(dossier__in=dossiers)
    portal.control("faults", mode="http500", count=5)
    report = worker.deliver_due()
    assert records.filter(attempts__gt=0).count() == 1
    assert report.held_back and (report.retried, report.synced) == (1, 0)
    tried = records.get(attempts=1)
    assert tried.next_attempt_at is not None and tried.state == SyncState.PENDING
    assert records.exclude(pk=tried.pk).filter(attempts=0, state=SyncState.PENDING,
                                               lease_token="", lease_until=None).count() == (
        records.count() - 1)
    portal.control("faults", mode="http500", count=0)
    report = worker.deliver_due()
    assert not report.held_back and report.synced == records.count()
    assert set(records.values_list("state", flat=True)) == {SyncState.SYNCED}


def test_the_operator_list_is_for_staff_with_the_permission(portal, client):
    official = User.objects.get(username="motcua.haichau")
    client.force_login(official)
    response = client.get("/quan-tri/nationalsync/syncrecord/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_malformed_record_is_refused_with_the_field_named(portal):
    dossier = make_dossier("submitted")
    step = SyncRecord.objects.get(dossier=dossier, service=shape.STEP_SERVICE)
    step.payload.update({"TrangThai": "11", "ThoiDiemXuLy": "2026-12-01"})
    del step.payload["NguoiXuLy"]
    step.save()
    deliver()
    step.refresh_from_db()
    assert step.state == SyncState.FAILED and step.attempts == 1
    fields = {e["field"] for e in step.response["errors"]}
    assert fields == {"data[0].TrangThai", "data[0].ThoiDiemXuLy", "data[0].NguoiXuLy"}
    assert "data[0].TrangThai" in step.last_error
    refused = portal.received()["refused"]
    assert len(refused) == 1 and sent_for(portal.received(), dossier.code)[0]["service"] == (
        shape.DOSSIER_SERVICE)
    # Order is checked too: a step for a dossier the portal never got is refused.
    answer = requests.post(portal.url, json={"service": shape.STEP_SERVICE, "data": [
        {**records.step_record(dossier.events.first()), "MaHoSo": "KHONG-CO"}]}, timeout=5).json()
    assert answer["error_code"] == "2" and answer["errors"][0]["field"] == "data[0].MaHoSo"
    # An unknown field (a misspelling) is named as well.
    answer = requests.post(portal.url, json={"service": shape.DOSSIER_SERVICE,
                                             "isUpdating": "False", "data": [
        {**records.dossier_record(dossier), "TrangThaiHoSoo": "1"}]}, timeout=5).json()
    assert answer["error_code"] == "1" and "TrangThaiHoSoo" in answer["message"]


def test_the_commit_kicks_the_worker_and_a_broken_record_never_blocks_the_change(
        portal, django_capture_on_commit_callbacks, monkeypatch, caplog):
    dossier = make_dossier("submitted")
    with django_capture_on_commit_callbacks(execute=True):
        actions.perform(dossier.pk, Action.receive, User.objects.get(username="motcua.haichau"),
                        LifecycleRole.reception_officer)
    assert set(SyncRecord.objects.filter(dossier=dossier)
               .values_list("state", flat=True)) == {SyncState.SYNCED}
    assert len(sent_for(portal.received(), dossier.code)) == 4

    def broken(event):
        raise ValueError("broken")

    monkeypatch.setattr(records, "step_record", broken)
    actions.perform(dossier.pk, Action.assign, User.objects.get(username="lanhdao.haichau"),
                    LifecycleRole.leader)
    builders.derive()
    dossier.refresh_from_db()
    assert dossier.state == "examining"
    assert SyncRecord.objects.filter(dossier=dossier).count() == 4
    assert "pipeline: step sync failed" in caplog.text


def test_a_dossier_filed_through_the_api_is_sent_with_its_code(portal, client):
    """The API files in one go and numbers the dossier after its event: the record gets the
    code before its first attempt, and keeps it on every attempt."""
    assert client.login(username="congdan", password="demo-dichvucong")
    response = client.post("/api/v1/dossiers", {
        "procedure": "1.001193", "form": json.dumps(birth_form_json()),
        "agency": agency().pk,
        "documents": json.dumps([0, 1]), "files": [pdf("a.pdf"), pdf("b.pdf")]})
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    assert deliver().synced == 2
    sent = sent_for(portal.received(), code)
    assert [r["service"] for r in sent] == [shape.DOSSIER_SERVICE, shape.STEP_SERVICE]
    assert SyncRecord.objects.get(key=sent[0]["key"]).payload["MaHoSo"] == code


def test_production_warns_without_the_portal(settings):
    from dichvucong.nationalsync.checks import national_sync_checks

    settings.MODE = "production"
    settings.NATIONAL_SYNC_URL = ""
    settings.NATIONAL_SYNC_TIMEOUT, settings.NATIONAL_SYNC_LEASE_SECONDS = 60, 90
    assert [w.id for w in national_sync_checks(None)] == [
        "dichvucong.nationalsync.W001", "dichvucong.nationalsync.W002"]
    settings.NATIONAL_SYNC_URL = "https://dichvucong.gov.vn/api/"
    settings.NATIONAL_SYNC_LEASE_SECONDS = 120
    assert national_sync_checks(None) == []


def downloaded(client, link: str) -> bytes:
    """The bytes behind a record's link, fetched with no session, as the portal would."""
    assert link.startswith(settings.SITE_URL + "/dong-bo-quoc-gia/tep/"), link
    response = client.get(link[len(settings.SITE_URL):])
    assert response.status_code == 200, (link, response.status_code)
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.usefixtures("result_keys")
def test_files_and_results_travel_with_links_the_portal_can_fetch(portal, client):
    """Issue #17 item 2: every dossier record lists the dossier's files (TaiLieuNop) and its
    results (DanhSachGiayToKetQua) with public, signed, expiring links that give the bytes:
    online, at the counter, by post, with an uploaded result file and with a signed one."""
    from dichvucong.backoffice import services as backoffice
    from dichvucong.dossiers import submission
    from dichvucong.dossiers.models import DossierChannel
    from dichvucong.results import services as results
    from dichvucong.results.models import Result
    from tests.results_helpers import approved_dossier

    reception = User.objects.get(username="motcua.haichau")
    online = make_dossier("approved")  # filed with its declaration (to-khai.pdf)
    backoffice.act(online.pk, Action.issue_result, User.objects.get(username="chuyenvien.haichau"),
                   LifecycleRole.specialist, expected_revision=online.revision,
                   result_file=pdf("ket-qua.pdf"))
    counter = backoffice.enter_walk_in(
        procedure=builders.procedure(), agency=agency(), officer=reception,
        applicant=backoffice.WalkInApplicant("Trần Văn Bình", "048090001234", None, "Nam",
                                             "12 Lê Duẩn", "0905123456", "", "citizen"),
        form_data={}, delivery="counter",
        documents=[("Giấy chứng sinh", pdf("chung-sinh.pdf")), ("Tờ khai", pdf("tk.pdf"))])
    postal = builders.row(state="draft", channel=DossierChannel.POST,
                          applicant_name="Lê Thị Bưu")
    submission.attach(postal, "Tờ khai đăng ký khai sinh", pdf("qua-buu-dien.pdf"), reception)
    postal = actions.perform(postal.pk, Action.enter_walk_in, reception,
                             LifecycleRole.reception_officer).dossier
    digital = approved_dossier()
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = results.request_issue(digital, User.objects.get(username="chuyenvien.haichau"))
    result.refresh_from_db()
    assert result.is_ready, result.signing_error
    deliver()
    received = portal.received()
    assert received["refused"] == []
    assert list(SyncRecord.objects.exclude(state=SyncState.SYNCED).values(
        "key", "state", "last_error")) == []

    def last_record(dossier):
        return [r for r in sent_for(received, dossier.code)
                if r["service"] == shape.DOSSIER_SERVICE][-1]["record"]

    for dossier, channel in ((online, "2"), (counter, "1"), (postal, "3")):
        record = last_record(dossier)
        assert record["KenhThucHien"] == channel
        attachments = [a for a in dossier.attachments.order_by("id")
                       if a.requirement != backoffice.RESULT_REQUIREMENT]
        assert [f["TenTepDinhKem"] for f in record["TaiLieuNop"]] == [
            a.original_name for a in attachments]
        for entry, attachment in zip(record["TaiLieuNop"], attachments, strict=True):
            assert entry["TepDinhKemId"] == attachment.token and entry["IsDeleted"] is False
            with attachment.file.open("rb") as handle:
                assert downloaded(client, entry["DuongDanTaiTepTin"]) == handle.read()
    # The result file the back office attached after the event is in that event's record.
    issued = sent_for(received, online.code)[-2]["record"]
    assert "TaiLieuNop" in issued and len(issued["DanhSachGiayToKetQua"]) == 1
    stored = online.attachments.get(requirement=backoffice.RESULT_REQUIREMENT)
    assert downloaded(client, issued["DanhSachGiayToKetQua"][0]["DuongDanTepTinKetQua"]) == (
        stored.file.open("rb").read())
    # The signed digital result: its number, and the signed PDF itself.
    entry = last_record(digital)["DanhSachGiayToKetQua"][0]
    assert entry["MaGiayToKetQua"] == result.number and entry["GiayToId"] == result.token
    assert downloaded(client, entry["DuongDanTepTinKetQua"]) == results.pdf_bytes(
        Result.objects.get(pk=result.pk))

    # A link altered, or past its days, gives nothing; a file added once the record went out
    # travels in an update of its own.
    link = entry["DuongDanTepTinKetQua"][len(settings.SITE_URL):]
    assert client.get(link.replace("r.", "a.", 1)).status_code == 404
    settings.NATIONAL_SYNC_LINK_DAYS = -1
    assert client.get(records.links.file_link("r", result.token)[len(settings.SITE_URL):]
                      ).status_code == 404
    settings.NATIONAL_SYNC_LINK_DAYS = 90
    submission.attach(Dossier.objects.get(pk=counter.pk), "Bản sao CCCD", pdf("cccd.pdf"),
                      reception)
    deliver()
    extra = sent_for(portal.received(), counter.code)[-1]
    assert extra["service"] == shape.DOSSIER_SERVICE and extra["isUpdating"] is True
    assert [f["TenTepDinhKem"] for f in extra["record"]["TaiLieuNop"]] == [
        "chung-sinh.pdf", "tk.pdf", "cccd.pdf"]
