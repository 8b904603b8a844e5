"""The open data portal over HTTP: CKAN's Action API, DCAT JSON-LD, downloads and the pages.

All of it is public and read-only: no login, no cookies read, nothing written. The API answers
any origin (CORS) since it carries only open data; CSRF does not apply to it for the same
reason (no session is used to act).
"""

from __future__ import annotations

import json
import logging
import reprlib
from urllib.parse import urlencode

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from dichvucong.core import storage
from dichvucong.opendata import charts, ckan, dcat
from dichvucong.opendata import query as search_query
from dichvucong.opendata.models import Dataset, Row
from dichvucong.opendata.vocabulary import FREQUENCIES, GROUPS, LICENSE

log = logging.getLogger(__name__)


def site_for(request: HttpRequest) -> ckan.Site:
    return ckan.Site(base_url=f"{request.scheme}://{request.get_host()}",
                     title=str(settings.PORTAL_NAME))


def _open(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _json(payload, status: int = 200) -> JsonResponse:
    response = JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/json;charset=utf-8"
    return _open(response)


def request_data(request: HttpRequest) -> dict:
    """The action's parameters as CKAN reads them: URL parameters on GET (a repeated one becomes
    a list), a JSON object or form fields on POST."""
    if request.method == "GET":
        return {key: values[0] if len(values) == 1 else values
                for key, values in request.GET.lists()}
    if request.content_type == "application/x-www-form-urlencoded" and request.POST:
        return {key: values[0] if len(values) == 1 else values
                for key, values in request.POST.lists()}
    body = request.body
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError as error:
        raise ckan.BadRequest(f"JSON Error: Error decoding JSON data. Error: {error!r}") from None
    except RecursionError:
        # Nested deeper than the decoder goes: the same answer as any JSON it cannot read.
        raise ckan.BadRequest("JSON Error: Error decoding JSON data. Error: nested too deeply") \
            from None
    if not isinstance(data, dict):
        raise ckan.BadRequest("Bad request data: Request data JSON decoded to "
                              f"{reprlib.repr(data)} but it needs to be a dictionary.")
    return data


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def action(request: HttpRequest, name: str) -> HttpResponse:
    if request.method == "OPTIONS":
        response = _open(HttpResponse(status=204))
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, Authorization, X-CKAN-API-Key"
        return response
    site = site_for(request)
    envelope = {"help": site.url(f"/api/3/action/help_show?{urlencode({'name': name})}")}
    try:
        data = request_data(request)
        ckan.check_request_data(data)
        data.pop("callback", None)
        result = ckan.call(name, data, site)
    except ckan.ActionError as error:
        envelope.update(success=False, error=error.body())
        return _json(envelope, status=error.status)
    envelope.update(success=True, result=result)
    return _json(envelope)


def _jsonld(payload: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(payload, ensure_ascii=False, indent=1),
                            content_type="application/ld+json; charset=utf-8")
    return _open(response)


@require_GET
def catalog_jsonld(request: HttpRequest) -> HttpResponse:
    site = site_for(request)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    total = Dataset.objects.count()
    start = (page - 1) * dcat.PAGE_SIZE
    packages = [ckan.package_dict(d, site)
                for d in ckan.datasets().order_by("position", "name")[start:start + dcat.PAGE_SIZE]]
    if page > 1 and not packages:
        raise Http404
    return _jsonld(dcat.catalog_document(
        packages, site.base_url, title=site.title, page=page, total=total,
        catalog_url=site.url(reverse("opendata:catalog_jsonld"))))


@require_GET
def dataset_jsonld(request: HttpRequest, identifier: str) -> HttpResponse:
    site = site_for(request)
    try:
        dataset = ckan.get_dataset(identifier)
    except ckan.NotFound:
        raise Http404 from None
    return _jsonld(dcat.dataset_document(ckan.package_dict(dataset, site), site.base_url))


@require_GET
def dataset_by_id(request: HttpRequest, identifier: str) -> HttpResponse:
    """``/dataset/<id or name>``, the URI the DCAT output names, leads to the dataset's page."""
    try:
        dataset = ckan.get_dataset(identifier)
    except ckan.NotFound:
        raise Http404 from None
    return redirect("opendata:dataset", name=dataset.name)


@require_GET
def download(request: HttpRequest, name: str, resource_id, filename: str) -> HttpResponse:
    dataset = Dataset.objects.filter(name=name).first()
    resource = dataset and dataset.resources.filter(pk=resource_id, filename=filename).first()
    if resource is None:
        raise Http404
    content_type = {"CSV": "text/csv; charset=utf-8",
                    "JSON": "application/json; charset=utf-8"}[resource.format]
    response = storage.download(resource.file, resource.sha256, filename=resource.filename,
                                content_type=content_type)
    # Open data is public: cacheable, unlike the private downloads.
    del response["Cache-Control"]
    response["ETag"] = f'"{resource.sha256}"'
    return _open(response)


# --- pages --------------------------------------------------------------------------------------

PAGE_SIZE = 20
PREVIEW_ROWS = 10
FACETS = ("organization", "groups", "tags", "res_format")


def _quote(value: str) -> str:
    return '"' + value.replace('"', "") + '"'


@require_GET
def dataset_list(request: HttpRequest) -> HttpResponse:
    site = site_for(request)
    q = request.GET.get("q", "").strip()[:200]
    chosen = {facet: [v for v in request.GET.getlist(facet) if v][:5] for facet in FACETS}
    fq = " ".join(f"{facet}:{_quote(value)}" for facet, values in chosen.items()
                  for value in values)
    try:
        page = max(1, int(request.GET.get("trang", "1")))
    except ValueError:
        page = 1
    data = {"q": q, "fq": fq, "rows": PAGE_SIZE, "start": (page - 1) * PAGE_SIZE,
            "facet.field": list(FACETS), "facet.limit": 20,
            "sort": "score desc, name asc" if q else "name asc"}
    try:
        result = ckan.package_search(data, site)
    except ckan.ActionError:
        # A query the search language cannot read: search its words alone.
        data["q"] = search_query.plain_words(q)
        try:
            result = ckan.package_search(data, site)
        except ckan.ActionError:
            # Still unreadable (the filters): a page that finds nothing, never an error.
            result = {"count": 0, "results": [],
                      "search_facets": {facet: {"items": []} for facet in FACETS}}
    base = request.GET.copy()
    base.pop("trang", None)
    facets = []
    titles = {"organization": _("Cơ quan công bố"), "groups": _("Nhóm"),
              "tags": _("Từ khóa"), "res_format": _("Định dạng")}
    for facet in FACETS:
        items = []
        for item in result["search_facets"][facet]["items"]:
            params = base.copy()
            active = item["name"] in chosen[facet]
            values = [v for v in chosen[facet] if v != item["name"]]
            if not active:
                values.append(item["name"])
            params.setlist(facet, values)
            items.append({**item, "active": active, "query": params.urlencode()})
        if items:
            facets.append({"name": facet, "title": titles[facet], "items": items})
    pages = max(1, -(-result["count"] // PAGE_SIZE))
    return render(request, "opendata/dataset_list.html", {
        "result": result,
        "q": q,
        "facets": facets,
        "filtered": any(chosen.values()),
        "page": page,
        "pages": pages,
        "querystring": base.urlencode(),
        "licence": LICENSE,
    })


@require_GET
def dataset_detail(request: HttpRequest, name: str) -> HttpResponse:
    site = site_for(request)
    dataset = ckan.datasets().filter(name=name).first()
    if dataset is None:
        raise Http404
    package = ckan.package_dict(dataset, site)
    resources = {r["id"]: r for r in package["resources"]}
    tables = []
    for table in dataset.tables.all():
        param = f"trang-{table.key}"
        pages = max(1, -(-table.row_count // PREVIEW_ROWS))
        try:
            page = min(pages, max(1, int(request.GET.get(param, "1"))))
        except ValueError:
            page = 1
        start = (page - 1) * PREVIEW_ROWS
        rows = Row.objects.filter(table=table, number__gt=start,
                                  number__lte=start + PREVIEW_ROWS).order_by("number")
        ids = [f["id"] for f in table.fields]
        others = request.GET.copy()
        others.pop(param, None)
        chart = None
        if table.chart and table.chart.get("bars"):
            chart = {**charts.layout(table.chart["bars"]), "title": table.chart["title"],
                     "id": f"bieu-do-{table.key}"}
        tables.append({
            "table": table,
            "fields": table.fields,
            "rows": [[row.data.get(i) for i in ids] for row in rows],
            "page": page,
            "pages": pages,
            "param": param,
            "others": others.urlencode(),
            "chart": chart,
            "resources": [resources[str(r.id)] for r in table.resources.all()
                          if str(r.id) in resources],
        })
    frequency_label = FREQUENCIES[dataset.frequency][0]
    return render(request, "opendata/dataset_detail.html", {
        "dataset": dataset,
        "package": package,
        "tables": tables,
        "frequency": frequency_label,
        "groups": [GROUPS[g] for g in dataset.groups if g in GROUPS],
        "licence": LICENSE,
        "api_url": reverse("opendata:action", kwargs={"name": "package_show"})
        + "?" + urlencode({"id": dataset.name}),
        "jsonld_url": reverse("opendata:dataset_jsonld", kwargs={"identifier": dataset.name}),
    })
