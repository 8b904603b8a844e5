from django.core.management.base import BaseCommand

from dichvucong.opendata.refresh import refresh_all


class Command(BaseCommand):
    help = ("Rebuild the open datasets (catalogue, monthly dossier statistics, on-time and online "
            "rates, administrative units) and their CSV and JSON files. The worker runs it daily.")

    def handle(self, *args, **options):
        report = refresh_all()
        if options["verbosity"]:
            self.stdout.write(
                f"Dữ liệu mở: {report.datasets} bộ dữ liệu, {report.tables_rewritten} bảng cập "
                f"nhật, {report.rows} dòng"
                + (f"; đã gỡ: {', '.join(report.removed)}" if report.removed else "")
            )
