"""What the citizen is told, through the citizen's doors (issue #14, item 14): the dossier page,
the list, the public lookup and the API, on a dossier with an officer's internal note and the
back office's jargon in its events. The rules themselves: ``test_citizen_view.py``; the status
once a signed result is there: ``test_results.py``."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dichvucong.accounts.models import User
from dichvucong.dossiers import actions
from dichvucong.dossiers.lifecycle import LifecycleRole
from dichvucong.dossiers.models import Dossier
from tests import builders
from tests.test_backoffice import client_for, make_dossier, user

pytestmark = pytest.mark.django_db
INTERNAL_NOTE = "Kính trình lãnh đạo phê duyệt"
# Back-office words a citizen should not have to learn.
JARGON = ("Phân công", "Trình phê duyệt", "Trả lại chuyên viên", "Chờ trả kết quả",
          "Chờ phê duyệt", "Đang thẩm định")


def dossier_with_internal_notes() -> Dossier:
    """Received, assigned, forwarded to the leader with an internal note, sent back, then a
    supplement asked of the citizen."""
    dossier = make_dossier("examining")
    for action, who, role, note in [
        ("examine", "chuyenvien", LifecycleRole.specialist, INTERNAL_NOTE),
        ("send_back", "lanhdao", LifecycleRole.leader, "Đề nghị xem lại căn cứ pháp lý"),
        ("request_supplement", "chuyenvien", LifecycleRole.specialist,
         "- Bản sao Giấy chứng sinh có chứng thực"),
    ]:
        actions.perform(dossier.pk, action, user(f"{who}.haichau"), role, note)
    return Dossier.objects.get(pk=dossier.pk)


# Session, user, the dossier with its fee and rating joined, its events (the supplement asked
# among them), files, results, the navigation's roles, the header's unread count.
DOSSIER_PAGE_QUERIES = 8


def test_the_citizens_page_and_api_show_no_internal_note_and_no_jargon(
        django_assert_max_num_queries):
    dossier = dossier_with_internal_notes()
    citizen = client_for("congdan")
    with django_assert_max_num_queries(DOSSIER_PAGE_QUERIES):
        page = citizen.get(f"/ho-so/{dossier.code}/").content.decode()
    api = citizen.get(f"/api/v1/dossiers/{dossier.code}")
    assert api.status_code == 200, api.content
    body = api.json()
    for text in (page, json.dumps(body, ensure_ascii=False)):
        assert INTERNAL_NOTE not in text and "xem lại căn cứ" not in text
        assert not [word for word in JARGON if word in text]
        assert "Bản sao Giấy chứng sinh có chứng thực" in text  # the reason for the supplement
        assert "Hồ sơ đang được xử lý" in text and "Cần bổ sung hồ sơ" in text
    assert body["state_label"] == "Cần bổ sung hồ sơ"
    listed = citizen.get("/api/v1/dossiers").json()
    assert [d["state_label"] for d in listed if d["code"] == dossier.code] == [
        "Cần bổ sung hồ sơ"]
    mine = citizen.get("/ho-so/").content.decode()
    assert "Cần bổ sung hồ sơ" in mine and "Chờ bổ sung (đang giải quyết)" not in mine

    # The officers still see their own words.
    office = client_for("chuyenvien.haichau").get(f"/mot-cua/ho-so/{dossier.code}/")
    assert INTERNAL_NOTE in office.content.decode()


def test_the_public_lookup_shows_progress_without_notes_or_jargon(client):
    dossier = dossier_with_internal_notes()
    Dossier.objects.filter(pk=dossier.pk).update(applicant_id_number="048090001234")
    html = client.post("/tra-cuu/", {"ma": dossier.code, "xac_minh": "048090001234"}) \
        .content.decode()
    assert "Hồ sơ đang được xử lý" in html and "Cần bổ sung hồ sơ" in html
    assert INTERNAL_NOTE not in html and "Bản sao Giấy chứng sinh" not in html
    assert not [word for word in JARGON if word in html]


# Session, user, the page's rows (which have a result asked with them), the drafts, the
# navigation's roles, the header's unread count: none per row.
MY_DOSSIERS_QUERIES = 6


def test_my_dossiers_come_a_page_at_a_time_newest_first_and_only_mine(
        django_assert_max_num_queries):
    """A business files hundreds: the list is 20 at a time by key, older ones behind a link that
    works without JavaScript, and another citizen's dossiers never appear. A page's queries do
    not grow with its rows (the rows read only the columns they show)."""
    agent = User.objects.create_user("dailythue", password="x", full_name="Đại lý Thuế An")
    mine = [builders.row(state="submitted", code=f"000.00.48.H17-261207-{n:04d}",
                         **({"channel": "agent", "submitted_by": agent} if n % 5 == 0
                            else {"channel": "online"}),
                         due_at=timezone.now() if n % 2 else None)
            for n in range(1, 26)]
    builders.row(state="draft")
    other = User.objects.create_user("congdan.khac", password="x")
    builders.row(state="submitted", code="000.00.48.H17-261207-9999", applicant=other)
    citizen = client_for("congdan")
    with django_assert_max_num_queries(MY_DOSSIERS_QUERIES):
        first = citizen.get("/ho-so/").content.decode()
    assert first.count("nộp thay bởi Đại lý Thuế An") == 4 and "Hẹn trả" in first
    assert "Bản nháp" in first and "?draft=" in first
    newest = [d.code for d in reversed(mine)]
    assert [c for c in newest if c in first] == newest[:20]
    assert all(f'href="{reverse("dossiers:detail", args=[c])}"' in first for c in newest[:20])
    older = re.search(r'href="(/ho-so/\?truoc=\d+)" rel="next"', first)
    assert older, "no link to the older dossiers"
    second = citizen.get(older.group(1).replace("&amp;", "&")).content.decode()
    assert [c for c in newest if c in second] == newest[20:]
    assert 'rel="next"' not in second and "Hồ sơ mới nhất" in second
    assert "9999" not in first + second
    assert citizen.get("/ho-so/?truoc=abc").status_code == 200  # garbage: the first page
    # A key past any id the column holds: every dossier is older (the ORM's reading of it).
    past = citizen.get(f"/ho-so/?truoc={10**30}").content.decode()
    assert [c for c in newest if c in past] == newest[:20]
    assert citizen.get("/api/v1/dossiers", {"before": 10**30}).json()[0]["code"] == newest[0]
    assert citizen.get("/api/v1/dossiers", {"before": -10**30}).json() == []
    listed = citizen.get("/api/v1/dossiers", {"limit": 100}).json()  # the API names the agent
    assert [d["code"] for d in listed] == newest
    assert [d["submitted_by"] for d in listed].count("Đại lý Thuế An") == 5


def test_a_listed_dossiers_address_is_the_one_reverse_gives():
    """The list puts each code in one reversed address (``views._page_urls``): quoted as
    ``reverse`` quotes it, whatever the code holds."""
    from dichvucong.dossiers.views import _page_urls

    page_url = _page_urls()
    for code in ("000.00.48.H17-261207-0001", "a b ç%?#&", "~:@!$'()*+,;=", "__code__"):
        assert page_url(code) == reverse("dossiers:detail", args=[code]), code


def test_drafts_left_for_the_retention_period_are_purged_with_their_files(settings):
    """A draft untouched for DRAFT_RETENTION_DAYS goes with its files; a fresh draft and any
    filed dossier stay; the citizen is told on their list."""
    from datetime import timedelta

    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from dichvucong.dossiers import retention, submission
    from dichvucong.dossiers.tasks import purge_stale_drafts

    settings.DRAFT_RETENTION_DAYS = 30
    old, fresh = (submission.start_draft(builders.procedure(), user("congdan"), builders.agency())
                  for _ in range(2))
    upload = SimpleUploadedFile("to-khai.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    stored = submission.attach(old, "Tờ khai", upload, user("congdan"))
    Dossier.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=31))
    filed = make_dossier("submitted")
    Dossier.objects.filter(pk=filed.pk).update(updated_at=timezone.now() - timedelta(days=400))
    assert "sẽ tự động bị xóa" in client_for("congdan").get("/ho-so/").content.decode()
    assert default_storage.exists(stored.file.name)

    assert purge_stale_drafts.call_local() == 1
    assert not Dossier.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(stored.file.name)
    assert Dossier.objects.filter(pk__in=[fresh.pk, filed.pk]).count() == 2
    assert retention.purge_stale_drafts() == 0
