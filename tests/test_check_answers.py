"""The citizen's journey on GOV.UK patterns (issue #15 item 7), through HTTP: «Kiểm tra lại
thông tin» before filing, the confirmation panel after it, and «Việc bạn cần làm» on the
dossier page only when the citizen must act."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dichvucong.accounts.models import User
from dichvucong.adminunits.queries import communes_of
from dichvucong.dossiers import actions
from dichvucong.dossiers.lifecycle import Action, LifecycleRole
from dichvucong.dossiers.models import Dossier
from dichvucong.payments.models import DossierFee
from tests.birth_helpers import BIRTH, birth_form
from tests.filing import check_then_file
from tests.payments_support import due_dossier, hai_chau, submitted_dossier

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
URL = f"/thu-tuc/{BIRTH}/nop-ho-so/"
TODO = "Việc bạn cần làm"


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, "application/pdf")


@pytest.fixture
def citizen(client):
    client.force_login(User.objects.get(username="congdan"))
    return client


def test_check_your_answers_then_file_then_the_confirmation(citizen):
    born = date.today() - timedelta(days=10)
    commune, commune_name = communes_of("48")[0]
    posted = {"agency": str(hai_chau().pk), "delivery": "post", "action": "submit",
              **birth_form(born), "delivery_address-province": "48",
              "delivery_address-commune": commune, "delivery_address-street": "12 Lê Duẩn",
              "doc-1": pdf("giay-chung-sinh.pdf")}
    response = citizen.post(URL, posted)
    assert response.status_code == 200
    html = response.content.decode()
    draft = Dossier.objects.get(applicant__username="congdan")
    assert draft.state == "draft" and draft.code is None  # nothing is filed yet
    assert "<h1>Kiểm tra lại thông tin</h1>" in html
    edit = f"{URL}?draft={draft.pk}"
    # Every answer under its label, in the form's order, dates as dd/mm/yyyy.
    assert html.index("Trần Minh Khang") < html.index(born.strftime("%d/%m/%Y")) \
        < html.index("Trần Văn Hùng")
    assert born.isoformat() not in html
    assert f'href="{edit}#f-tre_ho_ten"' in html and f'href="{edit}#f-agency"' in html
    assert hai_chau().name in html
    assert "giay-chung-sinh.pdf" in html and f'href="{edit}#doc-1"' in html
    assert "Nhận qua bưu điện" in html and "12 Lê Duẩn" in html and commune_name in html
    assert "Miễn phí" in html  # birth registration within the time limit has no fee
    assert 'name="action" value="confirm"' in html

    # «Sửa»: the form again, with everything the citizen gave.
    form = citizen.get(edit).content.decode()
    assert 'value="Trần Minh Khang"' in form and "Đã đính kèm: giay-chung-sinh.pdf" in form
    assert 'value="post" checked' in form and 'value="12 Lê Duẩn"' in form

    response = citizen.post(URL, {"draft": draft.pk, "action": "confirm"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "submitted" and response["Location"] == f"/ho-so/{draft.code}/"
    assert draft.delivery_address == {"province": "48", "commune": commune,
                                      "street": "12 Lê Duẩn"}
    assert draft.form_data["tre_ngay_sinh"] == born.isoformat()
    # «Nộp hồ sơ» pressed twice: the second press leads to the same dossier, files nothing.
    again = citizen.post(URL, {"draft": draft.pk, "action": "confirm"})
    assert again["Location"] == f"/ho-so/{draft.code}/"
    assert Dossier.objects.filter(applicant__username="congdan").count() == 1

    page = citizen.get(response["Location"]).content.decode()
    assert "panel-confirmation" in page and f'<p class="code">{draft.code}</p>' in page
    assert "Việc gì xảy ra tiếp theo" in page and hai_chau().name in page
    # The due date is set at reception: the time limit meanwhile (same day for a birth).
    assert "Thời hạn giải quyết: trong ngày hồ sơ được tiếp nhận." in page
    assert "Hộp thư trên cổng" in page  # how the citizen will be told
    assert f"/tra-cuu/?ma={draft.code}" in page
    assert TODO not in page  # nothing asked of the citizen while it waits for reception
    # The panel is shown once, on the page the filing led to.
    assert "panel-confirmation" not in citizen.get(response["Location"]).content.decode()


def test_the_check_page_files_nothing_when_the_draft_no_longer_passes(citizen):
    check_then_file(citizen, URL, {"agency": str(hai_chau().pk), "delivery": "online",
                                   "action": "submit", **birth_form(),
                                   "doc-1": pdf("giay-chung-sinh.pdf")})
    citizen.post(URL, {"agency": str(hai_chau().pk), "delivery": "online", "action": "submit",
                       **birth_form(), "doc-1": pdf("giay-chung-sinh.pdf")})
    draft = Dossier.objects.get(applicant__username="congdan", state="draft")
    draft.attachments.all().delete()  # e.g. removed in another tab after the check
    response = citizen.post(URL, {"draft": draft.pk, "action": "confirm"})
    assert response.status_code == 200
    assert "Cần đính kèm «Giấy chứng sinh do cơ sở y tế cấp»." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_what_the_citizen_must_do(citizen):
    citizen_user = User.objects.get(username="congdan")
    officer = User.objects.get(username="motcua.haichau")
    # A supplement asked for at reception: what, and since when.
    asked = submitted_dossier(citizen_user)
    actions.perform(asked.pk, Action.request_supplement, officer,
                    LifecycleRole.reception_officer, "- Bản sao giấy tờ tùy thân")
    page = citizen.get(f"/ho-so/{asked.code}/").content.decode()
    todo = page[page.index(TODO):page.index("Cơ quan yêu cầu bổ sung hồ sơ")]
    assert "Bổ sung hồ sơ" in todo and "Bản sao giấy tờ tùy thân" in todo
    assert re.search(r"lúc \d\d:\d\d \d\d/\d\d/\d{4}", todo)
    assert 'href="#supplement-heading"' in todo and "Nộp phí" not in todo
    # A fee due: the amount and the way to the payment choices.
    dossier = due_dossier(citizen_user)
    page = citizen.get(f"/ho-so/{dossier.code}/").content.decode()
    todo = page[page.index(TODO):]
    assert "Nộp phí, lệ phí" in todo and "10.000" in todo and 'href="#phi-le-phi"' in todo
    # Paid, and a result waiting at the counter: where to collect it.
    DossierFee.objects.filter(dossier=dossier).update(state="paid")
    Dossier.objects.filter(pk=dossier.pk).update(state="result_ready", delivery="counter")
    page = citizen.get(f"/ho-so/{dossier.code}/").content.decode()
    assert TODO in page and "Nhận kết quả" in page and "bộ phận một cửa" in page
    assert "Bổ sung hồ sơ" not in page and 'href="#phi-le-phi" class="button"' not in page
    # Nothing asked: no panel.
    Dossier.objects.filter(pk=dossier.pk).update(state="done")
    assert TODO not in citizen.get(f"/ho-so/{dossier.code}/").content.decode()


def test_the_error_summary_leads_in_the_pages_order_and_is_focused(citizen):
    form = birth_form()
    del form["tre_ho_ten"]
    response = citizen.post(URL, {"agency": "", "delivery": "post", "action": "submit", **form})
    html = response.content.decode()
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert summary is not None
    assert 'tabindex="-1"' in summary.group(0) and "autofocus" in summary.group(0)
    assert html.index('class="error-summary"') < html.index("1. Nơi nộp hồ sơ")
    assert html.count('class="error-summary"') == 1
    links = re.findall(r'<a href="#([^"]+)">', summary.group(1))
    # Agency, the declaration, the documents, then the postal address: as the page reads.
    assert links[0] == "f-agency" and links[1] == "f-tre_ho_ten"
    assert links.index("doc-1") < links.index("f-delivery_address")
    for target in links:
        assert f'id="{target}"' in html, target
    # The postal address is in the page without JavaScript; the script reveals it with post.
    assert '<div data-show-field="delivery" data-show-equals="post">' in html
    online = citizen.get(URL).content.decode()
    block = online[online.index('data-show-equals="post"'):]
    assert 'name="delivery_address-street"' in block and "hidden" not in block[:200]


def test_dates_read_dd_mm_yyyy_with_a_24_hour_clock_in_both_languages():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.template import Context, Template
    from django.utils import translation

    moment = datetime(2026, 3, 9, 15, 5, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    template = Template("{{ day }}|{{ moment }}|{{ moment|date }}|{{ moment|time }}|"
                        "{{ moment|date:'SHORT_DATETIME_FORMAT' }}")
    for language in ("vi", "en"):
        with translation.override(language):
            shown = template.render(Context({"day": moment.date(), "moment": moment}))
        assert shown == "09/03/2026|15:05 09/03/2026|09/03/2026|15:05|15:05 09/03/2026", language
