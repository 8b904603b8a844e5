"""A small, hand-computed history of dossiers for the monitoring centre's tests, made through the
real lifecycle actions (so the facts are moved by the events, as in production).

Sở Tư pháp, procedure DNG.707970 (Phiếu lý lịch tư pháp: 10 working days, fee 200,000 đ), all
received Monday 3 March 2025 at 08:00 unless said otherwise; ``NOW`` is Monday 31 March 2025,
10:00. The original due time of a dossier received 3/3 08:00 is Monday 17/3 08:00.

====  ========  ==================================================  =========  ==========
 id   channel   what happens                                        outcome    work days
====  ========  ==================================================  =========  ==========
 D1   online    result (digital) 5/3, paid by VNPay, returned,      on time    2
                rated "rất hài lòng"
 D2   agent     result (digital) 18/3, paid at the counter,         late       11
                returned, rated "không hài lòng"
 D3   counter   apology on 14/3 (new date 21/3), result (paper)     late       12
                19/3: late against the ORIGINAL due time
 D4   online    two supplement requests, result (digital) 7/3,      late       4
                paid by VietQR, returned: late by the 766 rule
 D5   post      refused 6/3                                          on time    3
 D6   online    still being examined: overdue now                   open
 D7   online    received 28/3, being examined: not overdue          open
 D8   online    waiting for the citizen's supplement                (paused)
 D9   online    withdrawn 10/3                                      withdrawn
 D10  online    rejected at reception 4/3 (never received)          rejected
 D11  online    one supplement 4/3 09:00 → 6/3 09:00, result        on time    11
                (digital) 18/3: on time only because the wait
                moves the original due time to 19/3; returned,
                rated "hài lòng"
 D12  counter   stopped (Mẫu 05) 12/3                               stopped
====  ========  ==================================================  =========  ==========

Hải Châu ward, procedure 1.001193 (birth registration, same day, no fee):

 H1   counter   received 3/3 08:00, result (digital) 3/3 10:00,     on time    0
                returned
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.backoffice.services import apologise
from dichvucong.catalog.models import Procedure
from dichvucong.dossiers.actions import perform
from dichvucong.dossiers.models import Dossier, DossierEvent
from dichvucong.pipeline import worker as pipeline
from dichvucong.ratings import services as ratings
from tests import builders
from tests.builders import HAI_CHAU, JUSTICE, user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2025, 3, 31, 10, 0, tzinfo=VN)


def at(day: int, hour: int = 8, month: int = 3, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=VN)


@dataclass
class Fixture:
    justice: Agency
    hai_chau: Agency
    dossiers: dict[str, Dossier]

    def ids(self, *names: str) -> set[int]:
        return {self.dossiers[n].pk for n in names}


class Actors:
    def __init__(self, unit: str) -> None:
        self.reception = user(f"motcua.{unit}")
        self.specialist = user(f"chuyenvien.{unit}")
        self.leader = user(f"lanhdao.{unit}")
        self.citizen = user("congdan")


def draft(procedure: Procedure, agency: Agency, channel: str, *, agent: User | None = None
          ) -> Dossier:
    fee = sum(f.amount for f in procedure.current_version.parsed().fees)
    return builders.row(
        procedure=procedure, agency=agency, submitted_by=agent, applicant_name="Nguyễn Văn An",
        channel=channel, state="draft", fee_amount=fee)


def receive(d: Dossier, who: Actors, when: datetime) -> None:
    if d.channel in ("online", "agent"):
        perform(d.pk, "submit", who.citizen, "applicant", now=when - timedelta(hours=1))
        perform(d.pk, "receive", who.reception, "reception_officer", now=when)
    else:
        perform(d.pk, "enter_walk_in", who.reception, "reception_officer", now=when)


def examine(d: Dossier, who: Actors, when: datetime) -> None:
    perform(d.pk, "assign", who.leader, "leader", now=when)


def supplement(d: Dossier, who: Actors, asked: datetime, answered: datetime | None) -> None:
    perform(d.pk, "request_supplement", who.specialist, "specialist", "Bản sao CCCD",
            now=asked)
    if answered is not None:
        perform(d.pk, "provide_supplement", who.citizen, "applicant", now=answered)


def resolve(d: Dossier, who: Actors, when: datetime, *, digital: bool = True,
            returned: bool = True) -> None:
    perform(d.pk, "examine", who.specialist, "specialist", now=when - timedelta(minutes=30))
    perform(d.pk, "approve", who.leader, "leader", now=when - timedelta(minutes=20))
    perform(d.pk, "issue_result", who.specialist, "specialist", now=when,
            data={"attachment": 1, "file_name": "ket-qua.pdf"} if digital else {})
    if returned:
        perform(d.pk, "return_result", who.reception, "reception_officer",
                now=when + timedelta(hours=1))


def pay(d: Dossier, provider: str) -> None:
    """What the payments app records when a payment is confirmed."""
    DossierEvent.objects.create(dossier=d, action="payment_confirmed", from_state=d.state,
                                to_state=Dossier.objects.get(pk=d.pk).state,
                                actor_role="system", data={"provider": provider, "amount": 200000})


def rate(d: Dossier, overall: str) -> None:
    d.refresh_from_db()
    ratings.rate(d, user("congdan"), ratings.Answers((2,) * 9, overall, ""))


def build() -> Fixture:
    justice = Agency.objects.get(name=JUSTICE)
    hai_chau = Agency.objects.get(name=HAI_CHAU)
    lltp = Procedure.objects.select_related("current_version").get(code="DNG.707970")
    birth = Procedure.objects.select_related("current_version").get(code="1.001193")
    j, h = Actors("sotuphap"), Actors("haichau")
    agent = user("daily.buudien")
    d: dict[str, Dossier] = {}

    d["D1"] = draft(lltp, justice, "online")
    receive(d["D1"], j, at(3))
    pay(d["D1"], "vnpay")
    examine(d["D1"], j, at(3, 9))
    resolve(d["D1"], j, at(5, 10))
    rate(d["D1"], "very_satisfied")

    d["D2"] = draft(lltp, justice, "agent", agent=agent)
    receive(d["D2"], j, at(3))
    pay(d["D2"], "cash")
    examine(d["D2"], j, at(3, 9))
    resolve(d["D2"], j, at(18, 10))
    rate(d["D2"], "not_satisfied")

    d["D3"] = draft(lltp, justice, "in_person")
    receive(d["D3"], j, at(3))
    examine(d["D3"], j, at(3, 9))
    revision = Dossier.objects.get(pk=d["D3"].pk).revision
    apologise(d["D3"].pk, j.leader, "Cần xác minh thêm", at(21, 16), revision, now=at(14, 10))
    resolve(d["D3"], j, at(19, 10), digital=False, returned=False)

    d["D4"] = draft(lltp, justice, "online")
    receive(d["D4"], j, at(3))
    pay(d["D4"], "vietqr")
    examine(d["D4"], j, at(3, 9))
    supplement(d["D4"], j, at(4, 9), at(4, 10))
    supplement(d["D4"], j, at(5, 9), at(5, 10))
    resolve(d["D4"], j, at(7, 10))

    d["D5"] = draft(lltp, justice, "post")
    receive(d["D5"], j, at(3))
    examine(d["D5"], j, at(3, 9))
    perform(d["D5"].pk, "examine", j.specialist, "specialist", now=at(6, 9))
    perform(d["D5"].pk, "refuse", j.leader, "leader", "Không đủ điều kiện", now=at(6, 10))

    d["D6"] = draft(lltp, justice, "online")
    receive(d["D6"], j, at(3))
    examine(d["D6"], j, at(3, 9))

    d["D7"] = draft(lltp, justice, "online")
    receive(d["D7"], j, at(28))
    examine(d["D7"], j, at(28, 9))

    d["D8"] = draft(lltp, justice, "online")
    receive(d["D8"], j, at(3))
    examine(d["D8"], j, at(3, 9))
    supplement(d["D8"], j, at(4, 9), None)

    d["D9"] = draft(lltp, justice, "online")
    receive(d["D9"], j, at(3))
    perform(d["D9"].pk, "withdraw", j.citizen, "applicant", now=at(10, 9))

    d["D10"] = draft(lltp, justice, "online")
    perform(d["D10"].pk, "submit", j.citizen, "applicant", now=at(3, 20))
    perform(d["D10"].pk, "reject", j.reception, "reception_officer", "Sai thủ tục",
            now=at(4, 9))

    d["D11"] = draft(lltp, justice, "online")
    receive(d["D11"], j, at(3))
    examine(d["D11"], j, at(3, 9))
    supplement(d["D11"], j, at(4, 9), at(6, 9))
    resolve(d["D11"], j, at(18, 10))
    rate(d["D11"], "satisfied")

    d["D12"] = draft(lltp, justice, "in_person")
    receive(d["D12"], j, at(3))
    examine(d["D12"], j, at(3, 9))
    perform(d["D12"].pk, "pause", j.leader, "leader", "Cơ quan thuế chưa trả lời",
            now=at(12, 9))

    d["H1"] = draft(birth, hai_chau, "in_person")
    receive(d["H1"], h, at(3))
    examine(d["H1"], h, at(3, 8, minute=30))
    resolve(d["H1"], h, at(3, 10))

    pipeline.drain()  # the facts are derived by the pipeline's worker
    for key, dossier in d.items():
        d[key] = Dossier.objects.get(pk=dossier.pk)
    return Fixture(justice, hai_chau, d)
