"""`manage.py flag_overdue_checks [--today YYYY-MM-DD]`: the daily check job, by hand."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from cases.checks.services import checks_flag_overdue


class Command(BaseCommand):
    help = "Update due dates and states of left-behind children's checks set-wise and notify directors and supervisors."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the day to compute for, YYYY-MM-DD (default: today)")
        parser.add_argument("--recompute", action="store_true", help="recompute every due date (after changing CHECK_INTERVAL_MONTHS)")
        parser.add_argument("--no-notify", action="store_true", help="update states only, send no notifications")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today must be a date YYYY-MM-DD") from None
        result = checks_flag_overdue(today=today, recompute=options["recompute"], notify=not options["no_notify"])
        self.stdout.write(json.dumps(result.as_dict()))
