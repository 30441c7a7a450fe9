"""create_user USERNAME --role ROLE --region CODE --password PASSWORD (or --institution ID)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from welfare.errors import ApplicationError
from welfare.roles import Role
from welfare.services import user_provision


class Command(BaseCommand):
    help = "Create a user bound to a region (or an institution), or update an existing one."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=", ".join(Role.values))
        parser.add_argument("--region", help="official code of the region the user is bound to")
        parser.add_argument("--institution", type=int, help="id of the institution (institution_staff)")
        parser.add_argument("--password", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, **options):
        try:
            user, created = user_provision(
                username=options["username"],
                role=options["role"],
                password=options["password"],
                region_code=options["region"],
                institution_id=options["institution"],
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except ApplicationError as exc:
            lines = [f"{key}: {msg}" for key, msg in exc.field_errors.items()] or [str(exc.message)]
            raise CommandError("\n".join(lines)) from None
        bound = user.institution or user.region or "-"
        if created:
            msg = _("Created user %(username)s (%(role)s, %(bound)s).")
        else:
            msg = _("User %(username)s already existed: role, binding and password updated (%(role)s, %(bound)s).")
        self.stdout.write(self.style.SUCCESS(msg % {"username": user.username, "role": user.role, "bound": bound}))
