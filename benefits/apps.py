"""The benefits app: after `migrate`, the beat entry of the monthly payout runs and the payout
run's PostgreSQL design (benefits/payouts/schema.py)."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _register_beat(sender, **kwargs):
    from django.db import DatabaseError

    from benefits.payouts.services import register_periodic_tasks

    try:
        register_periodic_tasks()
    except DatabaseError:  # django_celery_beat's tables not there yet
        pass


class BenefitsConfig(AppConfig):
    name = "benefits"
    verbose_name = _("Allowances and payouts")

    def ready(self):
        from benefits.payouts.schema import install

        post_migrate.connect(_register_beat, sender=self, dispatch_uid="benefits_register_beat")
        # The run's physical design on PostgreSQL (paid_through triggers, BRIN run index).
        post_migrate.connect(install, sender=self, dispatch_uid="benefits_schema")
