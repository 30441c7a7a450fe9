"""manage.py register_periodic_tasks: (re)create the beat entry of the monthly payout runs."""

from django.core.management.base import BaseCommand

from benefits.payouts.services import register_periodic_tasks


class Command(BaseCommand):
    help = "Register the Celery beat entry that starts every county's payout run on the 1st."

    def handle(self, *args, **options):
        register_periodic_tasks()
        self.stdout.write("Registered.")
