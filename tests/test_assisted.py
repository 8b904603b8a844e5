"""The assisted channels' register and counts (``assisted/counts.py``) against a hand-computed
month, and the IOC's pages over HTTP with the IOC's access rules.

October 2026, local days. Ward A is Hải Châu (its committee is the demo's commune agency), ward
B another ward of the city.

=====  =======================================================  ============================
 ward   register on 31/10                                        counted
=====  =======================================================  ============================
 A      T1 (2026-01-01): leader «tocongnghe», deputy, member;    teams 2 (T1, T2), members 4
        a member who left 10/10, one who joins 10/11;
        T2 founded 20/10 with one member; T3 founded 5/11;
        T4 dissolved 15/10 (one member)
 A      P1 post office, staff «daily.buudien»                    points 1
 B      T5 with two members                                      teams 1, members 2
=====  =======================================================  ============================

What they did in October:

* accounts helped, A: 5 (T1's leader, 3/10) + 2 (P1, 30/10) + 1 account registered with a
  consent (10/10; another consent without a new account is not one) + 30 at the event = 38;
  B: 4 (12/10). Recorded 1/11: not October's.
* dossiers filed with consent, A: «tocongnghe» 5/10 twice and 31/10 23:30 local (16:30 UTC,
  still October), not 30/9 23:30 local (16:30 UTC on 30/9); «daily.buudien» once → teams 3,
  points 1. The citizen's own dossier is not one.
* events: A 17/10 (120 people, 15 dossiers), B 24/10 (50 people, 3 dossiers); A 2/11 is not.
* share: handed in, A (40 online, 5 by an agent) → 12.5 %; B none → no share.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client

from dichvucong.adminunits.models import AdministrativeUnit
from dichvucong.assisted import counts
from dichvucong.assisted.models import (
    AccountHelp,
    DigitalTeam,
    Member,
    OutreachEvent,
    ServicePoint,
)
from dichvucong.dossiers.models import AgentConsent, ConsentEvent
from dichvucong.monitor import facts
from tests import builders
from tests.feedback_support import login

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
OCTOBER = counts.Month.of(dt.date(2026, 10, 1))


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=VN)


def october():
    ward_a = builders.agency().administrative_unit
    ward_b = (AdministrativeUnit.objects.filter(level="commune",
                                                parent__code=str(settings.PROVINCE_CODE))
              .exclude(pk=ward_a.pk).order_by("code").first())
    t1 = DigitalTeam.objects.create(ward=ward_a, name="Tổ CNSCĐ tổ dân phố 1",
                                    area="Tổ dân phố 1, 2", founded_on=d(1, 1))
    t2 = DigitalTeam.objects.create(ward=ward_a, name="Tổ CNSCĐ tổ dân phố 7",
                                    founded_on=d(10, 20))
    DigitalTeam.objects.create(ward=ward_a, name="Tổ CNSCĐ tổ dân phố 9", founded_on=d(11, 5))
    t4 = DigitalTeam.objects.create(ward=ward_a, name="Tổ CNSCĐ tổ dân phố 3",
                                    founded_on=d(1, 1), dissolved_on=d(10, 15))
    t5 = DigitalTeam.objects.create(ward=ward_b, name="Tổ CNSCĐ thôn 2")
    p1 = ServicePoint.objects.create(ward=ward_a, kind=ServicePoint.Kind.POST_OFFICE,
                                     name="Bưu cục Hải Châu", address="47 Lê Duẩn")
    leader = Member.objects.create(team=t1, full_name="Phạm Thị Dung", role="leader",
                                   user=builders.user("tocongnghe"))
    Member.objects.create(team=t1, full_name="Trần Văn Bình", role="deputy")
    Member.objects.create(team=t1, full_name="Lê Thị Cúc", role="member")
    Member.objects.create(team=t1, full_name="Võ Văn Dũng", left_on=d(10, 10))
    Member.objects.create(team=t1, full_name="Hồ Thị Én", joined_on=d(11, 10))
    Member.objects.create(team=t2, full_name="Đinh Văn Giáp")
    Member.objects.create(team=t4, full_name="Mai Văn Hòa")
    b1 = Member.objects.create(team=t5, full_name="Ngô Thị Ích")
    Member.objects.create(team=t5, full_name="Lý Văn Khải")
    staff = Member.objects.create(point=p1, full_name="Lê Văn Cường", role="staff",
                                  user=builders.user("daily.buudien"))
    AccountHelp.objects.create(member=leader, day=d(10, 3), kind="create", people=5)
    AccountHelp.objects.create(member=staff, day=d(10, 30), kind="verify", people=2)
    AccountHelp.objects.create(member=b1, day=d(10, 12), kind="create", people=4)
    AccountHelp.objects.create(member=leader, day=d(11, 1), kind="create", people=100)
    agent = builders.user("tocongnghe")
    for new_account in (True, False):
        consent = AgentConsent.objects.create(
            agent=agent, agent_role="digital_team", citizen=builders.user("congdan"),
            procedure=builders.procedure(), confirmed_by="sms", given_at=at(10, 10))
        event = ConsentEvent.objects.create(consent=consent, action="given", actor=agent,
                                            data={"new_account": new_account})
        ConsentEvent.objects.filter(pk=event.pk).update(created_at=at(10, 10))
    for who, when in (("tocongnghe", at(10, 5)), ("tocongnghe", at(10, 5, 15)),
                      ("tocongnghe", at(10, 31, 23, 30)), ("tocongnghe", at(9, 30, 23, 30)),
                      ("daily.buudien", at(10, 8))):
        builders.row(state="submitted", channel="agent", submitted_by=builders.user(who),
                     submitted_at=when, applicant_name="Nguyễn Văn An")
    builders.row(state="submitted", channel="online", submitted_at=at(10, 6),
                 applicant_name="Nguyễn Văn An")
    OutreachEvent.objects.create(ward=ward_a, day=d(10, 17), place="Nhà văn hóa tổ 1",
                                 people_served=120, accounts_helped=30, dossiers_filed=15)
    OutreachEvent.objects.create(ward=ward_b, day=d(10, 24), place="Sân thôn 2",
                                 people_served=50, dossiers_filed=3)
    OutreachEvent.objects.create(ward=ward_a, day=d(11, 2), place="Chợ Hàn", people_served=80)
    return ward_a, ward_b


def test_the_counts_of_a_month_per_ward_match_the_hand_computed_fixture():
    ward_a, ward_b = october()
    a, b = counts.ward_months(OCTOBER, [ward_a.pk, ward_b.pk], {ward_a.pk: (40, 5)})
    assert (a.ward_id, a.teams, a.members, a.points) == (ward_a.pk, 2, 4, 1)
    assert (a.accounts_helped, a.team_dossiers, a.point_dossiers, a.assisted_dossiers) == (
        38, 3, 1, 4)
    assert (a.events, a.people_served, a.event_dossiers, a.share) == (1, 120, 15, 12.5)
    assert (b.teams, b.members, b.points, b.accounts_helped, b.assisted_dossiers) == (
        1, 2, 0, 4, 0)
    assert (b.events, b.people_served, b.event_dossiers, b.share) == (1, 50, 3, None)
    city = counts.total([a, b], "Toàn thành phố")
    assert (city.teams, city.members, city.accounts_helped, city.assisted_dossiers,
            city.share) == (3, 6, 42, 4, 12.5)
    # November: T3 founded, T2 still there, the joiner counted; the 1/11 help and the 2/11 event.
    nov = counts.ward_months(counts.Month.of(d(11, 1)), [ward_a.pk])[0]
    assert (nov.teams, nov.members, nov.accounts_helped, nov.events) == (3, 5, 100, 1)
    teams, points = counts.register(ward_a.pk, OCTOBER)
    by_name = {t.name: t for t in teams}
    assert set(by_name) == {"Tổ CNSCĐ tổ dân phố 1", "Tổ CNSCĐ tổ dân phố 7"}
    one = by_name["Tổ CNSCĐ tổ dân phố 1"]
    assert (one.roles["leader"], one.roles["deputy"], one.roles["member"], one.dossiers) == (
        1, 1, 1, 3)
    assert [(p.name, p.members, p.dossiers) for p in points] == [("Bưu cục Hải Châu", 1, 1)]
    assert counts.parse_month("2026-10", d(12, 7)) == OCTOBER
    assert counts.parse_month("10/2026", d(12, 7)) == counts.Month.of(d(12, 7))


def test_the_ioc_page_per_ward_with_the_ioc_access_rules():
    ward_a, ward_b = october()
    # The share comes from the monitoring facts: 4 online dossiers received by Hải Châu's
    # committee in October, 1 of them filed by an agent.
    for channel, by in (("online", None), ("online", None), ("online", None),
                        ("agent", "tocongnghe")):
        builders.row(state="received", channel=channel, received_at=at(10, 20),
                     submitted_at=at(10, 20), applicant_name="Nguyễn Văn An",
                     submitted_by=builders.user(by) if by else None)
    facts.rebuild(d(10, 1), d(10, 31))
    assert Client().get("/giam-sat/kenh-ho-tro/").status_code == 302  # to the login page
    # A citizen, an agent, the hotline, a department's head (no ward): refused.
    for username in ("congdan", "tocongnghe", "tongdai", "thutruong.sotuphap"):
        client = login(username)
        assert client.get("/giam-sat/kenh-ho-tro/").status_code == 403
        assert client.get(f"/giam-sat/kenh-ho-tro/{ward_a.pk}/").status_code == 403
    ioc = login("ioc")
    page = ioc.get("/giam-sat/kenh-ho-tro/?thang=2026-10")
    assert page.status_code == 200
    html = page.content.decode()
    row = html.split(f'data-ward="{ward_a.pk}"')[1].split("</tr>")[0]
    for name, value in (("teams", "2"), ("members", "4"), ("points", "1"), ("accounts", "38"),
                        ("team_dossiers", "4"), ("point_dossiers", "1"),
                        ("share", "25,00 %"), ("events", "1 (120)")):
        assert f'data-n="{name}">{value}' in row, name
    assert f'data-ward="{ward_b.pk}"' in html
    assert 'type="month" name="thang" value="2026-10"' in html
    register = ioc.get(f"/giam-sat/kenh-ho-tro/{ward_a.pk}/?thang=2026-10").content.decode()
    assert "Tổ CNSCĐ tổ dân phố 1" in register and "Bưu cục Hải Châu" in register
    assert "Nhà văn hóa tổ 1" in register and "Chợ Hàn" not in register
    assert "Phạm Thị Dung" not in register  # counts, not a directory of people
    # A ward's leader sees the ward of their own committee, and no other.
    leader = login("lanhdao.haichau")
    html = leader.get("/giam-sat/kenh-ho-tro/?thang=2026-10").content.decode()
    assert f'data-ward="{ward_a.pk}"' in html and f'data-ward="{ward_b.pk}"' not in html
    assert leader.get(f"/giam-sat/kenh-ho-tro/{ward_b.pk}/").status_code == 404
    assert leader.get(f"/giam-sat/kenh-ho-tro/{ward_a.pk}/").status_code == 200
