import csv
import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from dichvucong.catalog import quality
from dichvucong.catalog.services import current_definitions

FIELDS = ["kind", "severity", "code", "path", "message", "value"]


class Command(BaseCommand):
    help = (
        "Check the published catalogue for contradictions and implausible values (a «Miễn phí» "
        "label beside an amount, a time limit without its unit, implausible copy counts, "
        "over-long names, online flags without an online channel, …). A report: the exit code "
        "is 0 whatever it finds. The table gives counts per kind; --format csv or json lists "
        "every finding."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", dest="output_format", choices=["table", "csv", "json"],
                            default="table")
        parser.add_argument("--kind", action="append", choices=[k.value for k in quality.Kind],
                            help="only this kind (repeatable)")

    def handle(self, *args, **options):
        # A report for the catalogue's administrators: in the site's language, whatever a
        # caller (or an earlier test) left active.
        with translation.override(settings.LANGUAGE_CODE):
            self._report(options["output_format"], options["kind"])

    def _report(self, output_format: str, kind: list[str] | None) -> None:
        kinds = [quality.Kind(k) for k in kind] if kind else None
        definitions = current_definitions()
        findings = quality.check_all(definitions, kinds)
        if output_format == "csv":
            writer = csv.DictWriter(self.stdout, fieldnames=FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(finding.as_dict() for finding in findings)
            return
        if output_format == "json":
            self.stdout.write(json.dumps([finding.as_dict() for finding in findings],
                                         ensure_ascii=False, indent=1))
            return
        counts = quality.counts(findings)
        shown = [k for k in quality.Kind if kinds is None or k in kinds]
        width = max(len(k.value) for k in shown)
        self.stdout.write(f"Thủ tục đã kiểm tra: {len(definitions)}")
        self.stdout.write(f"{'kind':<{width}}  {'count':>6}  mô tả")
        for k in shown:
            self.stdout.write(f"{k.value:<{width}}  {counts[k]:>6}  {quality.KIND_LABELS[k]}")
        self.stdout.write(f"{'total':<{width}}  {len(findings):>6}")
