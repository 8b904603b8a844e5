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


def test_a_message_with_two_meanings_reads_right_in_each_place():
    """Django merges every catalogue into one: a Vietnamese message two apps translate
    differently gets one English text everywhere (the main catalogue's, then the first app's),
    so messages whose meaning differs carry a context. Before the contexts a paid fee read
    "Submitted", a result's validity "processing time" and the guides' kind "Hint"."""
    from django.template import Context, Template

    def render(text: str) -> str:
        return Template("{% load i18n %}" + text).render(Context()).strip()

    with translation.override("en"):
        assert render('{% translate "Đã nộp" context "fee" %}') == "Paid"
        assert render('{% translate "Đã nộp" %}') == "Submitted"  # «Hồ sơ của tôi»
        assert render('{% translate "thời hạn" context "validity" %}') == "validity"
        assert render('{% translate "Cơ quan" context "menu" %}') == "Agencies"
        assert render('{% translate "Cơ quan" %}') == "Agency"  # a column of one agency each
        assert render('{% translate "Kết quả" context "call" %}') == "Outcome"
        from dichvucong.guidance.models import Kind
        from dichvucong.payments.models import DossierFee

        assert str(Kind.HOWTO.label) == "How-to guide"
        assert str(DossierFee._meta.get_field("due").verbose_name) == "due"
    for template in ("payments/_panel.html", "payments/_office_panel.html"):
        assert '{% translate "Đã nộp" context "fee" %}' in (
            SRC / "payments/templates" / template).read_text(encoding="utf-8")


def test_a_constant_translate_tag_is_kept_per_language_and_escaping(monkeypatch):
    """A constant ``{% translate %}`` was looked up, localised and escaped at each rendering
    (issue #19): kept once per language and escaping, the same text."""
    from django.template import Context, Template
    from django.template.base import Variable

    page = Template('{% load i18n %}{% translate "Hồ sơ của tôi" %}|{% translate "A & B" %}|'
                    '{% autoescape off %}{% translate "A & B" %}{% endautoescape %}|'
                    '{% translate text %}|{% translate "Hồ sơ của tôi" as kept %}{{ kept }}')

    def rendered() -> dict[str, str]:
        out = {}
        for language in ("vi", "en"):
            with translation.override(language):
                out[language] = page.render(Context({"text": "Hồ sơ của tôi"}))
        return out

    expected = {"vi": "Hồ sơ của tôi|A & B|A & B|Hồ sơ của tôi|Hồ sơ của tôi",  # literals: safe
                "en": "My dossiers|A & B|A & B|My dossiers|My dossiers"}
    assert rendered() == expected
    resolve = Variable.resolve
    looked_up = []
    monkeypatch.setattr(Variable, "resolve", lambda self, context: (
        looked_up.append(self.var), resolve(self, context))[1])
    assert rendered() == expected
    # Only the variable and the one kept ``as`` (a context variable) are looked up again.
    assert sorted(set(looked_up)) == ["'Hồ sơ của tôi'", "kept", "text"]
