"""The CKAN Action API (v3) subset that clients and harvesters rely on, over the open datasets.

Each action is a plain function ``(data_dict, site) -> result`` raising the errors CKAN raises;
``views.action`` wraps it in CKAN's envelope (``help``, ``success``, ``result`` or ``error``)
with CKAN's HTTP codes. The dictionaries carry CKAN's field names (package, resource,
organization, group, tag; DataStore ``fields``, ``records``, ``total``, ``_links``), so existing
clients (ckanapi, ckanr, harvesters) read them unchanged.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.db.models import F, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from dichvucong.agencies.models import Agency
from dichvucong.core.text import fold, vietnamese_key
from dichvucong.opendata import query as search_query
from dichvucong.opendata.models import Dataset, Resource, Row, Table
from dichvucong.opendata.vocabulary import (
    FREQUENCIES,
    GROUPS,
    LICENSE,
    MIMETYPES,
    stable_id,
)

CKAN_VERSION = "2.10.4"  # the API generation we follow; reported by status_show
DATASTORE_MAX_LIMIT = 32000
DATASTORE_MAX_WORDS = 32


# --- errors, as CKAN's logic layer raises them --------------------------------------------------


class ActionError(Exception):
    status = 500
    type = "Internal Server Error"

    def body(self) -> dict:
        return {"__type": self.type, "message": str(self)}


class NotFound(ActionError):
    status = 404
    type = "Not Found Error"

    def body(self) -> dict:
        detail = str(self)
        return {"__type": self.type, "message": f"Not found: {detail}" if detail else "Not found"}


class ValidationError(ActionError):
    status = 409
    type = "Validation Error"

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(json.dumps(errors, ensure_ascii=False))
        self.errors = errors

    def body(self) -> dict:
        return {"__type": self.type, **self.errors}


class SearchError(ActionError):
    status = 409
    type = "Search Error"

    def body(self) -> dict:
        return {"__type": self.type, "message": f"Search error: {str(self)!r}"}


class BadRequest(ActionError):
    status = 400
    type = "Bad Request"

    def body(self) -> dict:
        return {"__type": self.type, "message": f"Bad request - {self}"}


# --- parameters --------------------------------------------------------------------------------


def as_int(data: dict, key: str, default: int, *, minimum: int = 0,
           maximum: int | None = None) -> int:
    value = data.get(key, default)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({key: ["Invalid integer"]}) from None
    if number < minimum:
        raise ValidationError({key: ["Must be a natural number" if minimum == 0
                                     else f"Must be at least {minimum}"]})
    return min(number, maximum) if maximum is not None else number


def as_bool(data: dict, key: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off", ""}:
        return False
    raise ValidationError({key: ["Value must be one of: true, false"]})


def as_list(value: Any) -> list:
    """A list given as a list, a JSON string (GET requests) or comma-separated text."""
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                raise ValidationError({"fields": ["Invalid JSON list"]}) from None
            if isinstance(parsed, list):
                return parsed
        return [part.strip() for part in text.split(",") if part.strip()]
    return [value]


def as_dict(data: dict, key: str) -> dict:
    value = data.get(key)
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValidationError({key: ["Invalid JSON object"]}) from None
    if not isinstance(value, dict):
        raise ValidationError({key: ["Not a JSON object"]})
    return value


def required(data: dict, key: str) -> str:
    value = data.get(key)
    if value in (None, ""):
        raise ValidationError({key: ["Missing value"]})
    return str(value)


# --- the site a request speaks for -------------------------------------------------------------


@dataclass
class Site:
    """Turns paths into absolute URLs for the request's host."""

    base_url: str  # e.g. http://127.0.0.1:8000, no trailing slash
    title: str = ""

    def url(self, path: str) -> str:
        return self.base_url + path


def iso(moment: datetime | None) -> str | None:
    """CKAN's timestamp format: naive UTC, ISO 8601 with microseconds."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


# --- dictization --------------------------------------------------------------------------------


def organization_id(agency) -> str:
    return str(stable_id("organization", agency.code))


def organization_dict(agency, site: Site, package_count: int | None = None) -> dict:
    result = {
        "id": organization_id(agency),
        "name": agency.slug,
        "title": agency.name,
        "display_name": agency.name,
        "description": agency.get_kind_display(),
        "type": "organization",
        "is_organization": True,
        "state": "active" if agency.is_active else "deleted",
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
        "created": None,
        "num_followers": 0,
        "url": site.url(reverse("opendata:list") + "?" + urlencode({"organization": agency.slug})),
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


def group_dict(group, site: Site, package_count: int | None = None) -> dict:
    result = {
        "id": group.id,
        "name": group.name,
        "title": group.title,
        "display_name": group.title,
        "description": group.description,
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
        "created": None,
        "num_followers": 0,
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


def tag_dict(name: str) -> dict:
    return {"id": str(stable_id("tag", name)), "name": name, "display_name": name,
            "state": "active", "vocabulary_id": None}


def download_path(resource: Resource, dataset_name: str) -> str:
    return reverse("opendata:download", kwargs={
        "name": dataset_name, "resource_id": resource.id, "filename": resource.filename})


def resource_dict(resource: Resource, dataset: Dataset, site: Site) -> dict:
    return {
        "id": str(resource.id),
        "package_id": str(dataset.id),
        "name": resource.name,
        "description": resource.description,
        "format": resource.format,
        "mimetype": MIMETYPES.get(resource.format),
        "mimetype_inner": None,
        "url": site.url(download_path(resource, dataset.name)),
        "url_type": None,
        "size": resource.size,
        "hash": f"sha256:{resource.sha256}",
        "position": resource.position,
        "state": "active",
        "resource_type": None,
        "cache_url": None,
        "cache_last_updated": None,
        "created": iso(resource.created_at),
        "last_modified": iso(resource.modified_at),
        "metadata_modified": iso(resource.modified_at),
        "datastore_active": True,
        "datastore_contains_all_records_of_source_file": True,
        "language": "vi",
        "license": LICENSE["url"],
    }


def package_dict(dataset: Dataset, site: Site) -> dict:
    resources = [resource_dict(r, dataset, site) for r in dataset.resources.all()]
    frequency_label, frequency_uri = FREQUENCIES[dataset.frequency]
    extras = {"frequency": frequency_uri, "frequency_label": frequency_label, "language": "vi",
              "spatial_text": "Thành phố Đà Nẵng", **dataset.extras}
    organization = organization_dict(dataset.organization, site)
    return {
        "id": str(dataset.id),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.notes,
        "type": "dataset",
        "state": "active",
        "private": False,
        "isopen": LICENSE["is_okd_compliant"],
        "license_id": LICENSE["id"],
        "license_title": LICENSE["title"],
        "license_url": LICENSE["url"],
        "author": dataset.organization.name,
        "author_email": None,
        "maintainer": dataset.organization.name,
        "maintainer_email": None,
        "url": site.url(reverse("opendata:dataset", kwargs={"name": dataset.name})),
        "version": None,
        "owner_org": organization["id"],
        "organization": organization,
        "creator_user_id": None,
        "metadata_created": iso(dataset.created_at),
        "metadata_modified": iso(dataset.modified_at),
        "num_resources": len(resources),
        "num_tags": len(dataset.tags),
        "tags": [tag_dict(t) for t in dataset.tags],
        "groups": [group_dict(GROUPS[g], site) for g in dataset.groups if g in GROUPS],
        "resources": resources,
        "extras": [{"key": k, "value": v} for k, v in sorted(extras.items())],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


def datasets():
    return (Dataset.objects.select_related("organization")
            .prefetch_related(Prefetch("resources", Resource.objects.order_by("position"))))


def get_dataset(identifier: str) -> Dataset:
    lookup = Q(name=identifier)
    if _is_uuid(identifier):
        lookup |= Q(pk=identifier)
    dataset = datasets().filter(lookup).first()
    if dataset is None:
        raise NotFound("")
    return dataset


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return True


def search_document(package: dict) -> search_query.Document:
    tags = {fold(t["name"]) for t in package["tags"]}
    text_parts = {
        "title": package["title"],
        "notes": package["notes"],
        "res_name": " ".join(r["name"] for r in package["resources"]),
        "res_description": " ".join(r["description"] for r in package["resources"]),
        "organization_title": package["organization"]["title"],
    }
    text = {key: fold(value) for key, value in text_parts.items()}
    text["text"] = fold(" ".join([*text_parts.values(), package["name"],
                                  *(t["name"] for t in package["tags"]),
                                  *(g["title"] for g in package["groups"])]))
    extras = {f"extras_{e['key']}": {fold(str(e["value"]))} for e in package["extras"]}
    exact = {
        "id": {package["id"]},
        "name": {package["name"]},
        "organization": {package["organization"]["name"]},
        "owner_org": {package["owner_org"]},
        "tags": tags,
        "groups": {g["name"] for g in package["groups"]},
        "res_format": {fold(r["format"]) for r in package["resources"]},
        "license_id": {fold(package["license_id"])},
        "type": {"dataset"},
        "state": {"active"},
        "capacity": {"public"},
        **extras,
    }
    exact["frequency"] = exact.get("extras_frequency", set())
    ranges = {
        "metadata_modified": package["metadata_modified"],
        "metadata_created": package["metadata_created"],
        "num_resources": package["num_resources"],
        "num_tags": package["num_tags"],
    }
    return search_query.Document(exact=exact, text=text, ranges=ranges)


# --- actions ----------------------------------------------------------------------------------

ACTIONS: dict[str, Callable[[dict, Site], Any]] = {}


def action(function: Callable[[dict, Site], Any]) -> Callable[[dict, Site], Any]:
    ACTIONS[function.__name__] = function
    return function


@action
def status_show(data: dict, site: Site) -> dict:
    """Return the site's status: title, URL, CKAN version followed and extensions."""
    return {
        "site_title": site.title,
        "site_description": "Dữ liệu mở của Cổng dịch vụ công",
        "site_url": site.base_url,
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": "vi",
        "extensions": ["datastore", "dcat"],
    }


@action
def help_show(data: dict, site: Site) -> str:
    """Return an action's documentation. :param name: the action's name."""
    name = required(data, "name")
    function = ACTIONS.get(name)
    if function is None:
        raise NotFound(f"Action function not found: {name}")
    return function.__doc__ or ""


@action
def license_list(data: dict, site: Site) -> list[dict]:
    """Return the licences datasets use."""
    return [{**LICENSE}]


@action
def package_list(data: dict, site: Site) -> list[str]:
    """Return the names of the datasets. :param limit: :param offset:"""
    offset = as_int(data, "offset", 0)
    names = Dataset.objects.order_by("name").values_list("name", flat=True)
    if data.get("limit") not in (None, ""):
        return list(names[offset:offset + as_int(data, "limit", 0)])
    return list(names[offset:])


@action
def current_package_list_with_resources(data: dict, site: Site) -> list[dict]:
    """Return the datasets with their resources, most recently modified first."""
    limit = as_int(data, "limit", 1000, maximum=1000)
    offset = as_int(data, "offset", 0)
    rows = datasets().order_by("-modified_at", "name")[offset:offset + limit]
    return [package_dict(d, site) for d in rows]


@action
def package_show(data: dict, site: Site) -> dict:
    """Return a dataset. :param id: its id or name."""
    return package_dict(get_dataset(required(data, "id")), site)


@action
def resource_show(data: dict, site: Site) -> dict:
    """Return a resource. :param id: its id."""
    identifier = required(data, "id")
    if not _is_uuid(identifier):
        raise NotFound("Resource was not found.")
    resource = Resource.objects.select_related("dataset").filter(pk=identifier).first()
    if resource is None:
        raise NotFound("Resource was not found.")
    return resource_dict(resource, resource.dataset, site)


SORT_FIELDS = {
    "score": None, "metadata_modified": "metadata_modified",
    "metadata_created": "metadata_created", "name": "name", "title_string": "title",
    "title": "title", "num_resources": "num_resources", "num_tags": "num_tags",
}
FACETABLE = ("organization", "groups", "tags", "res_format", "license_id")


def parse_sort(text: str) -> list[tuple[str, bool]]:
    keys = []
    for part in text.split(","):
        bits = part.split()
        if not bits:
            continue
        if len(bits) > 2 or bits[0] not in SORT_FIELDS or (
                len(bits) == 2 and bits[1].lower() not in ("asc", "desc")):
            raise SearchError(f"Invalid sort: {part.strip()}")
        keys.append((bits[0], len(bits) == 2 and bits[1].lower() == "desc"))
    return keys


@action
def package_search(data: dict, site: Site) -> dict:
    """Search datasets. :param q: :param fq: :param fq_list: :param sort: :param rows:
    :param start: :param facet: :param facet.field: :param facet.limit: :param facet.mincount:
    Solr's syntax: ``organization:x tags:"y" res_format:CSV groups:z``."""
    rows = as_int(data, "rows", 10, maximum=1000)
    start = as_int(data, "start", 0)
    sort_text = data.get("sort") or "score desc, metadata_modified desc"
    sort = parse_sort(str(sort_text))
    clauses = [str(data.get("q") or "")]
    if data.get("fq"):
        clauses.append(str(data["fq"]))
    clauses += [str(item) for item in as_list(data.get("fq_list"))]
    try:
        parsed = [search_query.parse(text) for text in clauses]
    except search_query.QuerySyntaxError as error:
        raise SearchError(str(error)) from None
    words = parsed[0].free_words
    now = iso(timezone.now())
    packages = [package_dict(d, site) for d in datasets()]
    found = []
    for package in packages:
        doc = search_document(package)
        if all(search_query.matches(q, doc, now) for q in parsed):
            found.append((package, search_query.score(words, doc)))

    def key_for(name: str):
        if name == "score":
            return lambda item: item[1]
        if name in ("title", "title_string"):  # titles in Vietnamese alphabetical order
            return lambda item: vietnamese_key(item[0]["title"])
        return lambda item: item[0][SORT_FIELDS[name]]

    found.sort(key=lambda item: item[0]["name"])
    for name, descending in reversed(sort):
        found.sort(key=key_for(name), reverse=descending)
    result = {
        "count": len(found),
        "sort": str(sort_text),
        "results": [package for package, _ in found[start:start + rows]],
        "facets": {},
        "search_facets": {},
    }
    facet_fields = as_list(data.get("facet.field"))
    if facet_fields and as_bool(data, "facet", True):
        limit = as_int(data, "facet.limit", 50, minimum=-1)
        mincount = as_int(data, "facet.mincount", 1)
        facets, search_facets = facet_counts([p for p, _ in found], facet_fields, limit,
                                             mincount)
        result["facets"], result["search_facets"] = facets, search_facets
    return result


def facet_counts(packages: list[dict], names: list[str], limit: int = 50,
                 mincount: int = 1) -> tuple[dict, dict]:
    facets, search_facets = {}, {}
    for name in names:
        if name not in FACETABLE:
            raise SearchError(f"undefined field {name}")
        counts: Counter[str] = Counter()
        titles: dict[str, str] = {}
        for package in packages:
            if name == "organization":
                values = [(package["organization"]["name"], package["organization"]["title"])]
            elif name == "groups":
                values = [(g["name"], g["title"]) for g in package["groups"]]
            elif name == "tags":
                values = [(t["name"], t["name"]) for t in package["tags"]]
            elif name == "res_format":
                values = sorted({(r["format"], r["format"]) for r in package["resources"]})
            else:
                values = [(package["license_id"], package["license_title"])]
            for value, title in values:
                counts[value] += 1
                titles[value] = title
        items = sorted(((v, c) for v, c in counts.items() if c >= mincount),
                       key=lambda vc: (-vc[1], vietnamese_key(titles[vc[0]])))
        if limit >= 0:
            items = items[:limit]
        facets[name] = dict(items)
        search_facets[name] = {"title": name, "items": [
            {"name": v, "display_name": titles[v], "count": c} for v, c in items]}
    return facets, search_facets


def publishers() -> list:
    """The agencies that publish at least one dataset, with their dataset counts."""
    counts = Counter(Dataset.objects.values_list("organization_id", flat=True))
    agencies = sorted(Agency.objects.filter(pk__in=counts),
                      key=lambda a: (a.level, vietnamese_key(a.name)))
    return [(agency, counts[agency.pk]) for agency in agencies]


def _list_of(items: list[tuple[dict, str]], data: dict, *, default_sort: str) -> list:
    """Shared by organization_list and group_list: sort, page, names or full dicts."""
    wanted = set(as_list(data.get("organizations") or data.get("groups")))
    if wanted:
        items = [item for item in items if item[0]["name"] in wanted]
    sort = str(data.get("sort") or default_sort).split()
    field = {"name": "name", "title": "title", "display_name": "title",
             "package_count": "package_count"}.get(sort[0] if sort else "")
    if field is None or (len(sort) > 1 and sort[1].lower() not in ("asc", "desc")):
        raise ValidationError({"sort": ["Invalid sort"]})
    descending = len(sort) > 1 and sort[1].lower() == "desc"
    items.sort(key=lambda item: vietnamese_key(str(item[0][field])) if field != "package_count"
               else item[0][field], reverse=descending)
    offset = as_int(data, "offset", 0)
    limit = as_int(data, "limit", 1000, maximum=1000)
    page = [item[0] for item in items[offset:offset + limit]]
    if as_bool(data, "all_fields", False):
        if not as_bool(data, "include_dataset_count", True):
            for item in page:
                item.pop("package_count", None)
        return page
    return [item["name"] for item in page]


@action
def organization_list(data: dict, site: Site) -> list:
    """Return the publishing agencies. :param all_fields: :param sort: :param limit:
    :param offset: :param organizations:"""
    items = [(organization_dict(agency, site, count), "") for agency, count in publishers()]
    return _list_of(items, data, default_sort="title asc")


@action
def organization_show(data: dict, site: Site) -> dict:
    """Return a publishing agency. :param id: its id or name. :param include_datasets:"""
    identifier = required(data, "id")
    for agency, count in publishers():
        if identifier in (agency.slug, organization_id(agency)):
            result = organization_dict(agency, site, count)
            result.update({"users": [], "extras": [], "groups": [], "tags": []})
            if as_bool(data, "include_datasets", False):
                result["packages"] = [package_dict(d, site)
                                      for d in datasets().filter(organization=agency)]
            return result
    raise NotFound("Organization was not found.")


def group_counts() -> Counter:
    counts: Counter[str] = Counter()
    for groups in Dataset.objects.values_list("groups", flat=True):
        counts.update(groups)
    return counts


@action
def group_list(data: dict, site: Site) -> list:
    """Return the groups (themes). :param all_fields: :param sort: :param limit: :param offset:"""
    counts = group_counts()
    items = [(group_dict(group, site, counts[name]), "") for name, group in GROUPS.items()]
    return _list_of(items, data, default_sort="title asc")


@action
def group_show(data: dict, site: Site) -> dict:
    """Return a group. :param id: its id or name. :param include_datasets:"""
    identifier = required(data, "id")
    counts = group_counts()
    for name, group in GROUPS.items():
        if identifier in (name, group.id):
            result = group_dict(group, site, counts[name])
            result.update({"users": [], "extras": [], "groups": [], "tags": []})
            if as_bool(data, "include_datasets", False):
                result["packages"] = [package_dict(d, site) for d in datasets()
                                      if name in d.groups]
            return result
    raise NotFound("Group was not found.")


@action
def tag_list(data: dict, site: Site) -> list:
    """Return the tags in use. :param query: part of a tag. :param all_fields:"""
    tags: set[str] = set()
    for names in Dataset.objects.values_list("tags", flat=True):
        tags.update(names)
    wanted = fold(str(data.get("query") or data.get("q") or ""))
    names = sorted((t for t in tags if wanted in fold(t)), key=vietnamese_key)
    if as_bool(data, "all_fields", False):
        return [tag_dict(name) for name in names]
    return names


# --- DataStore ----------------------------------------------------------------------------------

PYTHON_TYPES = {"int": int, "numeric": float, "text": str}


def _coerce(value: Any, kind: str, key: str) -> Any:
    try:
        return PYTHON_TYPES[kind](value)
    except (TypeError, ValueError):
        raise ValidationError({"filters": [f'invalid value for field "{key}": {value!r}']}) \
            from None


@action
def datastore_search(data: dict, site: Site) -> dict:
    """Search a tabular resource's records. :param resource_id: :param filters: ``{field: value
    or [values]}``. :param q: full text, or ``{field: text}``. :param fields: :param sort:
    ``"field desc, other"``. :param limit: (default 100). :param offset: :param include_total:
    :param records_format: ``objects`` or ``lists``."""
    resource_id = data.get("resource_id") or data.get("id")
    if not resource_id:
        raise ValidationError({"resource_id": ["Missing value"]})
    resource = None
    if _is_uuid(str(resource_id)):
        resource = Resource.objects.select_related("table").filter(pk=resource_id).first()
    if resource is None:
        raise NotFound(f'Resource "{resource_id}" was not found.')
    table: Table = resource.table
    types = {f["id"]: f["type"] for f in table.fields}
    limit = as_int(data, "limit", 100, maximum=DATASTORE_MAX_LIMIT)
    offset = as_int(data, "offset", 0)
    records_format = str(data.get("records_format") or "objects")
    if records_format not in ("objects", "lists"):
        raise ValidationError({"records_format": ["Value must be one of ['objects', 'lists']"]})

    rows = Row.objects.filter(table=table)
    filters = as_dict(data, "filters")
    for key, value in filters.items():
        if key == "_id":
            values = value if isinstance(value, list) else [value]
            rows = rows.filter(number__in=[_coerce(v, "int", key) for v in values])
            continue
        if key not in types:
            raise ValidationError({"filters": [f'field "{key}" not in table']})
        values = [_coerce(v, types[key], key) for v in value] if isinstance(value, list) \
            else [_coerce(value, types[key], key)]
        if connection.vendor == "postgresql":
            # jsonb containment, which the GIN index on the records serves (migration 0002).
            match = Q()
            for item in values:
                match |= Q(data__contains={key: item})
            rows = rows.filter(match)
        else:
            rows = rows.filter(**{f"data__{key}__in": values})
    q = data.get("q")
    if isinstance(q, str) and q.strip().startswith("{"):
        q = as_dict(data, "q")
    if isinstance(q, dict):
        words_by_field = {key: list(dict.fromkeys(str(text).split())) for key, text in q.items()}
        words = [w for values in words_by_field.values() for w in values]
    elif q:
        words = list(dict.fromkeys(fold(str(q)).split()))
    else:
        words = []
    if len(words) > DATASTORE_MAX_WORDS:
        # Each word is one more condition of the query: SQLite refuses thousands of them.
        raise ValidationError({"q": [f"At most {DATASTORE_MAX_WORDS} words"]})
    if isinstance(q, dict):
        for key, values in words_by_field.items():
            if key not in types:
                raise ValidationError({"q": [f'field "{key}" not in table']})
            for word in values:
                rows = rows.filter(**{f"data__{key}__icontains": word})
    else:
        for word in words:
            rows = rows.filter(search__contains=word.rstrip(":*"))

    order = []
    sort_text = data.get("sort")
    for part in as_list(sort_text) if sort_text else []:
        bits = str(part).split()
        name = bits[0].strip('"') if bits else ""
        if not bits or len(bits) > 2 or (name != "_id" and name not in types) or (
                len(bits) == 2 and bits[1].lower() not in ("asc", "desc")):
            raise ValidationError({"sort": [f'field "{name}" not in table']})
        expression = F("number") if name == "_id" else F(f"data__{name}")
        descending = len(bits) == 2 and bits[1].lower() == "desc"
        order.append(expression.desc() if descending else expression.asc())
    rows = rows.order_by(*order, "number")

    all_fields = [{"id": "_id", "type": "int"}] + [
        {"id": f["id"], "type": f["type"], "info": {"label": f["label"]}} for f in table.fields]
    wanted = [str(f) for f in as_list(data.get("fields"))]
    known = {f["id"] for f in all_fields}
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise ValidationError({"fields": [f'field "{unknown[0]}" not in table']})
    fields = [f for f in all_fields if f["id"] in wanted] if wanted else all_fields
    ids = [f["id"] for f in fields]

    records = []
    for row in rows[offset:offset + limit]:
        values = {"_id": row.number, **row.data}
        if records_format == "lists":
            records.append([values.get(i) for i in ids])
        else:
            records.append({i: values.get(i) for i in ids})

    link_params: dict[str, Any] = {"resource_id": str(resource.id)}
    if data.get("limit") not in (None, ""):
        link_params["limit"] = limit
    if filters:
        link_params["filters"] = json.dumps(filters, ensure_ascii=False)
    if q:
        link_params["q"] = json.dumps(q, ensure_ascii=False) if isinstance(q, dict) else q
    if wanted:
        link_params["fields"] = ",".join(wanted)
    if sort_text:
        link_params["sort"] = sort_text if isinstance(sort_text, str) else ",".join(sort_text)
    if records_format != "objects":
        link_params["records_format"] = records_format
    base = "/api/3/action/datastore_search"
    result = {
        "resource_id": str(resource.id),
        "fields": fields,
        "records": records,
        "records_format": records_format,
        "limit": limit,
        "_links": {
            "start": f"{base}?{urlencode(link_params)}",
            "next": f"{base}?{urlencode({**link_params, 'offset': offset + limit})}",
        },
        "include_total": as_bool(data, "include_total", True),
        "total_estimation_threshold": None,
    }
    if result["include_total"]:
        result["total"] = rows.count()
        result["total_was_estimated"] = False
    if offset:
        result["offset"] = offset
    if filters:
        result["filters"] = filters
    if q:
        result["q"] = q
    if sort_text:
        result["sort"] = sort_text
    return result


# No action takes parameters nested deeper than this (datastore_search's ``filters`` of lists is
# three); deeper input is refused before it reaches code that recurses over it.
MAX_DEPTH = 8


def check_request_data(data: dict) -> None:
    """Refuse parameters nested deeper than ``MAX_DEPTH`` or holding a NUL character (which
    PostgreSQL cannot store or compare), walking them without recursion."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"Bad request data: nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            pending += [(key, depth + 1) for key in value]
            pending += [(item, depth + 1) for item in value.values()]
        elif isinstance(value, list):
            pending += [(item, depth + 1) for item in value]
        elif isinstance(value, str) and "\x00" in value:
            raise BadRequest("Bad request data: a NUL character in a parameter")


def call(name: str, data: dict, site: Site) -> Any:
    function = ACTIONS.get(name)
    if function is None:
        raise BadRequest(f"Action name not known: {name}")
    return function(data, site)
