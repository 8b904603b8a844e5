"""Open datasets as CKAN describes them: a dataset (CKAN "package") published by an agency (a
CKAN "organization"), with tables whose rows are the CKAN DataStore, each table offered as a CSV
and a JSON resource.

Everything here is written by :mod:`dichvucong.opendata.refresh` only, from the builders in
:mod:`dichvucong.opendata.builders`; no row ever holds a person's data. Ids are UUIDs derived from
names, so a dataset or resource keeps its id across refreshes (harvesters key on it).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dataset(models.Model):
    id = models.UUIDField(primary_key=True, editable=False)
    name = models.SlugField(_("tên định danh"), max_length=100, unique=True)
    title = models.CharField(_("tiêu đề"), max_length=300)
    notes = models.TextField(_("mô tả"), blank=True)
    organization = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT,
                                     related_name="open_datasets",
                                     verbose_name=_("cơ quan công bố"))
    tags = models.JSONField(_("từ khóa"), default=list)
    groups = models.JSONField(_("nhóm"), default=list)
    frequency = models.CharField(_("tần suất cập nhật"), max_length=20)
    extras = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the content (metadata or rows) last changed, not when the job last ran.
    modified_at = models.DateTimeField()
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("bộ dữ liệu mở")
        verbose_name_plural = _("bộ dữ liệu mở")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.title


class Table(models.Model):
    """One table of a dataset: its schema, and its rows in ``Row``."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="tables")
    key = models.SlugField(max_length=60)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    fields = models.JSONField(default=list)  # [{"id", "type", "label"}]
    chart = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    content_hash = models.CharField(max_length=64, blank=True)
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["dataset", "position"]
        constraints = [models.UniqueConstraint(fields=["dataset", "key"],
                                               name="opendata_unique_table_key")]

    def __str__(self) -> str:
        return f"{self.dataset.name}/{self.key}"


class Resource(models.Model):
    id = models.UUIDField(primary_key=True, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="resources")
    format = models.CharField(max_length=10)  # CSV or JSON
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    file = models.CharField(max_length=200)  # path in the default storage
    filename = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["dataset", "position"]

    def __str__(self) -> str:
        return self.name


class Row(models.Model):
    """One DataStore record. ``number`` is CKAN's ``_id``; ``search`` the folded text of the
    values, for the full-text ``q``."""

    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    search = models.TextField(blank=True)

    class Meta:
        ordering = ["table", "number"]
        constraints = [models.UniqueConstraint(fields=["table", "number"],
                                               name="opendata_unique_row_number")]

    def __str__(self) -> str:
        return f"{self.table_id}#{self.number}"
