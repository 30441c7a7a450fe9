"""manage.py compute_payouts --month YYYY-MM [--region CODE]: compute runs synchronously."""

from django.core.management.base import BaseCommand, CommandError

from benefits.payouts.services import payout_run_compute, payout_runs_start_all
from welfare.errors import ApplicationError
from welfare.models import Region


class Command(BaseCommand):
    help = "Compute the payout runs of a month (every county that pays someone, or one county)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--region", help="county code")

    def handle(self, *args, month, region=None, **options):
        county = None
        if region:
            county = Region.objects.filter(code=region).first()
            if county is None:
                raise CommandError(f"No region with the code {region}.")
        try:
            runs = payout_runs_start_all(month=month, region=county, enqueue=False)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from None
        for run in runs:
            payout_run_compute(run_id=run.id)
            run.refresh_from_db()
            self.stdout.write(
                f"{run.region.code} {run.month:%Y-%m} {run.status} payouts={run.payout_count} total={run.total_amount}"
            )
