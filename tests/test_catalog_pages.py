"""Public catalog pages and the catalog API, through Django's test client."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_shows_search_popular_procedures_and_fields(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="vi"' in html
    assert "Làm thủ tục hành chính tại nhà" in html
    assert "Đăng ký khai sinh" in html  # a popular procedure
    assert "Hộ tịch" in html  # a field


def test_home_page_query_count(client, django_assert_max_num_queries):
    client.get("/")  # warm caches that are per process
    with django_assert_max_num_queries(4):
        client.get("/")


def test_procedure_page_shows_documents_fees_time_and_channels(client):
    response = client.get(reverse("catalog:procedure", kwargs={"code": "3.000347"}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Cấp đổi giấy phép lái xe</h1>" in html
    assert "Đơn đề nghị đổi giấy phép lái xe" in html  # a required document
    # The fee in force (the online 115.000 đồng ended on 31/12/2025: test_fee_periods.py), with
    # its dated legal basis from the definition's fee row; not the portal's per-channel note,
    # which the designer cannot edit and which still offers the ended 115.000 đồng.
    assert "135.000 đ" in html and "đến hết 31/12/2025: 115.000 đồng/lần" in html
    assert "Kể từ ngày 01/12/2023 đến hết ngày 31/12/2025" not in html
    assert "5 ngày làm việc" in html
    assert "Trực tuyến" in html and "Trực tiếp" in html
    assert "Công an thành phố Đà Nẵng" in html


def test_procedure_page_shows_the_online_reduction(client):
    from dichvucong.catalog.models import Procedure

    # Any procedure whose online limit is shorter than the counter's, in the real data.
    for procedure in Procedure.objects.select_related("current_version").iterator():
        processing = procedure.current_version.definition["processing"]
        online, base = processing.get("online_time_limit"), processing.get("time_limit")
        if (online and base and online["unit"] == base["unit"] and online["value"]
                and float(online["value"]) < float(base["value"])):
            break
    else:
        pytest.fail("the catalogue has no procedure with faster online processing")
    html = client.get(procedure.get_absolute_url()).content.decode()
    assert "Nộp trực tuyến:" in html and "nhanh hơn" in html


def test_same_day_procedure_shows_its_cutoff(client):
    html = client.get("/thu-tuc/1.001193/").content.decode()
    assert "Trong ngày" in html
    assert "sau 15:00" in html


def test_procedure_page_query_count(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert client.get("/thu-tuc/1.001193/").status_code == 200


def test_unknown_procedure_is_404(client):
    assert client.get("/thu-tuc/9.999999/").status_code == 404


def test_catalog_lists_pages_and_filters(client):
    response = client.get("/thu-tuc/")
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count >= 1600
    assert len(page.object_list) == 20
    second = client.get("/thu-tuc/?page=2")
    assert second.context["page"].number == 2

    civil = client.get("/thu-tuc/?field=ho-tich&level=commune")
    procedures = list(civil.context["page"].object_list)
    assert procedures and all(p.field.name == "Hộ tịch" and p.at_commune for p in procedures)

    online = client.get("/thu-tuc/?online=on")
    assert all(p.online_mode == "full" for p in online.context["page"].object_list)


def test_catalog_by_agency_and_by_commune_agency(client):
    justice = client.get("/thu-tuc/?agency=so-tu-phap")
    assert justice.status_code == 200
    assert all(p.agency.name == "Sở Tư pháp" for p in justice.context["page"].object_list)
    police = client.get("/thu-tuc/?agency=cong-an-xa")
    names = [p.name for p in police.context["page"].object_list]
    assert any("thường trú" in n or "tạm trú" in n for n in names)
    assert client.get("/thu-tuc/?agency=khong-ton-tai").status_code == 404
    assert client.get("/thu-tuc/?field=khong-ton-tai").status_code == 404


def test_catalog_list_query_count(client, django_assert_max_num_queries):
    # The list's own three, and the catalogue's generation the page cache is keyed on.
    with django_assert_max_num_queries(4):
        client.get("/thu-tuc/?field=ho-tich")
    with django_assert_max_num_queries(1):  # then from the page cache (core.pagecache)
        assert client.get("/thu-tuc/?field=ho-tich")["X-Page-Cache"] == "hit"


def test_search_page_ignores_diacritics_and_case(client):
    for query in ["Đăng ký khai sinh", "dang ky khai sinh", "DANG KY KHAI SINH"]:
        response = client.get("/thu-tuc/", {"q": query})
        first = response.context["page"].object_list[0]
        assert first.code == "1.001193", (query, first.name)


def test_search_within_a_filter(client):
    response = client.get("/thu-tuc/", {"q": "cấp lại", "field": "ho-tich"})
    results = response.context["page"].object_list
    assert results and all(p.field.name == "Hộ tịch" for p in results)


def test_search_without_results_says_so(client):
    response = client.get("/thu-tuc/", {"q": "zzqqxx"})
    assert "Không tìm thấy thủ tục phù hợp" in response.content.decode()


def test_fields_and_agencies_pages(client):
    fields = client.get("/linh-vuc/").content.decode()
    assert "Hộ tịch" in fields and "Đất đai" in fields
    agencies = client.get("/co-quan/").content.decode()
    assert "Sở Tư pháp" in agencies and "Công an xã, phường" in agencies


def test_language_switch_sets_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert 'lang="en"' in html


def test_browser_language_does_not_override_vietnamese(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="vi"' in html


def test_api_search_and_procedure(client):
    response = client.get("/api/v1/catalog/procedures", {"q": "GPLX", "limit": 3})
    assert response.status_code == 200
    assert any("giấy phép lái xe" in item["name"].lower() for item in response.json())
    detail = client.get("/api/v1/catalog/procedures/1.001193").json()
    assert detail["definition"]["name"] == "Đăng ký khai sinh"
    assert client.get("/api/v1/catalog/procedures/9.999999").status_code == 404
    fields = client.get("/api/v1/catalog/fields").json()
    assert any(f["name"] == "Hộ tịch" for f in fields)


def test_api_listing_is_paged_and_bounded(client):
    first = client.get("/api/v1/catalog/procedures", {"limit": 5}).json()
    second = client.get("/api/v1/catalog/procedures", {"limit": 5, "offset": 5}).json()
    assert len(first) == 5 and len(second) == 5
    assert {p["code"] for p in first}.isdisjoint(p["code"] for p in second)
    assert len(client.get("/api/v1/catalog/procedures", {"limit": 1000}).json()) == 100


def test_openapi_and_json_schema_are_served(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/catalog/procedures" in spec["paths"]
    assert client.get("/api/docs").status_code == 302
    docs = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs and "cdn." not in docs
    schema = client.get("/api/v1/catalog/schema/procedure.json").json()
    assert schema["title"].startswith("dichvucong procedure definition")
    assert "documents" in schema["properties"]


def test_search_leaves_out_weak_matches(client):
    page = client.get("/thu-tuc/", {"q": "khai sinh"}).context["page"]
    assert page.object_list[0].code == "1.001193"
    # Every procedure that merely shares "đăng ký" is not a result for "khai sinh".
    assert page.paginator.count < 60
