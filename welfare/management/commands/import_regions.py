"""import_regions FILE: load administrative regions from a CSV `code,name,level,parent`."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from welfare.errors import ApplicationError
from welfare.services import RowErrors, region_import_csv


class Command(BaseCommand):
    help = "Create or update regions from a UTF-8 CSV with the header code,name,level,parent (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file; parent empty for a province; a BOM is fine")

    def handle(self, *args, file: str, **options):
        try:
            with open(file, encoding="utf-8-sig", newline="") as fh:
                text = fh.read()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc.strerror}) from None
        except UnicodeDecodeError:
            raise CommandError(_("%(file)s is not UTF-8 text.") % {"file": file}) from None
        try:
            result = region_import_csv(text=text)
        except RowErrors as exc:
            raise CommandError("\n".join([str(exc.message), *exc.errors])) from None
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Regions: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
            )
        )
