"""Refreshing the open datasets: write what the builders return into the DataStore tables and
the downloadable CSV and JSON files.

A table is rewritten only when its content changed (its hash), so ``metadata_modified`` tells
harvesters when something really changed. Files are named by their content hash and the old file
is deleted only after the new rows are committed: a download never sees half a refresh.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from dichvucong.core.text import fold
from dichvucong.opendata import builders, charts
from dichvucong.opendata.models import Dataset, Resource, Row, Table
from dichvucong.opendata.specs import DatasetSpec, TableSpec
from dichvucong.opendata.vocabulary import stable_id

log = logging.getLogger(__name__)
FORMATS = ("CSV", "JSON")


@dataclass
class Report:
    datasets: int = 0
    tables_rewritten: int = 0
    rows: int = 0
    removed: list[str] = field(default_factory=list)


def refresh_all(now: datetime | None = None) -> Report:
    now = now or timezone.now()
    report = Report()
    specs = builders.build_all()
    for position, spec in enumerate(specs):
        report.tables_rewritten += write_dataset(spec, position, now)
        report.rows += sum(len(t.rows) for t in spec.tables)
    report.datasets = len(specs)
    names = {spec.name for spec in specs}
    for dataset in Dataset.objects.exclude(name__in=names):
        report.removed.append(dataset.name)
        remove_dataset(dataset)
    log.info("open data refreshed: %s datasets, %s tables rewritten, %s rows",
             report.datasets, report.tables_rewritten, report.rows)
    return report


def plain(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def normalise(table: TableSpec) -> list[dict]:
    ids = [f.id for f in table.fields]
    return [{key: plain(row.get(key)) for key in ids} for row in table.rows]


def csv_bytes(fields: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow(["" if row[key] is None else row[key] for key in fields])
    return out.getvalue().encode("utf-8")


def json_bytes(table: TableSpec, rows: list[dict]) -> bytes:
    document = {
        "fields": [{"id": f.id, "type": f.type, "info": {"label": f.label}}
                   for f in table.fields],
        "records": rows,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


@transaction.atomic
def write_dataset(spec: DatasetSpec, position: int, now: datetime) -> int:
    dataset_id = stable_id("dataset", spec.name)
    meta = {
        "name": spec.name,
        "title": spec.title,
        "notes": spec.notes,
        "organization_id": spec.organization.pk,
        "tags": spec.tags,
        "groups": spec.groups,
        "frequency": spec.frequency,
        "extras": spec.extras,
        "position": position,
    }
    dataset = Dataset.objects.select_for_update().filter(pk=dataset_id).first()
    changed = dataset is None
    if dataset is None:
        dataset = Dataset(id=dataset_id, modified_at=now, refreshed_at=now, **meta)
        dataset.save()
    else:
        for key, value in meta.items():
            if getattr(dataset, key) != value:
                setattr(dataset, key, value)
                changed = True
    rewritten = 0
    keys = []
    for table_position, table_spec in enumerate(spec.tables):
        keys.append(table_spec.key)
        rewritten += write_table(dataset, table_spec, table_position, now)
    for table in dataset.tables.exclude(key__in=keys):
        _delete_files_on_commit([r.file for r in table.resources.all()])
        table.delete()
        changed = True
    if changed or rewritten:
        dataset.modified_at = now
    dataset.refreshed_at = now
    dataset.save()
    return rewritten


def write_table(dataset: Dataset, spec: TableSpec, position: int, now: datetime) -> int:
    rows = normalise(spec)
    fields = [f.as_dict() for f in spec.fields]
    chart = {}
    if spec.chart:
        chart = {**spec.chart.as_dict(),
                 "bars": [[label, value] for label, value in charts.bars(spec.chart, rows)]}
    digest = hashlib.sha256(json.dumps(
        {"fields": fields, "rows": rows, "title": spec.title, "description": spec.description,
         "chart": chart}, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    table = Table.objects.filter(dataset=dataset, key=spec.key).first()
    if table is not None and table.content_hash == digest and table.position == position:
        return 0
    if table is None:
        table = Table(dataset=dataset, key=spec.key)
    table.title = spec.title
    table.description = spec.description
    table.fields = fields
    table.chart = chart
    table.position = position
    table.row_count = len(rows)
    table.content_hash = digest
    table.modified_at = now
    table.save()
    table.rows.all().delete()
    Row.objects.bulk_create(
        (Row(table=table, number=number, data=row,
             search=fold(" ".join(str(v) for v in row.values() if v is not None)))
         for number, row in enumerate(rows, start=1)),
        batch_size=1000,
    )
    ids = [f.id for f in spec.fields]
    contents = {"CSV": csv_bytes(ids, rows), "JSON": json_bytes(spec, rows)}
    old_files = []
    for format_position, fmt in enumerate(FORMATS):
        content = contents[fmt]
        resource_id = stable_id("resource", dataset.name, spec.key, fmt)
        sha = hashlib.sha256(content).hexdigest()
        path = f"opendata/{resource_id}-{sha[:16]}.{fmt.lower()}"
        if not default_storage.exists(path):
            default_storage.save(path, ContentFile(content))
        resource = Resource.objects.filter(pk=resource_id).first()
        if resource is None:
            resource = Resource(id=resource_id)
        elif resource.file != path:
            old_files.append(resource.file)
        resource.dataset = dataset
        resource.table = table
        resource.format = fmt
        resource.name = f"{spec.title} ({fmt})"
        resource.description = spec.description
        resource.file = path
        resource.filename = f"{dataset.name}-{spec.key}.{fmt.lower()}"
        resource.size = len(content)
        resource.sha256 = sha
        resource.position = position * len(FORMATS) + format_position
        resource.modified_at = now
        resource.save()
    _delete_files_on_commit(old_files)
    return 1


def remove_dataset(dataset: Dataset) -> None:
    with transaction.atomic():
        _delete_files_on_commit(list(dataset.resources.values_list("file", flat=True)))
        dataset.delete()


def _delete_files_on_commit(paths: list[str]) -> None:
    def delete() -> None:
        for path in paths:
            if path and not Resource.objects.filter(file=path).exists():
                default_storage.delete(path)

    if paths:
        transaction.on_commit(delete)
