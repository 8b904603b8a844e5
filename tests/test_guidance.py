"""Guidance: every save a revision, the catalogue's search (with or without diacritics, a typo),
the pages, and the links where citizens get stuck."""

from __future__ import annotations

import pytest
from django.test import Client

from dichvucong.guidance import services
from dichvucong.guidance.models import Guide
from tests import builders

pytestmark = pytest.mark.django_db


def test_guides_keep_revisions_and_are_found_as_citizens_type():
    admin = builders.user("congdan")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    response = client.post("/quan-tri/guidance/guide/add/", {
        "kind": "faq", "topic": "filing", "procedure": builders.procedure().pk,
        "slug": "", "title": "Giấy chứng sinh bị mất thì khai sinh thế nào?",
        "body": "Dùng văn bản của người làm chứng xác nhận việc sinh.", "published": "on",
        "revisions-TOTAL_FORMS": "0", "revisions-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    guide = Guide.objects.get(title__startswith="Giấy chứng sinh")
    assert guide.slug and guide.revision == 1
    guide.body = "Dùng văn bản của người làm chứng, hoặc giấy cam đoan về việc sinh."
    services.save(guide, admin)
    assert [(r.number, r.body[:20]) for r in guide.revisions.all()] == [
        (2, "Dùng văn bản của ngư"), (1, "Dùng văn bản của ngư")]
    assert guide.revisions.first().edited_by == admin
    # Diacritic-free, with a typo: the catalogue's search.
    assert services.search("giay chung sinh bi mat")[0] == guide
    assert services.search("khai sihn mat giay chung sinh")[0] == guide
    page = Client().get("/huong-dan/?q=thanh+toan").content.decode()
    assert "Thanh toán phí, lệ phí trực tuyến bằng cách nào?" in page
    detail = Client().get(f"/huong-dan/{guide.slug}/").content.decode()
    assert "giấy cam đoan" in detail and "phiên bản 2" in detail
    topic = Client().get("/huong-dan/?chu_de=supplement").content.decode()
    assert "Cơ quan đề nghị bổ sung hồ sơ" in topic and guide.title not in topic
    # Where citizens get stuck: the error pages link here.
    missing = Client().get("/khong-co-trang-nay/").content.decode()
    assert 'href="/huong-dan/"' in missing and 'href="/phan-anh/"' in missing
