"""Decision 766 in full and the wards' digital-transformation indicators against a small history
whose every expected number is worked out by hand below (issue #22, item 5), and the IOC's ward
page over HTTP with its access rules.

Hải Châu ward's People's Committee, birth registration 1.001193 (same day), December 2026, every
dossier received Tuesday 1/12 at 08:00; ``NOW`` is Thursday 10/12 10:00. The demo citizen
«congdan» logs in with VNeID (level 2).

====  =======  =========  ===========  ====================================  ===================
 id   channel  applicant  fee          components                            what happens
====  =======  =========  ===========  ====================================  ===================
 H1   online   citizen,   50 000,      a scan and one taken from the         result (electronic)
               congdan    paid VNPay   data store                            1/12 10:00, put
                                                                             into the store
 H2   counter  citizen,   50 000,      a scan made at reception              result (paper)
               no account paid cash                                          3/12 10:00: late
 H3   online   an enter-  none         none                                  result (electronic)
               prise                                                         1/12 10:00
 H4   agent    citizen,   50 000,      a scan                                being examined:
               congdan    not paid                                           overdue now
====  =======  =========  ===========  ====================================  ===================

Feedback to Hải Châu: F1 received 1/12, answered 2/12 (on time); F2 received 7/12, open, due
after NOW. Accounts with an address in Hải Châu: A1 opened 15/11, A2 opened 5/12, an official
(not counted), A3 opened 5/12 in another ward (not counted).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from dichvucong.accounts.assurance import IdentitySource
from dichvucong.accounts.models import User
from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.datastore.models import AttachmentOrigin, Kind, StoredDocument
from dichvucong.dossiers.models import Attachment, Dossier
from dichvucong.feedback import services as feedback
from dichvucong.monitor import metrics, wards
from dichvucong.monitor.metrics import Scope
from dichvucong.monitor.models import DailyFact
from dichvucong.opendata import builders as open_builders
from dichvucong.pipeline import worker as pipeline
from tests import builders
from tests.builders import HAI_CHAU, user
from tests.monitor_fixture import Actors, examine, pay, receive, resolve

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 10, 10, 0, tzinfo=VN)
DECEMBER = Scope(date(2026, 12, 1), date(2026, 12, 31))


def at(day: int, hour: int = 8, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=VN)


def component(dossier: Dossier, *, from_store: bool = False) -> Attachment:
    token = uuid.uuid4().hex
    made = Attachment.objects.create(
        dossier=dossier, requirement="Tờ khai đăng ký khai sinh", token=token, extension=".pdf",
        file=f"{token}.pdf", original_name="to-khai.pdf", content_type="application/pdf",
        size=1, sha256="0" * 64)
    if from_store:
        AttachmentOrigin.objects.create(attachment=made, note="Lấy từ kho dữ liệu")
    return made


def citizen(username: str, unit: AdministrativeUnit, joined: datetime) -> User:
    return User.objects.create(username=username, date_joined=joined,
                               address={"province": "48", "commune": unit.code})


def build() -> dict[str, Dossier]:
    hai_chau = Agency.objects.get(name=HAI_CHAU)
    ward = hai_chau.administrative_unit
    birth = Procedure.objects.select_related("current_version").get(code=builders.BIRTH)
    h = Actors("haichau")
    User.objects.filter(username="congdan").update(identity_source=IdentitySource.VNEID_2)
    # Only this file's accounts live in Hải Châu.
    User.objects.filter(address__commune=ward.code).update(address={})
    d: dict[str, Dossier] = {}

    def draft(channel: str, fee: int, **kw) -> Dossier:
        return builders.row(procedure=birth, agency=hai_chau, channel=channel, state="draft",
                            applicant_name="Nguyễn Văn An", fee_amount=fee, **kw)

    d["H1"] = draft("online", 50000, applicant_type="citizen")
    component(d["H1"])
    component(d["H1"], from_store=True)
    receive(d["H1"], h, at(1))
    pay(d["H1"], "vnpay")
    examine(d["H1"], h, at(1, 9))
    resolve(d["H1"], h, at(1, 10))
    StoredDocument.objects.create(
        owner=user("congdan"), kind=Kind.RESULT, document_type="Giấy khai sinh",
        type_key="giay-khai-sinh", title="Giấy khai sinh", file="kq.pdf", original_name="kq.pdf",
        content_type="application/pdf", size=1, sha256="0" * 64, source_dossier=d["H1"],
        dated_at=at(1, 10))

    d["H2"] = draft("in_person", 50000, applicant=None, applicant_type="citizen")
    component(d["H2"])
    receive(d["H2"], h, at(1))
    pay(d["H2"], "cash")
    examine(d["H2"], h, at(1, 9))
    resolve(d["H2"], h, at(3, 10), digital=False)

    d["H3"] = draft("online", 0, applicant_type="enterprise")
    receive(d["H3"], h, at(1))
    examine(d["H3"], h, at(1, 9))
    resolve(d["H3"], h, at(1, 10))

    d["H4"] = draft("agent", 50000, applicant_type="citizen",
                    submitted_by=user("daily.buudien"))
    component(d["H4"])
    receive(d["H4"], h, at(1))
    examine(d["H4"], h, at(1, 9))

    sender = feedback.Sender(user=None, name="Trần Thị Hoa", phone="0905000111")
    f1 = feedback.submit(feedback.Draft(subject="procedure", agency_id=hai_chau.pk,
                                        content="Xin hỏi thời hạn đăng ký khai sinh."),
                         sender, now=at(1, 9))
    feedback.answer(f1.pk, user("lanhdao.haichau"), "Trong ngày làm việc.", now=at(2, 9))
    feedback.submit(feedback.Draft(subject="procedure", agency_id=hai_chau.pk,
                                   content="Xin hỏi lệ phí đăng ký khai sinh."),
                    sender, now=at(7, 9))

    citizen("a1.haichau", ward, at(15, month=11))
    citizen("a2.haichau", ward, at(5))
    official = citizen("cb.haichau", ward, at(5))
    official.memberships.create(agency=hai_chau, role="specialist")
    other = AdministrativeUnit.objects.filter(level="commune").exclude(pk=ward.pk).first()
    citizen("a3.khac", other, at(5))

    pipeline.drain()
    return d


def test_766_in_full_and_the_ward_indicators_against_hand_computed_figures():
    build()
    hai_chau = Agency.objects.get(name=HAI_CHAU)
    scope = Scope(DECEMBER.start, DECEMBER.end, agency_ids=(hai_chau.pk,))
    result = metrics.national_index(scope, now=NOW)
    got = {i.code: (i.numerator, i.denominator, i.value, i.points) for i in result.indicators}
    # 2.1 (the period reaches today): (on time H1, H3 + open H4 − overdue H4) ÷ (resolved 3 +
    # open 1) = 2 ÷ 4 = 50 % × 20.
    assert got["2.1"] == (2, 4, 50.0, 10.0)
    # 2.2: working days H1 0 + H2 2 (1/12 → 3/12) + H3 0 = 2 over 3 resolved: 0.67 days, no
    # points (an average).
    assert got["2.2"] == (2, 3, 0.67, None)
    # 3.3: online H1, H3 and the agent's H4 ÷ 4 = 75 % ≥ 50 % → 6.
    assert got["3.3"] == (3, 4, 75.0, 6.0)
    # 3.5: the one procedure with fee-bearing dossiers had one paid online: 100 % → 2.
    assert got["3.5"] == (1, 1, 100.0, 2.0)
    # 3.6: paid online H1 ÷ fee-bearing H1, H2, H4 = 33.33 % ≥ 30 % → 6.
    assert got["3.6"] == (1, 3, 33.33, 6.0)
    # 4.1: electronic results H1, H3 ÷ results 3 = 66.67 % × 6 = 4.0.
    assert got["4.1"] == (2, 3, 66.67, 4.0)
    # 4.2: a component and an electronic result: H1 only (H2's result is paper, H3 has no
    # component) ÷ 3 = 33.33 %, × 4 ÷ 80 % = 1.67.
    assert got["4.2"] == (1, 3, 33.33, 1.67)
    # 4.3: a component from the store: H1 ÷ received 4 = 25 %, × 2 ÷ 80 % = 0.625, which
    # Python rounds half to even: 0.62.
    assert got["4.3"] == (1, 4, 25.0, 0.62)
    # 4.4: from the store or a result put into it: H1 ÷ 4 = 25 %; no verified points.
    assert got["4.4"] == (1, 4, 25.0, None)
    # 4.5: citizens' dossiers H1, H2, H4; from a VNeID account or the store: H1, H4 = 66.67 %.
    assert got["4.5"] == (2, 3, 66.67, None)
    # 5.1: F1 answered on time + F2 open before its due time ÷ 2 = 100 % → 6.
    assert got["5.1"] == (2, 2, 100.0, 6.0)
    # 1.3 counts the procedures whose current version publishes the seven parts of Decree
    # 63/2010 Art. 8(2). The demo catalogue has no «trình tự thực hiện»: none does, until birth
    # registration gets its steps, channels and subjects; emptied of its steps, it no longer does.
    assert got["1.3"][0] == 0 and got["1.3"][1] > 0
    birth = Procedure.objects.get(code=builders.BIRTH).current_version
    complete = {**birth.definition, "steps_text": "Bước 1: nộp tờ khai…",
                "channels": [{"channel": "online"}], "applicant_types": ["Công dân Việt Nam"]}
    for definition, expected in ((complete, 1), ({**complete, "steps_text": ""}, 0)):
        birth.definition = definition
        birth.save(update_fields=["definition"])
        again = {i.code: i for i in metrics.national_index(scope, now=NOW).indicators}
        assert again["1.3"].numerator == expected
    # What no data in the platform gives stays unmeasured, with the reason stored.
    by_code = {i.code: i for i in result.indicators}
    for code in ("1.1", "1.2", "3.5b"):
        assert got[code] == (None, None, None, None)
        assert by_code[code].rule == "not_measured" and "Không đo được" in by_code[code].note
    assert not [c for c, i in by_code.items() if i.rule == "not_measured"
                and c not in ("1.1", "1.2", "3.5b")]
    # The city's index per agency agrees with the agency's own.
    assert metrics.index_by_agency(DECEMBER, now=NOW)[hai_chau.pk].indicators == \
        result.indicators

    # The ward: the same dossiers (they are all Hải Châu's), its accounts and feedback.
    (ward,) = wards.ward_indicators(2026, 12, [hai_chau.administrative_unit_id], now=NOW)
    row = ward.as_row()
    assert (row["received"], row["online_received"], row["online_rate"]) == (4, 3, 75.0)
    assert (row["paid_online"], row["fee_bearing"], row["paid_online_rate"]) == (1, 3, 33.33)
    assert (row["digital_result"], row["with_result"], row["digital_result_rate"]) == \
        (2, 3, 66.67)
    assert (row["on_time"], row["resolved"], row["on_time_rate"]) == (2, 3, 66.67)  # H2 late
    assert (row["reused"], row["reuse_rate"]) == (1, 25.0)
    # A1 (November) and A2 (December); not the official, not A3 of another ward.
    assert (row["accounts"], row["accounts_opened"]) == (2, 1)
    assert (row["feedback_received"], row["feedback_on_time"],
            row["feedback_on_time_rate"]) == (2, 2, 100.0)
    # The open dataset publishes the same row (counts and rates, no person).
    spec = open_builders.wards_dataset(open_builders.city_committee())
    (published,) = [r for r in spec.tables[0].rows
                    if (r["period"], r["ward_code"]) == ("2026-12", ward.code)]
    dossier_keys = [f.id for f in open_builders.WARD_FIELDS if not f.id.startswith("feedback")]
    assert {k: published[k] for k in dossier_keys} == \
        {"period": "2026-12", **{k: row[k] for k in dossier_keys[1:]}}
    # November: only A1 existed, nothing else happened.
    (before,) = wards.ward_indicators(2026, 11, [hai_chau.administrative_unit_id], now=NOW)
    assert before.as_row()["accounts"] == 1 and before.figures.received == 0


def test_digitisation_and_reuse_are_sums_of_the_facts_not_tests_of_each_dossiers_files():
    build()
    hai_chau = Agency.objects.get(name=HAI_CHAU)
    # The hand-computed figures above (4.2 to 4.5), kept in the daily facts by the same code as
    # the others: H1 digitised, reused and shared; H1, H2, H4 citizens', H1 and H4 of them from
    # VNeID or the store.
    sums = DailyFact.objects.filter(agency=hai_chau).aggregate(
        **{name: Sum(name) for name in metrics.DIGITAL_QUANTITIES})
    assert sums == {"digitised": 1, "reused": 1, "shared": 1, "citizen_received": 3,
                    "population_data": 2}
    # Reading them reads those sums: no dossier's files, store documents or account (a month of
    # the city's wards tested 28,018 dossiers' files: 1.8 to 2.4 s a page).
    with CaptureQueriesContext(connection) as read:
        counts = metrics.digital_counts(DECEMBER, by="ward_id")
        (ward,) = wards.ward_indicators(2026, 12, [hai_chau.administrative_unit_id], now=NOW)
    assert counts == {hai_chau.administrative_unit_id: sums}
    assert ward.as_row()["reused"] == 1
    files = ("dossiers_attachment", "datastore_", "identity_source")
    assert not [q["sql"] for q in read.captured_queries if any(t in q["sql"] for t in files)]


def test_the_ward_page_by_month_for_whom_may_see_it(client):
    build()
    hai_chau = Agency.objects.get(name=HAI_CHAU)
    page = "/giam-sat/phuong-xa/?month=2026-12"
    assert client.get(page).status_code == 302  # to the login page
    client.force_login(user("congdan"))
    assert client.get(page).status_code == 403
    client.force_login(user("thutruong.sotuphap"))  # a department's head: no ward
    assert client.get(page).status_code == 403
    client.force_login(user("lanhdao.haichau"))  # the ward's leader: its own ward only
    html = client.get(page).content.decode()
    code = hai_chau.administrative_unit.code
    assert html.count("data-ward=") == 1 and f'data-ward="{code}"' in html
    assert "75,00 %" in html and "33,33 %" in html and "66,67 %" in html
    assert '<option value="2026-12" selected>' in html and "<script" not in html
    client.force_login(user("ioc"))  # the city: every ward, an unknown month is this month
    html = client.get("/giam-sat/phuong-xa/?month=1999-01").content.decode()
    assert html.count("data-ward=") == len(wards.wards_of()) > 1
    assert f'data-ward="{code}"' in html and "Nhân lực số" in html
    # The agency's 766 table shows why an indicator is not measured, and 2.2 in working days.
    html = client.get(f"/giam-sat/co-quan/{hai_chau.pk}/?start=2026-12-01&end=2026-12-31"
                      ).content.decode()
    row = html.split('data-indicator="1.2"')[1].split("</tr>")[0]
    assert "Không đo được tại hệ thống" in row and "chưa đo" in row
    row = html.split('data-indicator="2.2"')[1].split("</tr>")[0]
    assert "ngày làm việc" in row and "không tính điểm" in row
