"""The public transparency page (``/minh-bach/``) on a 360-pixel phone: a city's few hundred
agencies made a table 25,000 pixels tall whose last column was cut off. Now a page of agencies at
a time, found by name, level or ward, each agency a card on a phone; nothing wider than the
screen, nothing cut off, no script needed. axe-core checks every page.

The live server's database is never rolled back: the dossiers made here are in January 2024,
a month no other test uses, and made once per session."""

from __future__ import annotations

import pytest

from dichvucong.core.text import fold, sorted_vietnamese
from dichvucong.monitor.transparency import PAGE_SIZE
from tests.browser.conftest import check_accessibility, settled
from tests.monitor_fixture import Actors, draft, examine, receive, resolve

pytestmark = pytest.mark.django_db
SMALL_PHONE = {"width": 360, "height": 740}
JANUARY = "start=2024-01-01&end=2024-01-31"
AGENCIES = PAGE_SIZE + 5
# A page of cards, the period form and the city's figures; the whole list was 25,000 pixels.
MAX_HEIGHT = 6000


@pytest.fixture(scope="module")
def committees(django_db_setup, django_db_blocker) -> list[str]:
    """A dossier resolved at each of AGENCIES commune committees in January 2024."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from dichvucong.agencies.models import Agency
    from dichvucong.catalog.models import Procedure
    from dichvucong.monitor.models import DossierFact

    with django_db_blocker.unblock():
        agencies = list(Agency.objects.filter(kind=Agency.Kind.COMMUNE_COMMITTEE)
                        .order_by("code")[:AGENCIES])
        if not DossierFact.objects.filter(received_on=dt.date(2024, 1, 15)).exists():
            birth = Procedure.objects.select_related("current_version").get(code="1.001193")
            who = Actors("haichau")
            day = dt.datetime(2024, 1, 15, 8, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
            for agency in agencies:
                d = draft(birth, agency, "in_person")
                receive(d, who, day)
                examine(d, who, day + dt.timedelta(hours=1))
                resolve(d, who, day + dt.timedelta(hours=2))
        return [a.name for a in agencies]


def fits_the_screen(page, label: str) -> None:
    check_accessibility(page, label)
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, label
    # Nothing cut off inside a box that scrolls sideways either (the table's last column was).
    cut = page.evaluate("""(width) => [...document.querySelectorAll('main *')]
        .filter(e => { const r = e.getBoundingClientRect();
                       return r.width > 1 && r.right > width + 0.5; })
        .map(e => e.tagName + ' ' + (e.textContent || '').trim().slice(0, 40))""", width)
    assert not cut, (label, cut[:5])
    assert page.evaluate("document.documentElement.scrollHeight") <= MAX_HEIGHT, label


def shown(page) -> list[str]:
    settled(page)
    return [t.strip() for t in page.locator("table.agency-figures tbody th").all_inner_texts()]


def test_public_page_on_a_small_phone(page, live_url, committees, viewport):
    if viewport["width"] < 400:
        page.set_viewport_size(SMALL_PHONE)
    page.context.clear_cookies()
    page.goto(f"{live_url}/minh-bach/?{JANUARY}")
    fits_the_screen(page, "first page")
    first = shown(page)
    assert len(first) == PAGE_SIZE
    assert "trang 1/2" in page.locator(".result-count").inner_text()
    # The next page, by its link: the rest, and the two pages in Vietnamese order.
    page.get_by_role("link", name="Trang sau").click()
    fits_the_screen(page, "second page")
    second = shown(page)
    assert first + second == sorted_vietnamese(committees)
    # Found by name without diacritics, at the commune level, through the form.
    wanted = committees[3]
    page.get_by_label("Tên cơ quan").fill(fold(wanted.removeprefix("Ủy ban nhân dân ")))
    page.get_by_label("Cấp", exact=True).select_option("commune")
    page.get_by_role("button", name="Tìm").click()
    page.wait_for_url("**cap=commune**")
    fits_the_screen(page, "search")
    assert wanted in shown(page) and len(shown(page)) < len(committees)
    assert "2024-01-01" in page.url and "cap=commune" in page.url  # the period is kept
    # No city-level agency worked in January 2024.
    page.get_by_label("Tên cơ quan").fill("")
    page.get_by_label("Cấp", exact=True).select_option("province")
    page.get_by_role("button", name="Tìm").click()
    page.wait_for_url("**cap=province**")
    assert shown(page) == [] and "Không có cơ quan nào phù hợp." in page.content()
    fits_the_screen(page, "nothing found")
