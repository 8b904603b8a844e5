from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dichvucong.accounts.assurance import LEVEL_LABELS
from dichvucong.agencies.models import Agency
from dichvucong.catalog import queries
from dichvucong.catalog.forms import COMMUNE_AGENCY_CHOICES, CatalogFilterForm
from dichvucong.catalog.models import Field, Procedure
from dichvucong.catalog.presenters import present_procedure
from dichvucong.core.pagecache import public_page

PAGE_SIZE = 20


@require_GET
@public_page(params=(*CatalogFilterForm.base_fields, "page"))
def procedure_list(request: HttpRequest) -> HttpResponse:
    form = CatalogFilterForm(request.GET or None)
    procedures = queries.active_procedures().select_related("field", "agency")
    query, heading_parts = "", []
    if form.is_valid():
        data = form.cleaned_data
        query = data["q"].strip()
        if data["field"]:
            field = Field.objects.filter(slug=data["field"]).first()
            if field is None:
                raise Http404
            procedures = procedures.filter(field=field)
            heading_parts.append(field.name)
        if data["agency"] in COMMUNE_AGENCY_CHOICES:
            procedures = procedures.filter(
                at_commune=True, commune_agency_kind=COMMUNE_AGENCY_CHOICES[data["agency"]]
            )
            heading_parts.append(Agency.Kind(COMMUNE_AGENCY_CHOICES[data["agency"]]).label)
        elif data["agency"]:
            agency = Agency.objects.filter(slug=data["agency"]).first()
            if agency is None:
                raise Http404
            procedures = procedures.filter(agency=agency)
            heading_parts.append(agency.name)
        if data["level"] == "province":
            procedures = procedures.filter(at_province=True)
        elif data["level"] == "commune":
            procedures = procedures.filter(at_commune=True)
        if data["online"]:
            procedures = procedures.filter(online_mode=Procedure.OnlineMode.FULL)
    if query:
        results = queries.search(procedures, query)
    else:
        results = procedures.order_by("-popularity", "name")
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "catalog/procedure_list.html", {
        "form": form,
        "page": page,
        "query": query,
        "heading_parts": heading_parts,
        "querystring": params.urlencode(),
    })


@require_GET
@public_page()
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    procedure = get_object_or_404(
        queries.active_procedures().select_related("field", "agency", "current_version"),
        code=code,
    )
    definition = procedure.current_version.parsed()
    return render(request, "catalog/procedure_detail.html", {
        "procedure": procedure,
        "definition": definition,
        "p": present_procedure(definition, timezone.localdate()),
        "identity_needed": LEVEL_LABELS[definition.identity_level]
        if definition.identity_level else "",
    })


@require_GET
@public_page()
def field_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/field_list.html", {"fields": queries.fields_with_counts()})


@require_GET
@public_page()
def agency_list(request: HttpRequest) -> HttpResponse:
    counts = queries.commune_counts()
    return render(request, "catalog/agency_list.html", {
        "agencies": queries.agencies_with_counts(),
        "commune_groups": [
            (slug, Agency.Kind(kind).label, counts.get(kind, 0))
            for slug, kind in COMMUNE_AGENCY_CHOICES.items()
        ],
    })
