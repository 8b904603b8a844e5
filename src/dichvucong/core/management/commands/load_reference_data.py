from django.core.management.base import BaseCommand

from dichvucong.adminunits.services import load_administrative_units
from dichvucong.agencies.services import load_city_agencies


class Command(BaseCommand):
    help = "Load administrative units (vietnam-provinces) and the city's agencies. Idempotent."

    def handle(self, *args, **options):
        provinces, communes = load_administrative_units()
        agencies = load_city_agencies()
        if options["verbosity"]:
            self.stdout.write(f"Đơn vị hành chính: {provinces} tỉnh/thành, {communes} xã/phường; "
                          f"cơ quan: {agencies}")
