"""The demo app: demo data and the `demo` command (no models)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data (`seed_demo`) and the `demo` command of the embedded default. No models."""

    name = "demo"
    verbose_name = _("Demo data")
