"""The citizen's dossier operations through the JSON API."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dichvucong.agencies.models import Agency
from dichvucong.dossiers.models import Dossier
from tests.birth_helpers import birth_form_json

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def hai_chau_id() -> int:
    return Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu").pk


def files(*names):
    return [SimpleUploadedFile(n, PDF, content_type="application/pdf") for n in names]


@pytest.fixture
def citizen(client):
    assert client.login(username="congdan", password="demo-dichvucong")


def post_birth(client, **extra):
    data = {"procedure": "1.001193", "agency": hai_chau_id(),
            "form": json.dumps(birth_form_json()),
            "documents": json.dumps([0, 1]), "files": files("a.pdf", "b.pdf"), **extra}
    return client.post("/api/v1/dossiers", data)


def test_file_follow_and_withdraw_through_the_api(client, citizen):
    response = post_birth(client)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "submitted" and body["national_status"] == 1
    code = body["code"]
    listed = client.get("/api/v1/dossiers").json()
    assert [d["code"] for d in listed] == [code]
    detail = client.get(f"/api/v1/dossiers/{code}").json()
    assert detail["events"][0]["action"] == "submit"
    withdrawn = client.post(f"/api/v1/dossiers/{code}/withdraw",
                            data=json.dumps({"note": "Nộp nhầm"}),
                            content_type="application/json")
    assert withdrawn.status_code == 200 and withdrawn.json()["national_status"] == 7
    again = client.post(f"/api/v1/dossiers/{code}/withdraw", data="{}",
                        content_type="application/json")
    assert again.status_code == 409 and "Không thể «Rút»" in again.json()["detail"]


def test_a_missing_document_leaves_no_dossier_and_no_file(client, citizen):
    response = post_birth(client, documents=json.dumps([0]), files=files("a.pdf"))
    assert response.status_code == 400
    assert "Giấy chứng sinh" in response.json()["detail"]
    assert not Dossier.objects.exists()


def test_bad_file_and_bad_json(client, citizen):
    bad = post_birth(client, files=[SimpleUploadedFile("a.pdf", b"plain text"),
                                    SimpleUploadedFile("b.pdf", PDF)])
    assert bad.status_code == 400 and "không phải PDF" in bad.json()["detail"]
    assert post_birth(client, form="{not json").status_code == 400
    assert post_birth(client, agency=Agency.objects.get(name="Sở Tư pháp").pk).status_code == 400
    assert not Dossier.objects.exists()


def test_the_api_needs_a_login_and_shows_only_my_dossiers(client, citizen):
    code = post_birth(client).json()["code"]
    client.logout()
    assert client.get("/api/v1/dossiers").status_code == 401
    assert client.login(username="doanhnghiep", password="demo-dichvucong")
    assert client.get("/api/v1/dossiers").json() == []
    assert client.get(f"/api/v1/dossiers/{code}").status_code == 404


def test_listing_pages_by_key(client, citizen, django_assert_max_num_queries):
    from dichvucong.dossiers.api import _out

    codes = [post_birth(client).json()["code"] for _ in range(3)]
    # The session, the user, their roles, the page and its results: none per row, the list
    # reading only the columns it shows (``OUT_FIELDS``).
    with django_assert_max_num_queries(5):
        first = client.get("/api/v1/dossiers", {"limit": 2}).json()
    second = client.get("/api/v1/dossiers", {"limit": 2, "before": first[-1]["id"]}).json()
    assert [d["code"] for d in first + second] == list(reversed(codes))
    # Those columns alone give what the whole rows give (times apart: JSON's text).
    whole = [_out(d) for d in Dossier.objects.filter(code__in=codes).order_by("-id")]
    for listed, expected in zip(first + second, whole, strict=True):
        assert ({k: v for k, v in listed.items() if not k.endswith("_at")}
                == {k: v for k, v in expected.items() if not k.endswith("_at")})
        assert [listed[k] is None for k in listed if k.endswith("_at")] == [
            expected[k] is None for k in expected if k.endswith("_at")]
    with django_assert_max_num_queries(6):  # … and the events
        detail = client.get(f"/api/v1/dossiers/{codes[0]}").json()
    assert detail["procedure_name"] == whole[-1]["procedure_name"] and detail["form_data"]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_dossier_whose_fee_was_asked_for_reads_with_its_events(client, citizen, language):
    """Issue #14 item 4: the fee request's event label is a lazy translation; the detail endpoint
    answered 500 once one was there. In both languages the label reads as plain text."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from tests.payments_support import due_dossier

    dossier = due_dossier(get_user_model().objects.get(username="congdan"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # the language switch's cookie
    response = client.get(f"/api/v1/dossiers/{dossier.code}")
    assert response.status_code == 200, response.content[:300]
    events = {e["action"]: e["label"] for e in response.json()["events"]}
    assert events["fee_requested"] == {"vi": "Yêu cầu nộp phí, lệ phí",
                                       "en": "Fee payment requested"}[language]


def _result(dossier, number: str, **fields):
    from dichvucong.results.models import Result, SigningState

    return Result.objects.create(
        number=number, token=number.replace("/", "-"), year=2026, sequence=int(number[:6]),
        agency=dossier.agency, dossier=dossier, title="Giấy khai sinh",
        holder_name="Nguyễn Văn An", issue_date=date(2026, 3, 5), pdf="ket-qua/kq.pdf",
        signing_state=SigningState.DONE, **fields)


def test_a_result_ready_to_download_shows_in_the_list_and_the_dossier_in_one_query(
        client, citizen, django_assert_num_queries):
    """The result's availability is a column of the dossiers' query (issue #19): the list
    reads the session, the user with their roles, and the dossiers; nothing else."""
    from dichvucong.results.models import Status
    from tests import builders

    def done(code: str):
        return builders.row(code=code, state="done", applicant_name="An", channel="online")

    ready, revoked = done("H17.31-260305-0001"), done("H17.31-260305-0002")
    _result(ready, "000001/2026/KQ")
    _result(revoked, "000002/2026/KQ", status=Status.REVOKED)
    done("H17.31-260305-0003")  # no result
    client.get("/api/v1/dossiers")
    with django_assert_num_queries(3):
        listed = client.get("/api/v1/dossiers").json()
    labels = {d["code"]: d["state_label"] for d in listed}
    assert labels["H17.31-260305-0001"] == "Đã có kết quả — tải về"
    assert labels["H17.31-260305-0002"] == labels["H17.31-260305-0003"] != \
        labels["H17.31-260305-0001"]
    for code, label in labels.items():
        assert client.get(f"/api/v1/dossiers/{code}").json()["state_label"] == label
