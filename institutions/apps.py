from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = _("Institutions and staff")

    def ready(self) -> None:
        from institutions.models import Institution
        from institutions.scoping import register
        from institutions.selectors import institution_list
        from welfare.admin_mixins import register_choice_selector

        register()
        register_choice_selector(Institution, institution_list)
        # The home page's institution tiles (institutions/pages.py).
        from institutions.pages import home_counts
        from welfare.views import register_home_counts

        register_home_counts(home_counts)
