"""The monitoring centre's pre-aggregated facts (dashboards read facts, never scans of raw
dossiers: docs/architecture.md «Design decisions») and the versioned table of Decision 766
indicators.

Two levels of facts, both derived only from the dossier, its events and its rating:

* :class:`DossierFact`: one row per dossier that left the draft state, with what the statistics
  need already decided (channel bucket, outcome, on time or late, working days taken, paid
  online, digital result, rating). Drill-downs list these rows, so a number and the dossiers
  behind it are the same rows by construction.
* :class:`DailyFact`: per local day × agency × procedure (and its field) × ward × channel, the
  sums of the measures of ``facts.MEASURES``. Every dashboard figure is a ``SUM`` over these.

``facts.py`` keeps both up to date in the transaction of each event and rebuilds them with
set-based SQL.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ChannelBucket(models.TextChoices):
    """The channels the statistics count. ``agent``: filed online by a service agent or a
    community digital team member for a citizen (``Dossier.submitted_by`` set); it is an online
    submission for the online rate."""

    ONLINE = "online", _("Trực tuyến")
    AGENT = "agent", _("Đại lý dịch vụ công")
    COUNTER = "counter", _("Trực tiếp")
    POST = "post", _("Bưu chính công ích")


class FactOutcome(models.TextChoices):
    WAITING = "waiting", _("Chưa tiếp nhận")
    OPEN = "open", _("Đang giải quyết")
    SUPPLEMENT = "supplement", _("Chờ công dân bổ sung")
    RESOLVED = "resolved", _("Đã giải quyết")
    STOPPED = "stopped", _("Dừng giải quyết")
    WITHDRAWN = "withdrawn", _("Đã rút")
    REJECTED = "rejected", _("Từ chối tiếp nhận")


class DossierFact(models.Model):
    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.CASCADE,
                                   primary_key=True, related_name="monitor_fact")
    # No index of its own: the (agency, …) indexes below lead with it.
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE,
                                  related_name="+")
    field = models.ForeignKey("catalog.Field", on_delete=models.CASCADE, related_name="+")
    # The ward (phường, xã) of a commune-level receiving agency; 0 for city-level agencies. A
    # plain number, not a key, so that it can be part of the daily fact's unique key.
    ward_id = models.PositiveIntegerField(default=0)
    channel = models.CharField(max_length=10, choices=ChannelBucket.choices)
    state = models.CharField(max_length=30)
    outcome = models.CharField(max_length=12, choices=FactOutcome.choices)
    received_on = models.DateField(null=True)
    finished_on = models.DateField(null=True)
    # The original due time (moved only by supplement pauses, never by an apology).
    due_at = models.DateTimeField(null=True)
    supplements = models.PositiveSmallIntegerField(default=0)
    on_time = models.BooleanField(null=True)
    processing_days = models.IntegerField(null=True)
    has_fee = models.BooleanField(default=False)
    paid_online = models.BooleanField(default=False)
    has_result = models.BooleanField(default=False)
    digital_result = models.BooleanField(default=False)
    rateable = models.BooleanField(default=False)
    rated = models.BooleanField(default=False)
    not_satisfied = models.BooleanField(default=False)
    # Digitisation and reuse (766 indicators 4.2 to 4.5, ``facts.py``): decided here once per
    # change of the dossier, so that their figures are sums like the others, not tests of
    # every dossier's files at each reading.
    has_component = models.BooleanField(default=False)
    from_store = models.BooleanField(default=False)
    shares_data = models.BooleanField(default=False)
    citizen = models.BooleanField(default=False)
    population_data = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "received_on"]),
            models.Index(fields=["agency", "finished_on"]),
            models.Index(fields=["received_on"]),
            models.Index(fields=["finished_on"]),
            # "Overdue now": only the open dossiers whose clock runs are in these indexes.
            models.Index(fields=["due_at"], condition=Q(outcome="open"),
                         name="monitor_open_due"),
            models.Index(fields=["agency", "due_at"], condition=Q(outcome="open"),
                         name="monitor_open_agency_due"),
            # The lists of open and overdue dossiers, newest first: a walk of the open ones
            # only, however long the history (an overdue dossier may be years old); the due
            # time in the index, so that the overdue list skips the open dossiers not yet due
            # without reading their rows (12,727 of them for a page at 14,724 open: 149 ms).
            models.Index(fields=["-dossier"], condition=Q(outcome="open"), include=["due_at"],
                         name="monitor_open_newest_due"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.outcome}"


class FactMeasures(models.Model):
    """The summed measures both daily fact tables carry."""

    # Measures anchored on the day of reception.
    received = models.IntegerField(default=0)
    fee_bearing = models.IntegerField(default=0)
    paid_online = models.IntegerField(default=0)
    # Measures anchored on the day processing ended.
    resolved = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    late = models.IntegerField(default=0)
    processing_days = models.BigIntegerField(default=0)
    with_result = models.IntegerField(default=0)
    digital_result = models.IntegerField(default=0)
    stopped = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    rateable = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    not_satisfied = models.IntegerField(default=0)
    # Digitisation and reuse (766 indicators 4.2 to 4.5): received, except ``digitised``.
    digitised = models.IntegerField(default=0)
    reused = models.IntegerField(default=0)
    shared = models.IntegerField(default=0)
    citizen_received = models.IntegerField(default=0)
    population_data = models.IntegerField(default=0)

    class Meta:
        abstract = True


class DailyFact(FactMeasures):
    day = models.DateField()
    # No index of its own: the (agency, …) indexes below lead with it.
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    # Nor these: the (procedure, day) and (field, day) indexes below lead with them.
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE,
                                  related_name="+", db_index=False)
    field = models.ForeignKey("catalog.Field", on_delete=models.CASCADE, related_name="+",
                              db_index=False)
    ward_id = models.PositiveIntegerField(default=0)
    channel = models.CharField(max_length=10, choices=ChannelBucket.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency", "procedure", "field", "ward_id", "channel"],
                name="monitor_one_daily_fact"),
        ]
        # A range of days reads the unique key's index, which leads with the day. A field's or
        # a procedure's dashboard reads its own days only: with an index on the field alone it
        # read every year's rows of the field and threw the other years away (a year of the
        # busiest field at a million dossiers: 400,000 rows read, 200,000 kept, 0.3 s a query).
        indexes = [models.Index(fields=["agency", "day"]),
                   models.Index(fields=["field", "day"]),
                   models.Index(fields=["procedure", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id} {self.procedure_id} {self.channel}"


class AgencyDailyFact(FactMeasures):
    """The daily facts summed over procedures and wards: per local day × agency × channel. The
    city's pages read these, so their cost follows days × agencies × channels, not the number
    of dossiers."""

    day = models.DateField()
    # No index of its own: the (agency, …) indexes below lead with it.
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    channel = models.CharField(max_length=10, choices=ChannelBucket.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "agency", "channel"],
                                    name="monitor_one_agency_daily_fact"),
        ]
        indexes = [models.Index(fields=["agency", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id} {self.channel}"


class AgencyMonthlyFact(FactMeasures):
    """The per-agency sums of whole calendar months (``month`` is its first day): a period of
    years reads one row per month × agency × channel instead of one per day, so the city's
    pages stay fast however long the period (``metrics._parts``)."""

    month = models.DateField()
    # No index of its own: the (agency, …) indexes below lead with it.
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    channel = models.CharField(max_length=10, choices=ChannelBucket.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "agency", "channel"],
                                    name="monitor_one_agency_monthly_fact"),
        ]
        indexes = [models.Index(fields=["agency", "month"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agency_id} {self.channel}"


class AgencyYearlyFact(FactMeasures):
    """The per-agency sums of whole calendar years (``year`` is its first day), summed from the
    monthly ones: a period of many years (the city's whole history) reads one row per year ×
    agency × channel for its whole years, the monthly sums only for the months at its ends
    (``metrics._parts``; the whole history's ten years read 75,000 monthly rows, 86 ms)."""

    year = models.DateField()
    # No index of its own: the (agency, …) indexes below lead with it.
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    channel = models.CharField(max_length=10, choices=ChannelBucket.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "agency", "channel"],
                                    name="monitor_one_agency_yearly_fact"),
        ]
        indexes = [models.Index(fields=["agency", "year"])]

    def __str__(self) -> str:
        return f"{self.year:%Y} {self.agency_id} {self.channel}"


class FieldMonthlyFact(FactMeasures):
    """The daily facts summed over procedures and days: per calendar month (``month`` is its
    first day) × agency × field × ward × channel. A field's, a ward's or the fields' figures
    over months read one row per month where the daily facts have one per day and procedure
    (the busiest field's year: about 9× fewer rows); only a procedure's figures, and the days
    at a period's ragged ends, read the daily facts (``metrics._parts``)."""

    month = models.DateField()
    # No index of its own: the (agency, …) index below leads with it.
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    # Nor this one: the (field, month) index below leads with it.
    field = models.ForeignKey("catalog.Field", on_delete=models.CASCADE, related_name="+",
                              db_index=False)
    ward_id = models.PositiveIntegerField(default=0)
    channel = models.CharField(max_length=10, choices=ChannelBucket.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "agency", "field", "ward_id", "channel"],
                                    name="monitor_one_field_monthly_fact"),
        ]
        indexes = [models.Index(fields=["agency", "month"]),
                   models.Index(fields=["field", "month"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agency_id} {self.field_id} {self.channel}"


class Workday(models.Model):
    """The city's working calendar as a table, so that SQL can count working days:
    ``ordinal`` is the number of working days from the table's first day to ``day`` included."""

    day = models.DateField(primary_key=True)
    working = models.BooleanField()
    ordinal = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.day} {self.ordinal}"


class Indicator(models.Model):
    """One indicator of Decision 766/QĐ-TTg's index, effective-dated: a new decision or a
    corrected weight is a new row with a later ``effective_from``, never an edit."""

    class Rule(models.TextChoices):
        PROPORTIONAL_TO_TARGET = "proportional_to_target", _(
            "Đủ điểm khi đạt mục tiêu; dưới mục tiêu: tỷ lệ × điểm ÷ mục tiêu")
        PROPORTIONAL = "proportional", _("Tỷ lệ × điểm")
        THRESHOLD = "threshold", _("Đủ điểm khi đạt mục tiêu; dưới mục tiêu: điểm × hệ số")
        CONSTANT = "constant", _("Điểm cố định (không đo tại hệ thống)")
        # A figure that is not a ratio and earns no points (2.2, the average processing time).
        AVERAGE = "average", _("Giá trị trung bình, không tính điểm")
        NOT_MEASURED = "not_measured", _("Chưa đo được tại hệ thống")

    code = models.CharField(_("mã chỉ số"), max_length=10)
    group = models.PositiveSmallIntegerField(_("nhóm"))
    group_name = models.CharField(_("tên nhóm"), max_length=120)
    name = models.CharField(_("tên chỉ số"), max_length=300)
    numerator = models.CharField(_("tử số"), max_length=60, blank=True)
    denominator = models.CharField(_("mẫu số"), max_length=60, blank=True)
    formula = models.TextField(_("công thức"))
    points = models.DecimalField(_("điểm tối đa"), max_digits=5, decimal_places=2, null=True,
                                 help_text=_("Trống khi văn bản chưa xác minh được số điểm"))
    rule = models.CharField(_("cách tính điểm"), max_length=30, choices=Rule.choices)
    target = models.DecimalField(_("mục tiêu (%)"), max_digits=5, decimal_places=2, null=True,
                                 blank=True)
    fallback_factor = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    source = models.TextField(_("nguồn"))
    note = models.TextField(_("ghi chú"), blank=True)
    effective_from = models.DateField(_("áp dụng từ"))
    effective_to = models.DateField(_("áp dụng đến"), null=True, blank=True)

    class Meta:
        verbose_name = _("chỉ số 766")
        verbose_name_plural = _("chỉ số 766")
        ordering = ["group", "code", "effective_from"]
        constraints = [models.UniqueConstraint(fields=["code", "effective_from"],
                                               name="monitor_indicator_version")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
