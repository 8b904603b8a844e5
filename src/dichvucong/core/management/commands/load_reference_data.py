from django.core.management.base import BaseCommand

from dichvucong.adminunits.services import load_administrative_units
from dichvucong.agencies.services import load_city_agencies
from dichvucong.workflow.calendar_data import seed_announced_days
from dichvucong.workflow.models import CalendarOverride


class Command(BaseCommand):
    help = ("Load administrative units (vietnam-provinces), the city's agencies and the "
            "government's announced day swaps. Idempotent.")

    def handle(self, *args, **options):
        provinces, communes = load_administrative_units()
        agencies = load_city_agencies()
        # Also done by migration workflow 0003; again here after a test database flush.
        days = seed_announced_days(CalendarOverride)
        if options["verbosity"]:
            self.stdout.write(f"Đơn vị hành chính: {provinces} tỉnh/thành, {communes} xã/phường; "
                          f"cơ quan: {agencies}; ngày hoán đổi đã công bố mới thêm: {days}")
