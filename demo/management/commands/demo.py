"""`manage.py demo`: migrate, load the demo county and serve it at http://127.0.0.1:8000."""

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Set up the embedded default (migrate, seed_demo) and serve it at http://127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Only migrate and seed.")

    def handle(self, *args, addrport: str, no_serve: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        # The app serves its static files (whitenoise) from STATIC_ROOT: collected first, so the
        # server starts without "No directory at …/staticfiles/".
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("seed_demo")
        if not no_serve:
            self.stdout.write(self.style.SUCCESS(f"Serving the demo at http://{addrport}/ (Ctrl-C stops it)"))
            # The embedded default is the laptop demo; production runs gunicorn (docs/OPERATIONS.md),
            # so runserver's development-server warning is not printed here.
            os.environ.setdefault("DJANGO_RUNSERVER_HIDE_WARNING", "true")
            call_command("runserver", addrport, use_reloader=False)
