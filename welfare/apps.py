from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WelfareConfig(AppConfig):
    name = "welfare"
    verbose_name = _("Regions, users and audit")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from welfare import crypto

        # Identity and phone numbers are stored SM4-encrypted: refuse to start (any process: web,
        # worker, manage.py) when OpenSSL lacks SM4-GCM or SM3, or the keys are missing or malformed.
        crypto.check_support()
        crypto.keyring()

        from welfare.security import install_audit_log_guard

        # The audit log is append-only in the database too (a trigger refusing UPDATE/DELETE).
        post_migrate.connect(install_audit_log_guard, sender=self, dispatch_uid="welfare_audit_log_guard")

        from welfare.tokens import connect_signals

        # A user's API tokens die with a change of password, role, region, institution or status.
        connect_signals()
