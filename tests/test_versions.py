"""Procedure versions (/thiet-ke/, /thiet-ke/phe-duyet/): a draft goes to a procedure controller
who is not its author, is refused with a reason or approved with an effective date, comes into
force on that day (the earlier version stays until then), and the public page, the quote and the
form follow the version in force. Drafts can be deleted; every step is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dichvucong.accounts.models import Membership, Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure, ProcedureVersion, VersionEvent
from dichvucong.catalog.versions import bring_into_force, save_draft
from tests.test_designer import (
    CONTROLLER,
    DESIGNER,
    FEES,
    PROCESSING,
    build_complete,
    post_section,
    publish,
)

pytestmark = pytest.mark.django_db


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def how_table(client: Client, code: str) -> str:
    """The «Cách thực hiện» table of the public page."""
    page = client.get(f"/thu-tuc/{code}/").content.decode()
    start = page.index('id="how-heading"')
    return page[start:page.index("</table>", start)]


def approve(controller: Client, code: str, day, status: int = 302):
    response = controller.post(f"/thiet-ke/phe-duyet/{code}/", {
        "action": "approve", "approve-effective_from": day.isoformat()})
    assert response.status_code == status, response.content.decode()[:3000]
    return response


def test_approval_with_an_effective_date_then_the_page_quote_and_form_follow_it(client):
    designer = logged_in(DESIGNER)
    controller = logged_in(CONTROLLER)
    citizen = logged_in("congdan")
    today = timezone.localdate()
    code = build_complete(designer)
    # The national import's per-channel limit and fee label, which the designer cannot edit:
    # the page must not show them.
    draft = ProcedureVersion.objects.get(procedure__code=code, status="draft")
    definition = dict(draft.definition)
    definition["channels"] = [
        {"channel": "online", "time_limit": {"value": "10", "unit": "working_days"},
         "fee": {"amount": 999000, "label": "999.000 đ"}},
        {"channel": "in_person", "time_limit": {"value": "12", "unit": "working_days"},
         "fee": {"amount": 999000, "label": "999.000 đ"}}]
    save_draft(draft, definition)
    publish(designer, code)
    table = how_table(client, code)
    assert "5 ngày làm việc" in table and "3 ngày làm việc" in table  # processing
    assert "50.000 đ" in table and "25.000 đ" in table  # the fee rows
    assert "10 ngày" not in table and "12 ngày" not in table and "999.000" not in table

    # Version 2: longer limits and a dearer fee.
    assert designer.post(f"/thiet-ke/{code}/tao-ban-nhap/").status_code == 302
    for key, values in [("processing", PROCESSING | {"time_value": "7", "online_value": "4"}),
                        ("fees", [FEES[0] | {"amount": "80.000", "online_amount": "40000"}])]:
        assert post_section(designer, code, key, values).status_code == 302
    response = designer.post(f"/thiet-ke/{code}/gui-phe-duyet/", follow=True)
    assert "Đã gửi phiên bản 2" in response.content.decode()
    # While it waits it cannot be edited, and nothing public changes.
    assert designer.get(f"/thiet-ke/{code}/nhap/").status_code == 302
    assert "5 ngày làm việc" in how_table(client, code)

    # The author cannot approve their own version, even holding the controller's role.
    city = Agency.objects.get(kind=Agency.Kind.PEOPLES_COMMITTEE, level=Agency.Level.PROVINCE)
    Membership.objects.create(user=User.objects.get(username=DESIGNER), agency=city,
                              role=Role.PROCEDURE_CONTROLLER)
    review = designer.get(f"/thiet-ke/phe-duyet/{code}/").content.decode()
    assert "không được tự phê duyệt" in review and 'name="action" value="approve"' not in review
    own = approve(designer, code, today, status=400).content.decode()
    assert "Người soạn bản nháp không được tự phê duyệt" in own
    assert ProcedureVersion.objects.get(procedure__code=code, number=2).status == "submitted"

    # The controller sees it waiting, with its changes against the version in force.
    assert code in controller.get("/thiet-ke/phe-duyet/").content.decode()
    review = controller.get(f"/thiet-ke/phe-duyet/{code}/")
    rows = {(r["path"], r["old"], r["new"]) for r in review.context["rows"]}
    assert ("Phí, lệ phí › mục 1 › mức thu", "50000", "80000") in rows

    # A refusal needs a reason, and sends the version back to draft with it.
    empty = controller.post(f"/thiet-ke/phe-duyet/{code}/",
                            {"action": "refuse", "refuse-reason": "  "})
    assert empty.status_code == 400
    reason = "Mức lệ phí 80.000 đồng chưa có căn cứ nghị quyết HĐND."
    assert controller.post(f"/thiet-ke/phe-duyet/{code}/",
                           {"action": "refuse", "refuse-reason": reason}).status_code == 302
    assert ProcedureVersion.objects.get(procedure__code=code, number=2).status == "draft"
    assert reason in designer.get(f"/thiet-ke/{code}/").content.decode()
    assert designer.post(f"/thiet-ke/{code}/gui-phe-duyet/").status_code == 302

    # Not in the past; from tomorrow it waits, and version 1 stays in force today.
    past = approve(controller, code, today - timedelta(days=1), status=400).content.decode()
    assert "Ngày có hiệu lực không được trước hôm nay." in past
    approve(controller, code, today + timedelta(days=1))
    procedure = Procedure.objects.get(code=code)
    assert procedure.current_version.number == 1
    assert ProcedureVersion.objects.get(procedure=procedure, number=2).status == "approved"
    assert "5 ngày làm việc" in how_table(client, code)
    scheduled = designer.get(f"/thiet-ke/{code}/").content.decode()
    assert "có hiệu lực từ ngày " + (today + timedelta(days=1)).strftime("%d/%m/%Y") in scheduled
    assert bring_into_force(today) == 0
    # On its day (the hourly task) it comes into force: the table and the quote follow.
    assert bring_into_force(today + timedelta(days=1)) == 1
    table = how_table(client, code)
    assert "7 ngày làm việc" in table and "4 ngày làm việc" in table
    assert "80.000 đ" in table and "40.000 đ" in table
    assert "40.000 đ" in citizen.get(f"/thu-tuc/{code}/nop-ho-so/").content.decode()

    # Version 3, approved from today: in force at once; the form citizens fill changes too.
    assert designer.post(f"/thiet-ke/{code}/tao-ban-nhap/").status_code == 302
    assert post_section(designer, code, "fees", [
        FEES[0] | {"amount": "90.000", "online_amount": "45000"}]).status_code == 302
    draft = ProcedureVersion.objects.get(procedure__code=code, status="draft")
    definition = dict(draft.definition)
    definition["form"] = [*definition["form"], {"key": "ghi_chu_v3", "label": "Ghi chú mới",
                                                "type": "text"}]
    save_draft(draft, definition)
    assert designer.post(f"/thiet-ke/{code}/gui-phe-duyet/").status_code == 302
    done = approve(controller, code, today)
    assert done["Location"] == "/thiet-ke/phe-duyet/"
    assert "45.000 đ" in how_table(client, code)
    form = citizen.get(f"/thu-tuc/{code}/nop-ho-so/").content.decode()
    assert "45.000 đ" in form and "Ghi chú mới" in form
    statuses = dict(ProcedureVersion.objects.filter(procedure__code=code)
                    .values_list("number", "status"))
    assert statuses == {1: "superseded", 2: "superseded", 3: "published"}

    # Every step is in the audit trail, with who did it.
    trail = list(VersionEvent.objects.filter(procedure_code=code).order_by("at", "id")
                 .values_list("number", "kind", "actor__username"))
    assert trail == [
        (1, "submitted", DESIGNER), (1, "approved", CONTROLLER), (1, "in_force", None),
        (2, "submitted", DESIGNER), (2, "refused", CONTROLLER), (2, "submitted", DESIGNER),
        (2, "approved", CONTROLLER), (2, "in_force", None),
        (3, "submitted", DESIGNER), (3, "approved", CONTROLLER), (3, "in_force", None)]
    assert VersionEvent.objects.get(procedure_code=code, kind="refused").reason == reason


def test_a_draft_is_deleted_after_confirmation_never_a_submitted_or_published_version():
    designer = logged_in(DESIGNER)
    code = build_complete(designer)
    publish(designer, code)
    assert designer.post(f"/thiet-ke/{code}/tao-ban-nhap/").status_code == 302
    confirm = designer.get(f"/thiet-ke/{code}/nhap/xoa/")
    assert confirm.status_code == 200
    assert "Phiên bản 1 đang áp dụng không đổi." in confirm.content.decode()
    assert ProcedureVersion.objects.filter(procedure__code=code, number=2).exists()  # GET: kept
    page = designer.post(f"/thiet-ke/{code}/nhap/xoa/", follow=True).content.decode()
    assert "Đã xóa bản nháp phiên bản 2" in page
    assert list(ProcedureVersion.objects.filter(procedure__code=code)
                .values_list("number", "status")) == [(1, "published")]
    event = VersionEvent.objects.get(procedure_code=code, kind="deleted")
    assert (event.number, event.actor.username, event.version) == (2, DESIGNER, None)

    # A submitted version is not a draft: nothing to delete.
    assert designer.post(f"/thiet-ke/{code}/tao-ban-nhap/").status_code == 302
    assert designer.post(f"/thiet-ke/{code}/gui-phe-duyet/").status_code == 302
    refused = designer.post(f"/thiet-ke/{code}/nhap/xoa/", follow=True).content.decode()
    assert "Thủ tục không có bản nháp để xóa." in refused
    assert ProcedureVersion.objects.filter(procedure__code=code).count() == 2

    # A procedure never published goes with its only draft.
    response = designer.post("/thiet-ke/", {"new-name": "Thủ tục bỏ dở", "new-field": "Hộ tịch",
                                            "new-level": "province"})
    new_code = response["Location"].split("/")[2]
    response = designer.post(f"/thiet-ke/{new_code}/nhap/xoa/")
    assert response.status_code == 302 and response["Location"] == "/thiet-ke/"
    assert not Procedure.objects.filter(code=new_code).exists()
    assert VersionEvent.objects.filter(procedure_code=new_code, kind="deleted").exists()


def test_who_may_approve(client):
    designer = logged_in(DESIGNER)
    code = build_complete(designer)
    assert designer.post(f"/thiet-ke/{code}/gui-phe-duyet/").status_code == 302
    assert client.get("/thiet-ke/phe-duyet/").status_code == 302  # to the login page
    assert designer.get("/thiet-ke/phe-duyet/").status_code == 403  # a designer only
    assert designer.post(f"/thiet-ke/phe-duyet/{code}/",
                         {"action": "approve", "approve-effective_from": "2099-01-01"}
                         ).status_code == 403
    # A controller of another agency neither sees nor approves this agency's procedure.
    owner = Procedure.objects.get(code=code).owner
    other_agency = Agency.objects.filter(level=Agency.Level.PROVINCE).exclude(pk=owner.pk).exclude(
        kind=Agency.Kind.PEOPLES_COMMITTEE).first()
    other = User.objects.create_user("kiemsoat.khac", password="x")
    Membership.objects.create(user=other, agency=other_agency, role=Role.PROCEDURE_CONTROLLER)
    client.force_login(other)
    assert code not in client.get("/thiet-ke/phe-duyet/").content.decode()
    assert client.get(f"/thiet-ke/phe-duyet/{code}/").status_code == 404
    approve(client, code, timezone.localdate(), status=404)
    assert Procedure.objects.get(code=code).current_version is None


def test_a_national_import_numbers_its_version_after_the_designers_draft():
    from dichvucong.catalog.services import import_definitions

    designer = logged_in(DESIGNER)
    code = build_complete(designer)
    publish(designer, code)
    assert designer.post(f"/thiet-ke/{code}/tao-ban-nhap/").status_code == 302  # version 2
    current = Procedure.objects.get(code=code).current_version.parsed()
    report = import_definitions([current.model_copy(update={"conditions": "Điều kiện mới."})])
    assert report.updated == 1
    assert dict(ProcedureVersion.objects.filter(procedure__code=code)
                .values_list("number", "status")) == {1: "superseded", 2: "draft",
                                                      3: "published"}
