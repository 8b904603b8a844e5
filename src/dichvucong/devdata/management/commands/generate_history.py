"""``dichvucong generate-history --dossiers N [--years Y] [--seed S]``: synthetic history for the
monitoring centre and the benchmarks (``devdata/history.py``)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dichvucong.devdata.copies import copy_history
from dichvucong.devdata.history import generate


class Command(BaseCommand):
    help = ("Sinh lịch sử hồ sơ giả lập (hồ sơ, sự kiện, đánh giá) cho trung tâm giám sát và "
            "đo hiệu năng.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dossiers", type=int, required=True, help="số hồ sơ")
        parser.add_argument("--years", type=float, default=3.0,
                            help="số năm lịch sử, tính đến hôm nay (mặc định 3)")
        parser.add_argument("--seed", type=int, default=1, help="hạt giống ngẫu nhiên")
        parser.add_argument("--no-facts", action="store_true",
                            help="không dựng lại số liệu tổng hợp của trung tâm giám sát")
        parser.add_argument("--by-copying", action="store_true",
                            help="thêm hồ sơ bằng cách sao chép lịch sử đã kết thúc về trước "
                                 "(nhanh, trong cơ sở dữ liệu; devdata/copies.py)")
        parser.add_argument("--into-production-database", action="store_true",
                            help="cho phép chạy ở chế độ production (chỉ cho cơ sở dữ liệu dùng "
                                 "để đo hiệu năng, không bao giờ cho dữ liệu thật)")

    def handle(self, *args, dossiers: int, years: float, seed: int, no_facts: bool,
               into_production_database: bool = False, by_copying: bool = False,
               **options) -> None:
        # Synthetic dossiers mixed into a city's real records would falsify its statistics, its
        # open data and the national sync: production needs the operator to say it on purpose.
        if settings.MODE == "production" and not into_production_database:
            raise CommandError(
                "Không sinh dữ liệu giả lập ở chế độ production: dữ liệu giả sẽ lẫn vào hồ sơ "
                "thật. Dùng cơ sở dữ liệu đo hiệu năng riêng và thêm --into-production-database.")
        if dossiers <= 0 or years <= 0:
            raise CommandError("--dossiers và --years phải lớn hơn 0.")
        if by_copying:
            try:
                copied = copy_history(dossiers, rebuild=not no_facts,
                                      progress=lambda text: self.stdout.write(text))
            except ValueError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(
                f"{copied.dossiers:,} hồ sơ sao chép ({copied.copies} bản), {copied.events:,} "
                f"sự kiện, {copied.ratings:,} đánh giá trong {copied.seconds:.1f} s"
                + (f"; số liệu tổng hợp {copied.facts_seconds:.1f} s" if not no_facts else ""))
            return
        stats = generate(dossiers, years=years, seed=seed, rebuild=not no_facts,
                         progress=lambda text: self.stdout.write(text))
        self.stdout.write(
            f"{stats.dossiers:,} hồ sơ ({stats.open:,} đang mở), {stats.events:,} sự kiện, "
            f"{stats.ratings:,} đánh giá, {stats.payments:,} lần nộp phí, "
            f"{stats.digital_results:,} kết quả điện tử trong {stats.seconds:.1f} s: "
            f"{stats.rows_per_second:,.0f} dòng/giây"
            + (f"; số liệu tổng hợp {stats.facts_seconds:.1f} s" if not no_facts else ""))
