"""Citizens' satisfaction ratings (Circular 01/2018/TT-VPCP): who may rate, when, and only once;
the scoring of Decision 766's ratio 5.3 on a hand-computed fixture; the rating page's errors;
the dossier page's invitation; the JSON API."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.template.loader import render_to_string
from django.test import Client

if not apps.is_installed("dichvucong.ratings"):  # until settings list the app; CI must have it
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("dichvucong.ratings is not in INSTALLED_APPS", pytrace=False)
    pytest.skip("dichvucong.ratings is not in INSTALLED_APPS", allow_module_level=True)

from dichvucong.agencies.models import Agency  # noqa: E402
from dichvucong.catalog.models import Procedure  # noqa: E402
from dichvucong.dossiers.models import Dossier  # noqa: E402
from dichvucong.ratings import scoring, services  # noqa: E402
from dichvucong.ratings.indicators import INDICATORS  # noqa: E402
from dichvucong.ratings.models import Rating  # noqa: E402
from tests import builders  # noqa: E402
from tests.builders import HAI_CHAU, user  # noqa: E402

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FINISHED = datetime(2025, 3, 12, 10, 0, tzinfo=VN)
Q1 = (datetime(2025, 1, 1, tzinfo=VN), datetime(2025, 4, 1, tzinfo=VN))

# The hand-computed fixture: three ratings, scores out of 18.
A = (2, 2, 2, 2, 2, 2, 2, 2, 2)  # 18, very satisfied
B = (1, 1, 1, 1, 1, 1, 1, 1, 1)  # 9, satisfied
C = (2, 1, 0, 2, 1, 0, 2, 1, 0)  # 9, not satisfied
# Per indicator over A, B, C: (2+1+2)/3, (2+1+1)/3, (2+1+0)/3, then the same again twice.
MEANS = (1.67, 1.33, 1.0) * 3


# --- helpers ------------------------------------------------------------------------------------


def hai_chau() -> Agency:
    return builders.agency(HAI_CHAU)


def make_dossier(seq: int = 1, state: str = "returned", *, agency: Agency | None = None,
                 applicant: str = "congdan", finished: datetime | None = FINISHED) -> Dossier:
    agency = agency or hai_chau()
    return builders.row(
        code=f"{agency.code}-250305-{seq:04d}", agency=agency, applicant=user(applicant),
        applicant_name="Nguyễn Thị Ánh", channel="online",
        state=state, submitted_at=datetime(2025, 3, 4, 20, 5, tzinfo=VN),
        received_at=datetime(2025, 3, 5, 8, 15, tzinfo=VN), finished_at=finished,
    )


def form(scores=A, overall: str = "very_satisfied", comment: str = "") -> dict:
    data = {f"indicator_{n}": str(p) for n, p in enumerate(scores, start=1) if p is not None}
    if overall:
        data["overall"] = overall
    if comment:
        data["comment"] = comment
    return data


def answers(scores, overall: str) -> services.Answers:
    return services.Answers(indicators=tuple(scores), overall=overall, comment="")


def rate_url(dossier: Dossier) -> str:
    return f"/ho-so/{dossier.code}/danh-gia/"


def api_url(dossier: Dossier) -> str:
    return f"/api/v1/ratings/{dossier.code}"


@pytest.fixture
def citizen(client):
    client.force_login(user("congdan"))
    return client


# --- scoring -------------------------------------------------------------------------------------


def test_dossier_score_adds_the_nine_indicators():
    assert scoring.dossier_score(A, "very_satisfied") == scoring.DossierScore(18, 100.0, True)
    assert scoring.dossier_score(B, "satisfied") == scoring.DossierScore(9, 50.0, True)
    assert scoring.dossier_score(C, "not_satisfied") == scoring.DossierScore(9, 50.0, False)
    # A complaint about the dossier makes it "not satisfied" whatever its rating.
    assert not scoring.dossier_score(A, "very_satisfied", complained=True).satisfied
    with pytest.raises(ValueError):
        scoring.dossier_score(A[:8], "satisfied")
    with pytest.raises(ValueError):
        scoring.dossier_score((3, *A[1:]), "satisfied")
    with pytest.raises(ValueError):
        scoring.dossier_score(A, "chưa hài lòng")


def rated(code: str, scores, overall: str):
    return SimpleNamespace(dossier_code=code, answers=scores, overall=overall)


FIXTURE = [rated("HS-A", A, "very_satisfied"), rated("HS-B", B, "satisfied"),
           rated("HS-C", C, "not_satisfied")]


def test_aggregate_on_a_hand_computed_fixture():
    # Five dossiers resolved, three rated; complaints about B (rated) and D (not rated).
    # Not satisfied: C (rating), B and D (complaints) = 3 → (5 − 3) ÷ 5 = 40 %
    # → 40 × 6 ÷ 90 = 2.67 points of 6.
    figures = scoring.aggregate(FIXTURE, dossiers=5, complaints={"HS-B", "HS-D"})
    assert figures.dossiers == 5 and figures.rated == 3
    assert figures.indicator_means == MEANS
    assert figures.mean_total == 12.0  # (18 + 9 + 9) ÷ 3
    assert figures.overall_counts == {"very_satisfied": 1, "satisfied": 1, "not_satisfied": 1}
    assert figures.not_satisfied == 3
    assert figures.rate == 40.0 and figures.points == 2.67


def test_aggregate_rate_and_points():
    # Without complaints only C is not satisfied: 4 ÷ 5 = 80 % → 80 × 6 ÷ 90 = 5.33.
    figures = scoring.aggregate(FIXTURE, dossiers=5)
    assert (figures.not_satisfied, figures.rate, figures.points) == (1, 80.0, 5.33)
    # A complaint about a dossier also rated "không hài lòng" counts it once.
    assert scoring.aggregate(FIXTURE, dossiers=5, complaints={"HS-C"}).not_satisfied == 1
    # Full points from 90 %: 9 of 10.
    assert scoring.aggregate(FIXTURE, dossiers=10).points == 6.0
    # Without a denominator, the rated dossiers: 2 ÷ 3.
    assert scoring.aggregate(FIXTURE).rate == 66.67
    empty = scoring.aggregate([], dossiers=0)
    assert empty.rate is None and empty.points is None and empty.mean_total is None
    assert scoring.aggregate([], dossiers=4).rate == 100.0
    with pytest.raises(ValueError):
        scoring.aggregate(FIXTURE, dossiers=2)
    with pytest.raises(ValueError):
        scoring.aggregate([*FIXTURE, rated("HS-A", B, "satisfied")])


def test_the_database_figures_match_the_fixture():
    codes = {}
    for seq, state in enumerate(["returned", "done", "refused", "rejected", "returned"], 1):
        codes[seq] = make_dossier(seq, state).code
    dossiers = {d.code: d for d in Dossier.objects.filter(code__in=codes.values())}
    for seq, scores, overall in [(1, A, "very_satisfied"), (2, B, "satisfied"),
                                 (3, C, "not_satisfied")]:
        services.rate(dossiers[codes[seq]], user("congdan"), answers(scores, overall))
    # Not counted: still processing; finished after the quarter; another agency's.
    make_dossier(6, "examining", finished=None)
    late = make_dossier(7, "done", finished=datetime(2025, 4, 2, tzinfo=VN))
    services.rate(late, user("congdan"), answers(C, "not_satisfied"))
    other = make_dossier(8, "done", agency=Agency.objects.get(name="Sở Tư pháp"))
    services.rate(other, user("congdan"), answers(C, "not_satisfied"))

    figures = services.figures(agency=hai_chau(), since=Q1[0], until=Q1[1],
                               complaints=frozenset({codes[2], codes[4]}))
    assert figures == scoring.aggregate(
        [rated(r.dossier_code, r.answers, r.overall)
         for r in Rating.objects.filter(dossier_code__in=[codes[1], codes[2], codes[3]])],
        dossiers=5, complaints={codes[2], codes[4]})
    assert (figures.dossiers, figures.rated, figures.rate, figures.points) == (5, 3, 40.0, 2.67)
    assert figures.indicator_means == MEANS
    procedure_figures = services.figures(procedure=Procedure.objects.get(code="1.001193"))
    assert (procedure_figures.dossiers, procedure_figures.rated) == (7, 5)


# --- who, when, once ----------------------------------------------------------------------------


def test_only_the_applicant_may_rate(client):
    dossier = make_dossier()
    assert client.get(rate_url(dossier)).status_code == 302  # to the login page
    for other in ("doanhnghiep", "motcua.haichau"):
        client.force_login(user(other))
        assert client.get(rate_url(dossier)).status_code == 404
        assert client.post(rate_url(dossier), form()).status_code == 404
    assert not Rating.objects.exists()


@pytest.mark.parametrize("state", ["returned", "done", "refused", "rejected"])
def test_rating_is_open_once_the_dossier_has_its_outcome(citizen, state):
    dossier = make_dossier(state=state)
    page = citizen.get(rate_url(dossier))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<fieldset") == 10  # nine indicators and the overall rating
    for indicator in INDICATORS:
        assert indicator.title in html
    assert "Rất hài lòng" in html and "Không hài lòng" in html


@pytest.mark.parametrize("state", ["submitted", "examining", "result_ready", "withdrawn"])
def test_no_rating_before_the_outcome(citizen, state):
    dossier = make_dossier(state=state)
    page = citizen.get(rate_url(dossier))
    assert page.status_code == 409
    html = page.content.decode()
    assert "Chỉ đánh giá được sau khi hồ sơ đã được trả kết quả" in html
    assert "<fieldset" not in html
    response = citizen.post(rate_url(dossier), form())
    assert response.status_code == 409
    assert not Rating.objects.exists()


def test_a_dossier_is_rated_once(citizen):
    dossier = make_dossier(state="done")
    response = citizen.post(rate_url(dossier), form(C, "not_satisfied", "Phải đi lại hai lần."),
                            follow=True)
    assert response.redirect_chain[-1][0] == f"/ho-so/{dossier.code}/"
    assert f"Cảm ơn bạn đã đánh giá việc giải quyết hồ sơ {dossier.code}." in (
        response.content.decode())
    rating = Rating.objects.get()
    assert rating.dossier == dossier and rating.dossier_code == dossier.code
    assert rating.agency == dossier.agency and rating.procedure == dossier.procedure
    assert rating.dossier_state == "done" and rating.rated_by == user("congdan")
    assert rating.answers == C and rating.total == 9 and rating.overall == "not_satisfied"
    assert rating.comment == "Phải đi lại hai lần." and rating.created_at is not None

    again = citizen.post(rate_url(dossier), form(A, "very_satisfied"))
    assert again.status_code == 409
    html = again.content.decode()
    assert f"Hồ sơ {dossier.code} đã được đánh giá lúc" in html
    assert "Mỗi hồ sơ chỉ được đánh giá một lần." in html
    assert "Không hài lòng" in html and "9/18" in html  # the rating given, unchanged
    assert Rating.objects.get().answers == C
    with pytest.raises(services.RatingError) as refused:
        services.rate(dossier, user("congdan"), answers(A, "satisfied"))
    assert refused.value.code == "already_rated"


# --- the form -----------------------------------------------------------------------------------


def test_missing_answers_show_every_error_and_keep_the_choices(citizen):
    dossier = make_dossier()
    chosen = (2, 1, None, 0, 2, 1, None, 2, 1)  # indicators 3 and 7 left out
    response = citizen.post(rate_url(dossier), form(chosen, overall="", comment="Nhanh."))
    assert response.status_code == 400
    html = response.content.decode()
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert "Có 3 chỗ cần sửa" in summary
    assert summary.count("<li>") == 3
    assert '<a href="#indicator_3-2">Cần chọn một mức điểm (2, 1 hoặc 0) cho chỉ số 3.</a>' \
        in summary
    assert '<a href="#indicator_7-2">' in summary and "cho chỉ số 7." in summary
    assert '<a href="#overall-very_satisfied">Cần chọn mức độ hài lòng chung' in summary
    # Each error also beside its group, which names it.
    for name in ("indicator_3", "indicator_7", "overall"):
        assert f'<fieldset id="{name}" aria-describedby="{name}-error">' in html
        assert f'<p class="field-error" id="{name}-error">' in html
    assert html.count('class="field-error"') == 3
    # What was chosen is still chosen; nothing else is.
    checked = set(re.findall(r'id="([\w-]+)" name="\w+" value="\w+" checked', html))
    assert checked == {f"indicator_{n}-{p}" for n, p in enumerate(chosen, 1) if p is not None}
    assert ">Nhanh.</textarea>" in html
    assert not Rating.objects.exists()

    # The same page, completed, goes through.
    fixed = form((2, 1, 1, 0, 2, 1, 2, 2, 1), overall="satisfied", comment="Nhanh.")
    assert citizen.post(rate_url(dossier), fixed).status_code == 302
    assert Rating.objects.get().answers == (2, 1, 1, 0, 2, 1, 2, 2, 1)


def test_out_of_range_values_and_a_long_comment_are_refused(citizen):
    dossier = make_dossier()
    data = {**form(), "indicator_1": "3", "indicator_2": "hai", "overall": "tuyệt vời",
            "comment": "x" * 2001}
    html = citizen.post(rate_url(dossier), data).content.decode()
    assert "Có 4 chỗ cần sửa" in html
    assert "cho chỉ số 1." in html and "cho chỉ số 2." in html
    assert "Ý kiến khác dài tối đa 2.000 ký tự." in html
    assert not Rating.objects.exists()


# --- the dossier page ---------------------------------------------------------------------------


def test_the_prompt_invites_a_rating_then_shows_it():
    dossier = make_dossier()
    html = render_to_string("ratings/_prompt.html",
                            {"dossier": dossier, **services.rating_context(dossier)})
    assert f'href="/ho-so/{dossier.code}/danh-gia/"' in html
    services.rate(dossier, user("congdan"), answers(B, "satisfied"))
    html = render_to_string("ratings/_prompt.html",
                            {"dossier": dossier, **services.rating_context(dossier)})
    assert "danh-gia" not in html
    assert "Đánh giá của bạn" in html and "Hài lòng" in html and "9/18" in html
    waiting = make_dossier(2, "examining")
    assert services.rating_context(waiting) == {"rating": None, "rating_allowed": False}
    assert render_to_string("ratings/_prompt.html",
                            {"dossier": waiting, **services.rating_context(waiting)}).strip() \
        == ""


def test_the_dossier_page_includes_the_prompt(citizen):
    dossier = make_dossier()
    html = citizen.get(f"/ho-so/{dossier.code}/").content.decode()
    assert f'href="/ho-so/{dossier.code}/danh-gia/"' in html
    citizen.post(rate_url(dossier), form(A, "very_satisfied"))
    html = citizen.get(f"/ho-so/{dossier.code}/").content.decode()
    assert "Đánh giá của bạn" in html and "18/18" in html
    assert f'href="/ho-so/{dossier.code}/danh-gia/"' not in html


# --- the API ------------------------------------------------------------------------------------


def post_json(client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_rate_through_the_api(citizen):
    dossier = make_dossier(state="refused")
    before = citizen.get(api_url(dossier))
    assert before.status_code == 404 and before.json()["code"] == "not_rated"
    created = post_json(citizen, api_url(dossier),
                        {"indicators": list(C), "overall": "not_satisfied", "comment": "Chậm."})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["dossier_code"] == dossier.code
    assert body["agency_code"] == dossier.agency.code and body["procedure_code"] == "1.001193"
    assert body["indicators"] == list(C) and body["total"] == 9
    assert body["overall_label"] == "Không hài lòng" and body["comment"] == "Chậm."
    got = citizen.get(api_url(dossier))
    assert got.status_code == 200 and got.json() == body
    again = post_json(citizen, api_url(dossier), {"indicators": list(A), "overall": "satisfied"})
    assert again.status_code == 409 and again.json()["code"] == "already_rated"
    assert Rating.objects.get().answers == C


def test_the_api_checks_answers_and_state(citizen):
    dossier = make_dossier()
    short = post_json(citizen, api_url(dossier), {"indicators": [2] * 8, "overall": "meh"})
    assert short.status_code == 400
    errors = short.json()["errors"]
    assert set(errors) == {"indicators", "overall"}
    bad = post_json(citizen, api_url(dossier),
                    {"indicators": [2, 2, 5, 2, 2, 2, 2, 2, -1], "overall": "satisfied"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"indicator_3", "indicator_9"}
    waiting = make_dossier(2, "result_ready")
    early = post_json(citizen, api_url(waiting), {"indicators": list(A), "overall": "satisfied"})
    assert early.status_code == 409 and early.json()["code"] == "not_yet"
    assert "Chỉ đánh giá được sau khi" in citizen.get(api_url(waiting)).json()["detail"]
    assert not Rating.objects.exists()


def test_the_api_needs_the_applicants_session(client):
    dossier = make_dossier()
    body = {"indicators": list(A), "overall": "satisfied"}
    assert client.get(api_url(dossier)).status_code == 401
    assert post_json(client, api_url(dossier), body).status_code == 401
    client.force_login(user("doanhnghiep"))
    assert client.get(api_url(dossier)).status_code == 404
    assert post_json(client, api_url(dossier), body).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user("congdan"))
    assert post_json(strict, api_url(dossier), body).status_code == 403
    assert not Rating.objects.exists()


def test_the_questionnaire_is_public():
    response = Client().get("/api/v1/ratings/indicators")
    assert response.status_code == 200
    body = response.json()
    assert [i["number"] for i in body["indicators"]] == list(range(1, 10))
    assert [level["value"] for level in body["indicators"][0]["levels"]] == [2, 1, 0]
    assert [o["label"] for o in body["overall"]] == ["Rất hài lòng", "Hài lòng",
                                                      "Không hài lòng"]
