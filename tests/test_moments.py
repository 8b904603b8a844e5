"""``moment``: the portal's date and time written as ``date:"H:i d/m/Y"`` writes it, in the
portal's time zone, for a fraction of its CPU (core/templatetags/moments.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import Context, Template

BOTH = Template('{% load moments %}{{ v|moment }}|{{ v|date:"H:i d/m/Y" }}')


def test_a_moment_is_written_as_the_date_filter_writes_it():
    for value in (datetime(2026, 12, 31, 17, 5, tzinfo=UTC),  # past midnight in Việt Nam
                  datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 7, 8, 9, 0),
                  None, ""):
        ours, django = BOTH.render(Context({"v": value})).split("|")
        assert ours == django, value
    assert BOTH.render(Context({"v": datetime(2026, 12, 31, 17, 5, tzinfo=UTC)})).startswith(
        "00:05 01/01/2027|")
