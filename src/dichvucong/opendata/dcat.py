"""DCAT metadata of the catalogue as JSON-LD, shaped as ckanext-dcat serves it: one
``dcat:Catalog`` whose ``dcat:dataset`` are ``dcat:Dataset`` nodes with their
``dcat:Distribution`` (one per resource), ``dct:publisher`` (a ``foaf:Organization``), licence,
keywords, themes, update frequency and dates; URIs of the form ``{site}/dataset/{id}`` and
``{site}/dataset/{id}/resource/{resource id}`` as ckanext-dcat mints them. The context is inline,
so a parser needs nothing from the network.
"""

from __future__ import annotations

from dichvucong.opendata.vocabulary import FORMAT_URIS, LICENSE

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "spdx": "http://spdx.org/rdf/terms#",
}
PAGE_SIZE = 100  # ckanext-dcat's default page size for the catalogue endpoint


def _text(value: str) -> dict:
    return {"@value": value, "@language": "vi"}


def _date(value: str | None) -> dict | None:
    return {"@value": value, "@type": "xsd:dateTime"} if value else None


def dataset_uri(site_url: str, package: dict) -> str:
    return f"{site_url}/dataset/{package['id']}"


def organization_uri(site_url: str, organization: dict) -> str:
    return f"{site_url}/organization/{organization['id']}"


def group_uri(site_url: str, group: dict) -> str:
    return f"{site_url}/group/{group['id']}"


def dataset_nodes(package: dict, site_url: str) -> list[dict]:
    """The nodes of one dataset: the dataset, its publisher and its distributions."""
    uri = dataset_uri(site_url, package)
    extras = {e["key"]: e["value"] for e in package["extras"]}
    organization = package["organization"]
    publisher = {
        "@id": organization_uri(site_url, organization),
        "@type": "foaf:Organization",
        "foaf:name": _text(organization["title"]),
    }
    distributions = []
    for resource in package["resources"]:
        node = {
            "@id": f"{uri}/resource/{resource['id']}",
            "@type": "dcat:Distribution",
            "dct:identifier": resource["id"],
            "dct:title": _text(resource["name"]),
            "dct:description": _text(resource["description"]),
            "dcat:accessURL": {"@id": package["url"]},
            "dcat:downloadURL": {"@id": resource["url"]},
            "dct:format": {"@id": FORMAT_URIS[resource["format"]]},
            "dcat:mediaType": resource["mimetype"],
            "dct:license": {"@id": LICENSE["url"]},
            "dcat:byteSize": {"@value": str(resource["size"]), "@type": "xsd:decimal"},
            "dct:issued": _date(resource["created"]),
            "dct:modified": _date(resource["last_modified"]),
            "dct:language": "vi",
            "spdx:checksum": {
                "@type": "spdx:Checksum",
                "spdx:algorithm": {"@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"},
                "spdx:checksumValue": {"@value": resource["hash"].removeprefix("sha256:"),
                                       "@type": "xsd:hexBinary"},
            },
        }
        distributions.append({k: v for k, v in node.items() if v is not None})
    dataset = {
        "@id": uri,
        "@type": "dcat:Dataset",
        "dct:identifier": package["id"],
        "dct:title": _text(package["title"]),
        "dct:description": _text(package["notes"]),
        "dcat:keyword": [_text(tag["name"]) for tag in package["tags"]],
        "dcat:theme": [{"@id": group_uri(site_url, g)} for g in package["groups"]],
        "dct:publisher": {"@id": publisher["@id"]},
        "dcat:contactPoint": {
            "@type": "vcard:Organization",
            "vcard:fn": _text(organization["title"]),
        },
        "dct:issued": _date(package["metadata_created"]),
        "dct:modified": _date(package["metadata_modified"]),
        "dct:accrualPeriodicity": {"@id": extras["frequency"]},
        "dct:language": "vi",
        "dct:spatial": {"@type": "dct:Location", "rdfs:label": _text(extras["spatial_text"])},
        "dct:license": {"@id": LICENSE["url"]},
        "dcat:landingPage": {"@id": package["url"]},
        "dcat:distribution": [{"@id": d["@id"]} for d in distributions],
    }
    if extras.get("source"):
        dataset["dct:source"] = {"@id": extras["source"]}
    return [dataset, publisher, *distributions]


def licence_node() -> dict:
    return {"@id": LICENSE["url"], "@type": "dct:LicenseDocument",
            "rdfs:label": LICENSE["title"]}


def dataset_document(package: dict, site_url: str) -> dict:
    return {"@context": CONTEXT, "@graph": [*dataset_nodes(package, site_url), licence_node()]}


def catalog_document(packages: list[dict], site_url: str, *, title: str, page: int,
                     total: int, catalog_url: str) -> dict:
    nodes: dict[str, dict] = {}
    for package in packages:
        for node in dataset_nodes(package, site_url):
            nodes.setdefault(node["@id"], node)
    modified = max((p["metadata_modified"] for p in packages), default=None)
    catalog = {
        "@id": f"{site_url}/",
        "@type": "dcat:Catalog",
        "dct:title": _text(title),
        "dct:description": _text("Dữ liệu mở của Cổng dịch vụ công: danh mục thủ tục hành "
                                 "chính, thống kê hồ sơ, tỷ lệ đúng hạn và trực tuyến, đơn vị "
                                 "hành chính."),
        "foaf:homepage": {"@id": f"{site_url}/du-lieu-mo/"},
        "dct:language": "vi",
        "dct:license": {"@id": LICENSE["url"]},
        "dct:modified": _date(modified),
        "dcat:dataset": [{"@id": dataset_uri(site_url, p)} for p in packages],
    }
    graph = [{k: v for k, v in catalog.items() if v is not None}, *nodes.values(),
             licence_node()]
    last = max(1, -(-total // PAGE_SIZE))
    if total > PAGE_SIZE or page > 1:
        paging = {
            "@id": f"{catalog_url}?page={page}",
            "@type": "hydra:PagedCollection",
            "hydra:totalItems": {"@value": str(total), "@type": "xsd:integer"},
            "hydra:itemsPerPage": {"@value": str(PAGE_SIZE), "@type": "xsd:integer"},
            "hydra:firstPage": f"{catalog_url}?page=1",
            "hydra:lastPage": f"{catalog_url}?page={last}",
        }
        if page < last:
            paging["hydra:nextPage"] = f"{catalog_url}?page={page + 1}"
        if page > 1:
            paging["hydra:previousPage"] = f"{catalog_url}?page={page - 1}"
        graph.append(paging)
    return {"@context": CONTEXT, "@graph": graph}
