"""The assisted channels in the synthetic history (``history.py`` calls it): the register of
community digital teams, post offices and service agents for every ward of the loaded ward list,
the platform accounts of a few members, which generated online dossiers those accounts filed for
citizens, the accounts members helped create or verify, and weekend «ngày hội chuyển đổi số».

The register's size follows Đà Nẵng's own figures (Sở Khoa học và Công nghệ, reported by
VnEconomy on 25/12/2025, «Đà Nẵng có hơn 24.000 thành viên các Tổ công nghệ số cộng đồng và Đề
án 06», vneconomy.vn/da-nang-co-hon-24000-thanh-vien-cac-to-cong-nghe-so-cong-dong-va-de-an-06.htm):
after the 2025 merger, 93 of 93 communes and wards had set up their teams, one per
residential group or village (tổ dân phố, thôn), 3,766 teams with about 24,303 members, each
team led by the residential group's head (tổ trưởng) with the Youth Union's secretary as deputy.
Members help residents install and activate VNeID at level 2 and file online (Báo Đà Nẵng,
14/08/2025, «Chuyển đổi số bắt đầu từ nhân dân - Bài 1»): the account helps below.
Before the merger the city reported about 2,500 teams and 13,000 members (the figure in issue
#22; its source was not found here). So: about 40 teams per ward, 6 or 7 members each, for a
history of 20,000 dossiers or more; a smaller one (a test's) gets proportionally fewer teams.

Not sourced, chosen to look plausible (mark them so if you show the demo as data): one post
office (Bưu điện văn hóa xã, VNPost) per ward and a service agent in about a third of them;
agents file 5 % of the online dossiers of the wards' own agencies at first, rising to 9 %; an
event in about half of the wards each month.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Max

from dichvucong.accounts.models import Membership, Role, User
from dichvucong.agencies.models import Agency
from dichvucong.assisted.models import (
    AccountHelp,
    DigitalTeam,
    Member,
    OutreachEvent,
    ServicePoint,
)

TEAMS_PER_WARD = (25, 56)  # uniform: 40.5 on average, as 3,766 teams in 93 wards
FULL_SCALE = 20_000  # a history of fewer dossiers gets as many fewer teams (a test's is cheap)
OTHER_MEMBERS = (3, 6)  # besides the leader and the deputy: 6.5 a team, as 24,303 / 3,766
ACCOUNTS_PER_WARD = 2  # team members who file on the platform with their own account
AGENT_SHARE = (0.05, 0.09)  # of a ward agency's online dossiers, at the start and at the end
PLACES = ("Nhà văn hóa", "Hội trường Ủy ban nhân dân", "Sân trường tiểu học", "Chợ")
POSITIONS = ("Công an khu vực", "Hội Liên hiệp Phụ nữ", "Hội Nông dân", "Hội Cựu chiến binh",
             "Người dân trong khu dân cư", "Nhân viên doanh nghiệp công nghệ số")


@dataclass
class Helpers:
    """The member accounts of one ward, and its members (for the account helps)."""

    teams: list[int] = field(default_factory=list)  # member accounts' user ids
    points: list[int] = field(default_factory=list)
    members: list[int] = field(default_factory=list)  # member ids


class Assisting:
    """The register (made once, when a ward has none) and the choices of one history window."""

    def __init__(self, seed: int, start: date, end: date,
                 person: Callable[[random.Random], str], writer: Callable,
                 dossiers: int = FULL_SCALE) -> None:
        # Its own random sequence: the dossiers' draws stay what they were without it.
        self.rng = random.Random(seed * 15_485_863 + 5)
        self.start, self.end, self.person = start, end, person
        self.writer = writer  # history.Writer: rows written in one go (COPY, executemany)
        self.scale = min(1.0, dossiers / FULL_SCALE)
        self.ward_of: dict[int, int] = {}  # commune agency → its ward
        committees: dict[int, int] = {}
        for pk, ward, kind in Agency.objects.filter(
                level=Agency.Level.COMMUNE, is_active=True,
                administrative_unit__parent__code=str(settings.PROVINCE_CODE)
        ).values_list("pk", "administrative_unit_id", "kind"):
            self.ward_of[pk] = ward
            if kind == Agency.Kind.COMMUNE_COMMITTEE:
                committees[ward] = pk
        self.helpers: dict[int, Helpers] = {}
        self.rows = 0
        self._register(committees)

    # -- the register --

    def _register(self, committees: dict[int, int]) -> None:
        """Teams, points and members of the wards that have none, written as rows with their
        ids (tens of thousands of rows: model instances would cost seconds)."""
        rng = self.rng
        have = set(DigitalTeam.objects.values_list("ward_id", flat=True).distinct())
        wards = sorted(w for w in committees if w not in have)
        names = dict(Agency.objects.filter(pk__in=[committees[w] for w in wards])
                     .values_list("administrative_unit_id", "administrative_unit__name"))
        # The teams were formed after the city's Directive 6436/UBND-STTTT of 21/11/2023 (Tân
        # Chính ward's decision 103/QĐ-UBND of 29/11/2023: 36 teams, 252 members; Báo Đà Nẵng,
        # 12/2024); the date of one ward's decision, for all.
        founded = "2023-11-29"
        team_id = (DigitalTeam.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        point_id = (ServicePoint.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        member_id = (Member.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        teams = self.writer(DigitalTeam, ["id", "ward_id", "name", "area", "decision",
                                          "founded_on", "dissolved_on"])
        points = self.writer(ServicePoint, ["id", "kind", "ward_id", "name", "operator",
                                            "address", "opened_on", "closed_on"])
        members: list[list] = []  # id, team, point, name, role, position, user (set below)
        accounts: list[tuple[int, int, str]] = []  # (member's row index, ward, role)
        for ward in wards:
            place = names.get(ward, "")
            for n in range(1, max(1, round(rng.randint(*TEAMS_PER_WARD) * self.scale)) + 1):
                teams.add((team_id, ward, f"Tổ công nghệ số cộng đồng tổ dân phố {n}",
                           f"Tổ dân phố {n}, {place}", "", founded, None))
                if n <= ACCOUNTS_PER_WARD:
                    accounts.append((len(members), ward, Role.DIGITAL_TEAM))
                members.append([member_id, team_id, None, self.person(rng), "leader",
                                "Tổ trưởng tổ dân phố", None])
                members.append([member_id + 1, team_id, None, self.person(rng), "deputy",
                                "Bí thư Chi đoàn Thanh niên", None])
                member_id += 2
                for _ in range(rng.randint(*OTHER_MEMBERS)):
                    members.append([member_id, team_id, None, self.person(rng), "member",
                                    rng.choice(POSITIONS), None])
                    member_id += 1
                team_id += 1
            kinds = [(ServicePoint.Kind.POST_OFFICE, "Bưu điện văn hóa")]
            if rng.random() < 1 / 3:
                kinds.append((ServicePoint.Kind.SERVICE_AGENT, "Đại lý dịch vụ công"))
            for kind, label in kinds:
                points.add((point_id, kind.value, ward, f"{label} {place}",
                            "Bưu điện thành phố Đà Nẵng (VNPost)", "", None, None))
                accounts.append((len(members), ward, Role.SERVICE_AGENT))
                members.append([member_id, None, point_id, self.person(rng), "staff", "", None])
                member_id += 1
                point_id += 1
        users = []
        for index, ward, _role in accounts:
            user = User(username=f"hotro.{ward}.{members[index][0]}",
                        full_name=members[index][3])
            user.set_unusable_password()
            users.append(user)
        User.objects.bulk_create(users)
        Membership.objects.bulk_create([
            Membership(user=user, agency_id=committees[ward], role=role)
            for user, (_index, ward, role) in zip(users, accounts, strict=True)])
        for user, (index, _ward, _role) in zip(users, accounts, strict=True):
            members[index][6] = user.pk
        rows = self.writer(Member, ["id", "team_id", "point_id", "full_name", "role",
                                    "position", "user_id", "joined_on", "left_on"])
        for row in members:
            rows.add((*row, None, None))
        for writer in (teams, points, rows):
            writer.flush()
        if connection.vendor == "postgresql":  # the next rows made one at a time follow these
            with connection.cursor() as cursor:
                for model in (DigitalTeam, ServicePoint, Member):
                    table = model._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        self._link_agents(committees)
        for member, user, team_ward, point_ward in Member.objects.values_list(
                "pk", "user_id", "team__ward_id", "point__ward_id").order_by("pk"):
            helpers = self.helpers.setdefault(team_ward or point_ward, Helpers())
            helpers.members.append(member)
            if user is not None:
                (helpers.teams if team_ward else helpers.points).append(user)

    def _link_agents(self, committees: dict[int, int]) -> None:
        """The demo's agents (a digital team member, a post office's agent) become members of
        their ward's first team or point, so what they file counts there."""
        ward_of_committee = {a: w for w, a in committees.items()}
        for user, agency, role in Membership.objects.filter(
                role__in=(Role.DIGITAL_TEAM, Role.SERVICE_AGENT), user__assisted_member=None,
                agency__in=list(ward_of_committee)).values_list("user_id", "agency_id", "role"):
            ward = ward_of_committee[agency]
            name = User.objects.get(pk=user).full_name or "—"
            if role == Role.DIGITAL_TEAM:
                team = DigitalTeam.objects.filter(ward_id=ward).order_by("pk").first()
                if team:
                    Member.objects.create(team=team, full_name=name, user_id=user)
            else:
                point = ServicePoint.objects.filter(ward_id=ward).order_by("pk").first()
                if point:
                    Member.objects.create(point=point, full_name=name, role="staff",
                                          user_id=user)

    # -- the window's choices --

    def filed_by(self, agency: int, progress: float) -> int | None:
        """The member account that filed an online dossier of ``agency`` for its citizen, or
        None when the citizen filed it."""
        helpers = self.helpers.get(self.ward_of.get(agency, 0))
        low, high = AGENT_SHARE
        if helpers is None or self.rng.random() >= low + (high - low) * progress:
            return None
        if helpers.points and (not helpers.teams or self.rng.random() < 0.25):
            return self.rng.choice(helpers.points)
        return self.rng.choice(helpers.teams) if helpers.teams else None

    def write_activity(self) -> int:
        """The window's account helps and events; the number of rows written."""
        rng = self.rng
        helps = self.writer(AccountHelp, ["member_id", "day", "kind", "people", "note"])
        events = self.writer(OutreachEvent, ["ward_id", "title", "day", "place",
                                             "people_served", "accounts_helped",
                                             "dossiers_filed"])
        month = self.start.replace(day=1)
        while month <= self.end:
            following = (month + timedelta(days=32)).replace(day=1)
            days = [day.isoformat() for day in (month + timedelta(days=i)
                                                for i in range((following - month).days))
                    if self.start <= day <= self.end]
            weekends = [day for day in days if date.fromisoformat(day).weekday() >= 5]
            for ward, helpers in sorted(self.helpers.items()):
                if not helpers.members or not days:
                    continue
                for _ in range(rng.randint(2, 8)):
                    helps.add((rng.choice(helpers.members), rng.choice(days),
                               rng.choice(("create", "create", "verify")), rng.randint(1, 12),
                               ""))
                if weekends and rng.random() < 0.5:
                    people = rng.randint(40, 300)
                    events.add((ward, "Ngày hội chuyển đổi số", rng.choice(weekends),
                                rng.choice(PLACES), people,
                                rng.randint(people // 10, people // 3),
                                rng.randint(people // 20, people // 6)))
            month = following
        for writer in (helps, events):
            writer.flush()
        return helps.count + events.count
