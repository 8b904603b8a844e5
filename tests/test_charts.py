"""Every chart page, rendered in Vietnamese (the site's default language, whose decimal separator
is a comma), has only machine-readable numbers in its SVG attributes and CSS bar widths: a
localised ``x="11,4"`` is not a coordinate, and the browser draws nothing."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import translation

from dichvucong.monitor import charts
from dichvucong.opendata.refresh import refresh_all

from .monitor_fixture import build, user

pytestmark = pytest.mark.django_db

MARCH = "start=2025-03-01&end=2025-03-31"
# SVG presentation attributes that hold one number (a length or coordinate), and those that hold
# a list of them.
NUMBER_ATTRIBUTES = {"x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry", "width",
                     "height", "font-size", "stroke-width", "opacity"}
LIST_ATTRIBUTES = {"viewbox", "points"}
STYLE_NUMBER = re.compile(r"(?:^|;)\s*(?:width|height|left|right|top|bottom)\s*:\s*([^;%]*)%?")


class SvgNumbers(HTMLParser):
    """The numeric attributes of every SVG element and every CSS length in a style attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.in_svg = 0
        self.numbers: list[tuple[str, str, str]] = []  # (element, attribute, text)
        self.rects: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.in_svg += 1
        for name, value in attrs:
            if value is None:
                continue
            if name == "style":
                self.numbers += [(tag, "style", m.strip()) for m in STYLE_NUMBER.findall(value)]
            elif self.in_svg and name in NUMBER_ATTRIBUTES:
                self.numbers.append((tag, name, value))
            elif self.in_svg and name in LIST_ATTRIBUTES:
                self.numbers += [(tag, name, part) for part in re.split(r"[\s,]+", value.strip())]
        if self.in_svg and tag == "rect":
            self.rects.append(dict(attrs))

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self.in_svg -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.in_svg -= 1


def parsed(html: str) -> SvgNumbers:
    parser = SvgNumbers()
    parser.feed(html)
    return parser


def assert_numbers_readable(html: str, page: str) -> SvgNumbers:
    numbers = parsed(html)
    assert numbers.rects, f"{page}: no chart drawn"
    for element, attribute, text in numbers.numbers:
        try:
            float(text)
        except ValueError:
            pytest.fail(f"{page}: <{element} {attribute}> holds {text!r}, not a number")
    return numbers


def vietnamese(client: Client) -> Client:
    client.cookies["django_language"] = "vi"
    return client


def test_every_chart_page_in_vietnamese_has_numeric_svg_attributes(client):
    fx = build()
    refresh_all()  # the open data charts, over this history too
    vietnamese(client).force_login(user("ioc"))
    pages = [f"/giam-sat/?{MARCH}", f"/giam-sat/co-quan/{fx.justice.pk}/?{MARCH}",
             f"/giam-sat/co-quan/{fx.hai_chau.pk}/?{MARCH}"]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200 and response["Content-Language"] == "vi"
        numbers = assert_numbers_readable(response.content.decode(), page)
        # The trend draws one bar per period; at least one has a height.
        assert any(float(r["height"]) > 0 for r in numbers.rects if r.get("class") == "b")
    public = vietnamese(Client()).get(f"/minh-bach/?{MARCH}").content.decode()
    widths = [t for _, a, t in parsed(public).numbers if a == "style"]
    assert widths and all(0 <= float(w) <= 100 for w in widths)
    charted = 0
    for name in ("danh-muc-thu-tuc-hanh-chinh", "thong-ke-ho-so-theo-thang",
                 "ty-le-dung-han-va-truc-tuyen", "don-vi-hanh-chinh"):
        html = vietnamese(Client()).get(f"/du-lieu-mo/{name}/").content.decode()
        if "<svg" in html:
            assert_numbers_readable(html, name)
            charted += 1
    assert charted >= 2


def test_svg_numbers_are_not_localised_whatever_the_language():
    with translation.override("vi"):
        assert charts.svg_number(11.4) == "11.4"
        assert charts.svg_number(600) == "600"
        assert charts.svg_number(-0.01) == "0"
        assert charts.svg_number(12345.678) == "12345.7"
