"""The open data portal: datasets and their refresh, CKAN's Action API (through Django's test
client, then through the real ``ckanapi`` client against a live server), DataStore search, DCAT
JSON-LD parsed with rdflib, the pages, and the promise that no personal data is ever published.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.core.text import fold
from dichvucong.dossiers import actions
from dichvucong.dossiers.lifecycle import LifecycleRole
from dichvucong.dossiers.models import Dossier
from dichvucong.opendata import query
from dichvucong.opendata.models import Dataset, Resource, Row, Table
from dichvucong.opendata.refresh import refresh_all
from tests import builders
from tests.browser import conftest as browser_conftest

pytestmark = pytest.mark.django_db
live_url = browser_conftest.live_url  # the browser tests' live server fixture
CITY_DATASETS = {"danh-muc-thu-tuc-hanh-chinh", "thong-ke-ho-so-theo-thang",
                 "ty-le-dung-han-va-truc-tuyen", "don-vi-hanh-chinh"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def published(django_db_setup, django_db_blocker):
    """The datasets, refreshed once for the module and committed (only this app's tables)."""
    with django_db_blocker.unblock():
        refresh_all()


def api(client: Client, name: str, method: str = "post", status: int | None = 200, **data):
    """The action's answer; ``status`` None: any but a server error."""
    if method == "get":
        response = client.get(f"/api/3/action/{name}", data)
    else:
        response = client.post(f"/api/3/action/{name}", json.dumps(data),
                               content_type="application/json")
    if status is None:
        assert response.status_code < 500, response.content[:500]
    else:
        assert response.status_code == status, response.content[:500]
    body = response.json()
    assert body["help"].endswith(f"/api/3/action/help_show?name={name}")
    return body


def result(client: Client, name: str, method: str = "post", **data):
    body = api(client, name, method, **data)
    assert body["success"] is True
    return body["result"]


def download(client: Client, url: str) -> bytes:
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# --- datasets and their refresh -----------------------------------------------------------------


def test_every_city_dataset_has_publisher_licence_frequency_tags_and_both_formats(published):
    client = Client()
    names = set(result(client, "package_list"))
    assert names >= CITY_DATASETS
    for name in names:
        package = result(client, "package_show", id=name)
        assert package["organization"]["title"] and package["owner_org"]
        assert package["license_id"] == "CC-BY-4.0" and package["isopen"] is True
        assert package["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
        extras = {e["key"]: e["value"] for e in package["extras"]}
        assert extras["frequency"].startswith("http://publications.europa.eu/resource/authority/")
        assert package["tags"] and package["groups"]
        formats = [r["format"] for r in package["resources"]]
        assert formats.count("CSV") == formats.count("JSON") >= 1
        assert package["num_resources"] == len(package["resources"])


def test_catalogue_csv_has_a_header_and_correct_vietnamese(published):
    client = Client()
    package = result(client, "package_show", id="danh-muc-thu-tuc-hanh-chinh")
    by_format = {r["format"]: r for r in package["resources"]}
    text = download(client, by_format["CSV"]["url"]).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["code", "name", "field", "levels", "agency", "online_mode",
                             "time_limit", "time_limit_online", "fees", "documents",
                             "legal_basis", "url"]
    procedure = Procedure.objects.get(code="1.001193")
    row = next(r for r in rows if r["code"] == "1.001193")
    assert row["name"] == procedure.name and "khai sinh" in row["name"]
    assert row["field"] == procedure.field.name
    assert len(rows) == Procedure.objects.filter(is_active=True,
                                                 current_version__isnull=False).count()
    document = json.loads(download(client, by_format["JSON"]["url"]))
    assert document["records"] == [
        {**r, "documents": int(r["documents"])} for r in rows]
    assert {f["id"]: f["info"]["label"] for f in document["fields"]}["field"] == "Lĩnh vực"
    # Size and hash in the metadata are the file's.
    assert by_format["CSV"]["size"] == len(text.encode())


def test_units_dataset_lists_every_province_and_commune(published):
    client = Client()
    package = result(client, "package_show", id="don-vi-hanh-chinh")
    csv_resource = next(r for r in package["resources"] if r["format"] == "CSV")
    rows = list(csv.DictReader(io.StringIO(download(client, csv_resource["url"]).decode())))
    danang = next(r for r in rows if r["code"] == "48")
    assert danang["name"] == "Thành phố Đà Nẵng" and danang["parent_code"] == ""
    wards = [r for r in rows if r["parent_code"] == "48"]
    assert len(wards) == 94 and any(r["name"] == "Phường Hải Châu" for r in wards)


def test_a_second_refresh_changes_nothing_and_keeps_ids(published):
    before = {d.name: (d.pk, d.modified_at) for d in Dataset.objects.all()}
    resources = set(Resource.objects.values_list("pk", "file"))
    report = refresh_all()
    assert report.tables_rewritten == 0
    assert {d.name: (d.pk, d.modified_at) for d in Dataset.objects.all()} == before
    assert set(Resource.objects.values_list("pk", "file")) == resources


def test_a_changed_procedure_rewrites_only_the_catalogue(published):
    procedure = Procedure.objects.get(code="1.001193")
    Procedure.objects.filter(pk=procedure.pk).update(name="Đăng ký khai sinh (đổi tên thử)")
    catalogue = Dataset.objects.get(name="danh-muc-thu-tuc-hanh-chinh")
    units = Dataset.objects.get(name="don-vi-hanh-chinh")
    report = refresh_all()
    assert report.tables_rewritten == 1
    catalogue_after = Dataset.objects.get(pk=catalogue.pk)
    assert catalogue_after.modified_at > catalogue.modified_at
    assert Dataset.objects.get(pk=units.pk).modified_at == units.modified_at
    table = catalogue_after.tables.get()
    row = Row.objects.get(table=table, data__code="1.001193")
    assert row.data["name"] == "Đăng ký khai sinh (đổi tên thử)"


def test_the_command_and_the_periodic_task_refresh(published):
    import datetime as dt

    from huey.contrib.djhuey import HUEY

    call_command("refresh_open_data", verbosity=0)
    # Daily at 19:40 UTC (02:40 in Đà Nẵng), and only then.
    assert "opendata.refresh" in [t.name for t in HUEY.read_periodic(dt.datetime(2026, 11, 23,
                                                                                 19, 40))]
    assert "opendata.refresh" not in [t.name for t in HUEY.read_periodic(
        dt.datetime(2026, 11, 23, 18, 40))]


# --- the Action API's envelope and errors -------------------------------------------------------


def test_envelope_and_errors_follow_ckan(published):
    client = Client()
    body = api(client, "package_show", status=404, id="khong-co")
    assert body["success"] is False
    assert body["error"] == {"__type": "Not Found Error", "message": "Not found"}
    body = api(client, "resource_show", status=404, id=str(uuid.uuid4()))
    assert body["error"]["__type"] == "Not Found Error"
    body = api(client, "khong_co_action", status=400)
    assert body["error"]["__type"] == "Bad Request"
    assert "Action name not known: khong_co_action" in body["error"]["message"]
    body = api(client, "package_search", status=409, rows="mười")
    assert body["error"] == {"__type": "Validation Error", "rows": ["Invalid integer"]}
    body = api(client, "package_show", status=409)
    assert body["error"] == {"__type": "Validation Error", "id": ["Missing value"]}
    body = api(client, "package_search", status=409, fq="khong_co_truong:x")
    assert body["error"]["__type"] == "Search Error"
    response = client.post("/api/3/action/package_list", "{not json",
                           content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["__type"] == "Bad Request"
    status = result(client, "status_show", "get")
    assert status["ckan_version"].startswith("2.") and "datastore" in status["extensions"]
    # ckanapi's address without the version answers too, with GET and POST alike.
    assert client.get("/api/action/package_list").json()["result"] == result(
        client, "package_list")
    assert client.get("/api/action/package_list")["Access-Control-Allow-Origin"] == "*"


def test_package_search_filters_pages_sorts_and_counts_facets(published):
    client = Client()
    everything = result(client, "package_search", rows=1000)
    assert everything["count"] == Dataset.objects.count()
    stats = result(client, "package_search", fq='tags:"thống kê"', rows=1000)
    assert {p["name"] for p in stats["results"]} >= {"thong-ke-ho-so-theo-thang",
                                                    "ty-le-dung-han-va-truc-tuyen"}
    assert all("thống kê" in {t["name"] for t in p["tags"]} for p in stats["results"])
    assert "danh-muc-thu-tuc-hanh-chinh" not in {p["name"] for p in stats["results"]}
    # Diacritics and case do not matter in words; several clauses all hold.
    found = result(client, "package_search", "get", q="DON VI hanh chinh")
    assert [p["name"] for p in found["results"]][0] == "don-vi-hanh-chinh"
    both = result(client, "package_search", fq="groups:thu-tuc-hanh-chinh res_format:CSV")
    assert {p["name"] for p in both["results"]} == {"danh-muc-thu-tuc-hanh-chinh",
                                                    "phan-anh-kien-nghi-da-tra-loi"}
    either = result(client, "package_search", fq="name:(don-vi-hanh-chinh OR "
                                                  "danh-muc-thu-tuc-hanh-chinh)")
    assert either["count"] == 2
    assert result(client, "package_search", fq="-res_format:CSV")["count"] == 0
    committee = Agency.objects.get(code="000.00.00.H17")
    mine = result(client, "package_search", fq=f"organization:{committee.slug}", rows=1000)
    assert mine["count"] == Dataset.objects.filter(organization=committee).count()
    # Paging by name: pages join up to the whole list.
    pages = [result(client, "package_search", sort="name asc", rows=2, start=start)
             for start in range(0, everything["count"], 2)]
    names = [p["name"] for page in pages for p in page["results"]]
    assert names == sorted(Dataset.objects.values_list("name", flat=True))
    # Harvesters ask for what changed since a date.
    assert result(client, "package_search", fq="metadata_modified:[2000-01-01T00:00:00Z TO NOW]",
                  rows=1000)["count"] == everything["count"]
    assert result(client, "package_search",
                  fq="metadata_modified:[2999-01-01T00:00:00Z TO *]")["count"] == 0
    faceted = result(client, "package_search", "get", **{
        "facet.field": '["organization", "res_format", "tags"]', "rows": 0})
    assert faceted["results"] == []
    assert faceted["facets"]["res_format"] == {"CSV": everything["count"],
                                               "JSON": everything["count"]}
    items = faceted["search_facets"]["organization"]["items"]
    assert {"name": committee.slug, "display_name": committee.name,
            "count": mine["count"]} in items


def test_organizations_groups_and_tags(published):
    client = Client()
    names = result(client, "organization_list")
    committee = Agency.objects.get(code="000.00.00.H17")
    assert committee.slug in names
    full = result(client, "organization_list", all_fields=True)
    entry = next(o for o in full if o["name"] == committee.slug)
    assert entry["title"] == committee.name and entry["is_organization"] is True
    assert entry["package_count"] == Dataset.objects.filter(organization=committee).count()
    shown = result(client, "organization_show", id=entry["id"], include_datasets=True)
    assert shown["name"] == committee.slug
    assert {p["name"] for p in shown["packages"]} >= CITY_DATASETS
    assert api(client, "organization_show", status=404, id="khong-co")["success"] is False
    groups = result(client, "group_list", all_fields=True)
    assert {g["name"] for g in groups} == {"thu-tuc-hanh-chinh", "thong-ke-dich-vu-cong",
                                          "don-vi-hanh-chinh"}
    assert all(g["package_count"] >= 1 and g["is_organization"] is False for g in groups)
    tags = result(client, "tag_list")
    assert "thống kê" in tags and "Đà Nẵng" in tags
    assert result(client, "tag_list", query="thong") == ["thống kê"]


# --- DataStore ----------------------------------------------------------------------------------


def catalogue_resource(client: Client) -> dict:
    package = result(client, "package_show", id="danh-muc-thu-tuc-hanh-chinh")
    return next(r for r in package["resources"] if r["format"] == "CSV")


def test_datastore_search_filters_q_fields_sort_and_pages(published):
    client = Client()
    resource = catalogue_resource(client)
    table = Table.objects.get(dataset__name="danh-muc-thu-tuc-hanh-chinh")
    hotich = [row.data for row in Row.objects.filter(table=table).order_by("number")
              if row.data["field"] == "Hộ tịch"]
    found = result(client, "datastore_search", resource_id=resource["id"],
                   filters={"field": "Hộ tịch"}, limit=5, sort="code desc",
                   fields=["_id", "code", "name"])
    assert found["total"] == len(hotich) > 5
    assert [f["id"] for f in found["fields"]] == ["_id", "code", "name"]
    assert [r["code"] for r in found["records"]] == sorted(
        (r["code"] for r in hotich), reverse=True)[:5]
    assert set(found["records"][0]) == {"_id", "code", "name"}
    next_page = client.get(found["_links"]["next"]).json()["result"]
    assert next_page["records"][0]["code"] == sorted(
        (r["code"] for r in hotich), reverse=True)[5]
    # Full text ignores diacritics; GET takes JSON-valued parameters as CKAN does.
    text = result(client, "datastore_search", "get", resource_id=resource["id"],
                  q="dang ky khai sinh", filters=json.dumps({"code": "1.001193"}))
    assert text["total"] == 1 and text["records"][0]["code"] == "1.001193"
    assert text["records"][0]["_id"] >= 1
    lists = result(client, "datastore_search", resource_id=resource["id"], limit=2, offset=1,
                   records_format="lists", fields="code,documents")
    assert lists["records"] == [[r.data["code"], r.data["documents"]] for r in
                                Row.objects.filter(table=table).order_by("number")[1:3]]
    numbers = result(client, "datastore_search", resource_id=resource["id"],
                     filters={"documents": "0"}, limit=0)
    assert numbers["total"] == Row.objects.filter(table=table, data__documents=0).count()
    for bad in ({"filters": {"khong_co": 1}}, {"sort": "khong_co desc"},
                {"fields": ["khong_co"]}, {"limit": "nhieu"}):
        body = api(client, "datastore_search", status=409, resource_id=resource["id"], **bad)
        assert body["error"]["__type"] == "Validation Error"
    body = api(client, "datastore_search", status=404, resource_id=str(uuid.uuid4()))
    assert body["error"]["__type"] == "Not Found Error"


# --- DCAT ---------------------------------------------------------------------------------------


def test_dcat_catalog_parses_as_json_ld_with_every_dataset(published):
    from rdflib import Graph, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

    client = Client()
    response = client.get("/catalog.jsonld")
    assert response["Content-Type"].startswith("application/ld+json")
    graph = Graph().parse(data=response.content.decode(), format="json-ld")
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == Dataset.objects.count()
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    assert set(graph.objects(catalog, DCAT.dataset)) == datasets
    package = result(client, "package_show", id="danh-muc-thu-tuc-hanh-chinh")
    node = URIRef(f"http://testserver/dataset/{package['id']}")
    assert str(graph.value(node, DCTERMS.title)) == package["title"]
    publisher = graph.value(node, DCTERMS.publisher)
    assert str(graph.value(publisher, FOAF.name)) == package["organization"]["title"]
    assert (publisher, RDF.type, FOAF.Organization) in graph
    assert str(graph.value(node, DCTERMS.license)) == package["license_url"]
    assert str(graph.value(node, DCTERMS.accrualPeriodicity)).endswith("/DAILY")
    distributions = set(graph.objects(node, DCAT.distribution))
    assert len(distributions) == len(package["resources"])
    urls = {str(graph.value(d, DCAT.downloadURL)) for d in distributions}
    assert urls == {r["url"] for r in package["resources"]}
    keywords = {str(k) for k in graph.objects(node, DCAT.keyword)}
    assert keywords == {t["name"] for t in package["tags"]}
    spdx = Namespace("http://spdx.org/rdf/terms#")
    assert len(set(graph.subjects(RDF.type, spdx.Checksum))) == Resource.objects.count()
    # One dataset alone, by name or id, and its URI leads to its page.
    one = Graph().parse(data=client.get(f"/dataset/{package['name']}.jsonld").content.decode(),
                        format="json-ld")
    assert set(one.subjects(RDF.type, DCAT.Dataset)) == {node}
    page = client.get(f"/dataset/{package['id']}")
    assert page.status_code == 302 and page["Location"] == "/du-lieu-mo/" \
        "danh-muc-thu-tuc-hanh-chinh/"
    assert client.get("/dataset/khong-co.jsonld").status_code == 404


# --- the pages ----------------------------------------------------------------------------------


def test_list_page_searches_and_filters_by_facets(published):
    client = Client()
    page = client.get("/du-lieu-mo/").content.decode()
    for name in CITY_DATASETS:
        assert f'href="/du-lieu-mo/{name}/"' in page
    assert "Cơ quan công bố" in page and "Định dạng" in page
    filtered = client.get("/du-lieu-mo/", {"tags": "đơn vị hành chính"}).content.decode()
    assert 'href="/du-lieu-mo/don-vi-hanh-chinh/"' in filtered
    assert 'href="/du-lieu-mo/danh-muc-thu-tuc-hanh-chinh/"' not in filtered
    searched = client.get("/du-lieu-mo/", {"q": "thu tuc"}).content.decode()
    assert 'href="/du-lieu-mo/danh-muc-thu-tuc-hanh-chinh/"' in searched
    # A query the search language cannot read still searches its words.
    assert client.get("/du-lieu-mo/", {"q": 'thu tuc "('}).status_code == 200


def test_dataset_page_previews_pages_and_charts(published):
    client = Client()
    html = client.get("/du-lieu-mo/danh-muc-thu-tuc-hanh-chinh/").content.decode()
    assert "CC BY 4.0" in html and "Hằng ngày" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'role="img"' in html
    assert "Hộ tịch" in html  # a field among the chart's bars
    table = Table.objects.get(dataset__name="danh-muc-thu-tuc-hanh-chinh")
    first = Row.objects.get(table=table, number=1).data["name"]
    eleventh = Row.objects.get(table=table, number=11).data["name"]
    assert first in html and eleventh not in html
    second = client.get("/du-lieu-mo/danh-muc-thu-tuc-hanh-chinh/",
                        {"trang-thu-tuc": 2}).content.decode()
    assert eleventh in second and first not in second
    assert client.get("/du-lieu-mo/khong-co/").status_code == 404
    for resource in Resource.objects.filter(dataset=table.dataset):
        assert resource.filename in html


# Queries people and robots type: unbalanced quotes and brackets, operators alone, wildcards, field
# separators, ranges with nonsense, control characters, very long text (issue #14 item 5).
ODD_QUERIES = ['x"y', '"', '""', '"x', 'x"', "(", ")", "(x", "x)", "((x OR y)", "[", "]",
               "[x TO y]", "x:[a TO b]", "num_resources:[a TO b]", "num_resources:[1 TO *",
               "metadata_modified:[x TO y]", "*", "**", "*:", ":*", "*:*x", ":", "x:", ":x",
               "::", "name:", "tags:(", "AND", "OR", "NOT", "x AND", "AND x", "x OR", "NOT NOT",
               "&&", "||", "+", "-", "+-x", "x\\", "\\", "\x00", "x\x00y", "\x7f\x1b[31m",
               "%", "%%00", "'; DROP TABLE x; --", "<script>", "đăng ký \"(", "ｘ＂ｙ",
               "a" * 5000, "x " * 3000, '"' * 999, "(" * 999, "tags:" * 500]


@pytest.mark.parametrize("text", ODD_QUERIES)
def test_odd_queries_answer_a_page_or_a_ckan_error(published, text):
    client = Client()
    listed = client.get("/du-lieu-mo/", {"q": text})
    assert listed.status_code == 200
    assert listed.context["q"] == text.strip()[:200]
    catalogue = client.get("/thu-tuc/", {"q": text})
    assert catalogue.status_code == 200
    for method in ("get", "post"):
        for parameter in ("q", "fq"):
            body = api(client, "package_search", method, status=None, **{parameter: text})
            assert body["success"] is True or body["error"]["__type"] in (
                "Search Error", "Validation Error", "Bad Request"), body
        body = api(client, "datastore_search", method, status=None,
                   resource_id=catalogue_resource(client)["id"], q=text)
        assert body["success"] is True or body["error"]["__type"] in (
            "Search Error", "Validation Error", "Bad Request"), body


def test_a_query_the_language_cannot_read_searches_its_words(published):
    client = Client()
    # x"y: the quote cannot be read; the words, with the quote dropped, are searched instead.
    listed = client.get("/du-lieu-mo/", {"q": 'thu"tuc'})
    assert listed.status_code == 200
    names = [p["name"] for p in listed.context["result"]["results"]]
    assert "danh-muc-thu-tuc-hanh-chinh" in names
    assert "don-vi-hanh-chinh" not in names


@pytest.mark.parametrize("depth", [20, 100_000])
def test_deeply_nested_json_gets_ckans_bad_request(published, depth):
    """Issue #14 item 6: nested deeper than the JSON decoder goes, any action answered 500.
    Anonymous and without a CSRF token, as any CKAN client calls."""
    from dichvucong.opendata import ckan

    client = Client(enforce_csrf_checks=True)
    nested = "[" * depth + "]" * depth
    bodies = (f'{{"q": {nested}}}', f'{{"filters": {{"a": {nested}}}}}', nested,
              '{"a": ' * depth + "1" + "}" * depth)
    for name in ckan.ACTIONS:
        for body in bodies:
            response = client.post(f"/api/3/action/{name}", body,
                                   content_type="application/json")
            assert response.status_code == 400, (name, response.content[:300])
            answer = response.json()
            assert answer["success"] is False and answer["error"]["__type"] == "Bad Request"
            assert answer["help"].endswith(f"/api/3/action/help_show?name={name}")


# --- the search language ------------------------------------------------------------------------


def test_the_query_language_parses_what_clients_send():
    parsed = query.parse('tags:"thống kê" +organization:so-tu-phap -res_format:JSON '
                         "name:(a OR b) metadata_modified:[2020-01-01 TO NOW] khai")
    assert [len(group) for group in parsed.groups] == [1, 1, 1, 1, 1, 1]
    assert parsed.groups[2][0].negate and parsed.groups[3][0].values == ["a", "b"]
    assert parsed.free_words == ["khai"]
    assert query.parse("*:*").groups[0][0].match_all
    assert len(query.parse("tags:a OR tags:b").groups) == 1
    for bad in ('tags:"open', "OR tags:a", "khong_co:1", "tags:a AND"):
        with pytest.raises(query.QuerySyntaxError):
            query.parse(bad)


# --- through the real ckanapi client, against the live server -------------------------------------


def file_dossier(*, name: str, id_number: str, phone: str, address: str, email: str,
                 where: str = "Ủy ban nhân dân phường Hải Châu", now=None, path=()) -> Dossier:
    """A birth registration filed online by the demo citizen for the given applicant, moved
    along ``path`` ((action, username, role), …) by the demo officials."""
    draft = builders.filed(
        where=where, now=now,
        attach=[("Tờ khai đăng ký khai sinh",
                 SimpleUploadedFile("to-khai.pdf", PDF, content_type="application/pdf"))],
        applicant_name=name, applicant_id_number=id_number, applicant_phone=phone,
        applicant_email=email, delivery="post",
        delivery_address={"street": address, "ward": "Phường Hải Châu"},
        form_data={"ho_ten_tre": name, "noi_cu_tru": address, "so_dinh_danh": id_number})
    for action, username, role in path:
        actions.perform(draft.pk, action, User.objects.get(username=username), role, "",
                        now=now)
    return Dossier.objects.get(pk=draft.pk)


RECEIVE = (("receive", "motcua.haichau", LifecycleRole.reception_officer),)


@pytest.mark.live_server
class TestThroughCkanapi:
    """These tests commit what they create (the live server reads another connection), so they
    use unique data and run with the browser tests."""

    @pytest.fixture(autouse=True)
    def _django_db_marker(self):
        """No rolled-back transaction: the live server must see the data."""

    @pytest.fixture
    def db(self, django_db_blocker):
        with django_db_blocker.unblock():
            yield

    def test_ckanapi_lists_searches_pages_and_reads_every_dataset_and_resource(
            self, live_url, db):
        import hashlib

        import requests
        from ckanapi import NotFound, RemoteCKAN, ValidationError

        refresh_all()
        expected = sorted(Dataset.objects.values_list("name", flat=True))
        with RemoteCKAN(live_url) as remote:
            assert remote.action.package_list() == expected
            assert remote.action.status_show()["site_url"] == live_url
            # Paging through a filtered search joins up to the filter's whole result.
            wanted = remote.action.package_search(fq="res_format:CSV", rows=0)["count"]
            assert wanted == len(expected)
            seen = []
            for start in range(0, wanted, 3):
                page = remote.action.package_search(fq="res_format:CSV", sort="name asc",
                                                    rows=3, start=start)
                assert page["count"] == wanted
                seen += [p["name"] for p in page["results"]]
            assert seen == expected
            stats = remote.action.package_search(fq='groups:thong-ke-dich-vu-cong tags:"hồ sơ"',
                                                 rows=100)
            assert "thong-ke-ho-so-theo-thang" in {p["name"] for p in stats["results"]}
            assert all("thong-ke-dich-vu-cong" in {g["name"] for g in p["groups"]}
                       for p in stats["results"])
            found = remote.action.package_search(q="đơn vị hành chính")
            assert found["results"][0]["name"] == "don-vi-hanh-chinh"
            with pytest.raises(NotFound):
                remote.action.package_show(id="khong-co-bo-du-lieu-nay")
            with pytest.raises(ValidationError):
                remote.action.package_search(rows="nhiều")
            organizations = {o["id"]: o for o in remote.action.organization_list(
                all_fields=True)}
            assert {g["name"] for g in remote.action.group_list(all_fields=True)} >= {
                "thu-tuc-hanh-chinh", "thong-ke-dich-vu-cong", "don-vi-hanh-chinh"}
            assert "thống kê" in remote.action.tag_list()
            for name in expected:
                package = remote.action.package_show(id=name)
                assert remote.action.package_show(id=package["id"]) == package
                organization = remote.action.organization_show(id=package["owner_org"])
                assert organization["name"] == organizations[package["owner_org"]]["name"]
                assert package["resources"]
                for resource in package["resources"]:
                    assert remote.action.resource_show(id=resource["id"]) == resource
                    response = requests.get(resource["url"], timeout=30)
                    assert response.status_code == 200
                    assert response.headers["Content-Type"].endswith("charset=utf-8")
                    assert f"sha256:{hashlib.sha256(response.content).hexdigest()}" == \
                        resource["hash"]
                    assert len(response.content) == resource["size"]
                    records = remote.action.datastore_search(resource_id=resource["id"],
                                                             limit=5)
                    if resource["format"] == "CSV":
                        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
                        assert lines[0] == [f["id"] for f in records["fields"][1:]]
                        assert records["total"] == len(lines) - 1
                    else:
                        document = json.loads(response.content)
                        assert records["total"] == len(document["records"])
                        assert [{k: v for k, v in r.items() if k != "_id"}
                                for r in records["records"]] == document["records"][:5]
        # GET-only clients (caches, proxies) read the same.
        with RemoteCKAN(live_url, get_only=True) as remote:
            assert remote.action.package_list() == expected
            resource = remote.action.package_show(id="danh-muc-thu-tuc-hanh-chinh")[
                "resources"][0]
            hit = remote.action.datastore_search(resource_id=resource["id"],
                                                 filters=json.dumps({"code": "1.001193"}))
            assert [r["code"] for r in hit["records"]] == ["1.001193"]

    def test_no_dataset_or_resource_contains_personal_data(self, live_url, db):
        import requests
        from ckanapi import RemoteCKAN

        mark = uuid.uuid4().hex[:6]
        digits = str(uuid.uuid4().int)[:9]
        person = {
            "name": f"Tôn Nữ Thị Bímật {mark}",
            "id_number": f"048{digits}",
            "phone": f"09{digits[:8]}",
            "address": f"{int(digits[:3])} kiệt Riêngtư {mark}, tổ {digits[3:5]}",
            "email": f"bimat.{mark}@example.org",
        }
        file_dossier(**person)
        file_dossier(**person, path=RECEIVE)
        file_dossier(**person, path=(*RECEIVE, ("assign", "lanhdao.haichau", LifecycleRole.leader)))
        # A feedback the person agreed to publish, their data in the question and the answer:
        # the published dataset carries neither (feedback/redaction.py).
        from dichvucong.feedback import services as feedback

        sent = feedback.submit(
            feedback.Draft(subject="procedure", procedure_code="1.001193", publish_consent=True,
                           agency_id=builders.agency().pk,
                           content=f"Tôi là {person['name']}, CCCD {person['id_number']}, "
                                   f"điện thoại {person['phone']}, email {person['email']}."),
            feedback.Sender(user=None, name=person["name"], phone=person["phone"]))
        feedback.answer(sent.pk, User.objects.get(username="motcua.haichau"),
                        f"Kính gửi {fold(person['name']).upper()}: thủ tục này miễn lệ phí.")
        refresh_all()
        texts = []
        with RemoteCKAN(live_url) as remote:
            names = remote.action.package_list()
            # The wards' indicators (monitor/wards.py) are scanned too.
            assert "chi-so-chuyen-doi-so-phuong-xa" in names
            for name in names:
                package = remote.action.package_show(id=name)
                texts.append(json.dumps(package, ensure_ascii=False))
                for resource in package["resources"]:
                    texts.append(requests.get(resource["url"], timeout=30).content.decode())
                    texts.append(json.dumps(remote.action.datastore_search(
                        resource_id=resource["id"], limit=32000), ensure_ascii=False))
                texts.append(requests.get(package["url"], timeout=30).text)
            texts.append(json.dumps(remote.action.organization_list(all_fields=True),
                                    ensure_ascii=False))
        texts.append(requests.get(f"{live_url}/catalog.jsonld", timeout=30).text)
        texts.append(requests.get(f"{live_url}/du-lieu-mo/", timeout=30).text)
        everything = "\n".join(texts)
        folded = fold(everything)
        digits_only = re.sub(r"\D", "", everything)
        assert Dataset.objects.count() >= 5 and len(everything) > 100_000
        assert "thủ tục này miễn lệ phí" in everything  # the published answer is there
        for key, value in person.items():
            assert value not in everything, key
            assert fold(value) not in folded, key
        assert person["id_number"] not in digits_only and person["phone"] not in digits_only

    def test_statistics_csv_through_the_api_matches_the_monitoring_centre(self, live_url, db):
        import datetime as dt

        import requests
        from ckanapi import RemoteCKAN
        from django.utils import timezone

        from dichvucong.monitor import metrics

        # October 2024: three dossiers of known outcomes at Phường Hải Châu, filed online.
        def at(day: int, hour: int = 9) -> dt.datetime:
            return timezone.make_aware(dt.datetime(2024, 10, day, hour, 0))

        procedure = Procedure.objects.get(code="1.001193")
        hai_chau = Agency.objects.get(name="Ủy ban nhân dân phường Hải Châu")

        def ours() -> dict:
            return {row.channel: row.figures for row in metrics.monthly_statistics(2024, 10)
                    if row.agency_id == hai_chau.pk and row.procedure_id == procedure.pk}

        before = ours().get("online")
        person = {"name": "Lê Văn Thống Kê", "id_number": "048099000111", "phone": "0905000111",
                  "address": "1 Bạch Đằng", "email": "thongke@example.org"}
        resolve = (*RECEIVE, ("assign", "lanhdao.haichau", LifecycleRole.leader),
                   ("examine", "chuyenvien.haichau", LifecycleRole.specialist),
                   ("approve", "lanhdao.haichau", LifecycleRole.leader),
                   ("issue_result", "chuyenvien.haichau", LifecycleRole.specialist))
        file_dossier(**person, now=at(1), path=resolve)  # resolved the day it came: on time
        late = file_dossier(**person, now=at(2), path=resolve[:4])
        for action, username, role in resolve[4:]:  # approved and issued weeks after its due
            actions.perform(late.pk, action, User.objects.get(username=username), role, "",
                            now=at(29))
        file_dossier(**person, now=at(3), path=RECEIVE)  # still open
        after = ours()["online"]
        base = {n: getattr(before, n, 0) if before else 0 for n in ("received", "resolved",
                                                                   "on_time", "late")}
        assert (after.received - base["received"], after.resolved - base["resolved"],
                after.on_time - base["on_time"], after.late - base["late"]) == (3, 2, 1, 1)

        refresh_all()
        with RemoteCKAN(live_url) as remote:
            package = remote.action.package_show(id="thong-ke-ho-so-theo-thang")
            resource = next(r for r in package["resources"] if r["format"] == "CSV")
            text = requests.get(resource["url"], timeout=30).content.decode("utf-8")
            rates_package = remote.action.package_show(id="ty-le-dung-han-va-truc-tuyen")
            rates_resource = next(r for r in rates_package["resources"] if r["format"] == "CSV")
            rates_text = requests.get(rates_resource["url"], timeout=30).content.decode("utf-8")
            agency_package = remote.action.package_show(id=f"thong-ke-ho-so-{hai_chau.slug}")
            assert agency_package["organization"]["name"] == hai_chau.slug
            records = remote.action.datastore_search(
                resource_id=resource["id"], filters={"period": "2024-10",
                                                     "agency_code": hai_chau.code,
                                                     "procedure_code": "1.001193",
                                                     "channel": "online"})["records"]
        published = [r for r in csv.DictReader(io.StringIO(text)) if r["period"] == "2024-10"]
        expected = metrics.monthly_statistics(2024, 10)
        assert len(published) == len(expected) > 0
        for row, stat in zip(published, expected, strict=True):
            figures = stat.figures
            assert (row["agency_code"], row["procedure_code"], row["channel"]) == (
                stat.agency_code, stat.procedure_code, stat.channel)
            assert row["agency_name"] == stat.agency and row["procedure_name"] == stat.procedure
            assert [int(row[n]) for n in ("received", "resolved", "on_time", "late",
                                          "withdrawn", "stopped")] == [
                figures.received, figures.resolved, figures.on_time, figures.late,
                figures.withdrawn, figures.stopped]
            average = figures.avg_processing_days
            assert row["avg_processing_days"] == ("" if average is None else str(average))
        assert [(r["received"], r["resolved"], r["on_time"], r["late"]) for r in records] == [
            (after.received, after.resolved, after.on_time, after.late)]
        # The rates per agency are the monitor's for the same month.
        scope = metrics.Scope(dt.date(2024, 10, 1), dt.date(2024, 10, 31))
        by_agency = {row.label: row.figures for row in metrics.breakdown(scope, "agency")}
        rates = [r for r in csv.DictReader(io.StringIO(rates_text)) if r["period"] == "2024-10"]
        row = next(r for r in rates if r["agency_code"] == hai_chau.code)
        figures = by_agency[hai_chau.name]
        assert float(row["on_time_rate"]) == figures.on_time_rate
        assert float(row["online_rate"]) == figures.online_rate == 100.0
        assert int(row["received"]) == figures.received
