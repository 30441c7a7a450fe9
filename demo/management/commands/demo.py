"""`manage.py demo`: migrate, load the demo county and serve it at http://127.0.0.1:8000."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Set up the embedded default (migrate, seed_demo) and serve it at http://127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Only migrate and seed.")

    def handle(self, *args, addrport: str, no_serve: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo")
        if not no_serve:
            self.stdout.write(self.style.SUCCESS(f"Serving the demo at http://{addrport}/ (Ctrl-C stops it)"))
            call_command("runserver", addrport, use_reloader=False)
