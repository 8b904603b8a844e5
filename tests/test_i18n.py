"""English is complete: every message translated, compiled, and used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

SRC = Path(__file__).resolve().parents[1] / "src/dichvucong"
LOCALE = SRC / "locale/en/LC_MESSAGES"
# The main catalogue and each app's own (Wagtail's layout: an app carries its translations).
CATALOGUES = sorted(SRC.glob("**/locale/en/LC_MESSAGES/django.po"))


def test_every_app_catalogue_is_compiled():
    assert LOCALE / "django.po" in CATALOGUES
    for po in CATALOGUES:
        assert po.with_suffix(".mo").exists(), po


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(SRC)))
def test_every_message_is_translated_and_none_is_fuzzy(po):
    text = po.read_text(encoding="utf-8")
    entries = [e for e in text.split("\n\n") if re.search(r'^msgid "', e, re.M)][1:]  # header
    assert entries
    untranslated = [e for e in entries if re.search(r'^msgstr(\[\d\])? ""$', e, re.M)
                    and not re.search(r'^"', e.split("msgstr", 1)[1], re.M)]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert not untranslated, untranslated[:3]
    assert not fuzzy, fuzzy[:3]


def test_compiled_catalog_is_not_older_than_the_source():
    po, mo = LOCALE / "django.po", LOCALE / "django.mo"
    assert mo.exists()
    # Compare the messages, not timestamps (a clone sets every file's time).
    with translation.override("en"):
        assert translation.gettext("Thủ tục hành chính") == "Procedures"
        assert translation.ngettext("%(n)s ngày làm việc", "%(n)s ngày làm việc", 5) % {
            "n": 5} == "5 working days"
    assert po.stat().st_size > 0


@pytest.mark.django_db
def test_english_procedure_page(client):
    client.post("/i18n/setlang/", {"language": "en"})
    html = client.get("/thu-tuc/3.000347/").content.decode()
    assert "Required documents" in html
    assert "5 working days" in html
    assert "In person" in html and "Online" in html
    assert "Cấp đổi giấy phép lái xe" in html  # the content stays Vietnamese
