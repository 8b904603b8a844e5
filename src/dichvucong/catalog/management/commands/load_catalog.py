from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dichvucong.catalog import loaders
from dichvucong.catalog.services import import_definitions


class Command(BaseCommand):
    help = (
        "Load the procedure catalogue: the national index (province and commune level), the full "
        "national records and the curated city records, from the project's seed data or "
        "--data-dir. All or nothing: a malformed record loads nothing and names the record."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", type=Path, default=loaders.DATA_DIR)

    def handle(self, *args, data_dir: Path, **options):
        try:
            definitions = loaders.read_catalogue(data_dir)
            popularity: dict[str, int] = {}
            for code, weight in loaders.iter_popular_codes(data_dir):
                popularity[code] = max(weight, popularity.get(code, 0))
        except (loaders.CatalogLoadError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        report = import_definitions(definitions, popularity)
        if options["verbosity"]:
            self.stdout.write(
                f"Thủ tục: {len(definitions)} (mới {report.created}, cập nhật {report.updated}, "
            f"không đổi {report.unchanged})"
        )
