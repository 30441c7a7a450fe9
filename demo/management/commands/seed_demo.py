"""seed_demo: a real-looking county with users of every role, standards and a few hundred children."""

from django.core.management.base import BaseCommand

from demo.seed import demo_seed


class Command(BaseCommand):
    help = "Load demo data (Zaozhuang, Shizhong district). Running it again creates no duplicates."

    def handle(self, *args, **options):
        result = demo_seed()
        self.stdout.write(self.style.SUCCESS(result.summary()))
        self.stdout.write("")
        self.stdout.write(result.users_table())
