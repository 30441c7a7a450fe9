"""The cases app: its signals tell the child list API's cache of every write of a child, guardian,
category membership, protection case or region."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _child_written(sender, instance, **kwargs) -> None:
    from cases.children.list_cache import children_changed
    from welfare.models import Region

    ids = {instance.region_id, getattr(instance, "_loaded_region_id", None)} - {None}
    children_changed(Region.objects.filter(id__in=ids).values_list("path", flat=True))
    instance._loaded_region_id = instance.region_id


def _child_record_written(sender, instance, **kwargs) -> None:
    """A guardian, membership or protection case written: the child's village lists change."""
    from cases.children.list_cache import children_changed
    from welfare.models import Region

    children_changed(Region.objects.filter(children__id=instance.child_id).values_list("path", flat=True))


def _region_written(sender, instance, **kwargs) -> None:
    """A region renamed, recoded or moved: list pages show region codes, retire them all."""
    from cases.children.list_cache import children_changed

    children_changed(None)


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Children and cases")

    def ready(self) -> None:
        from cases.children.models import CategoryMembership, Child, Guardian
        from cases.children.selectors import child_home_counts, child_list
        from cases.protection.models import Case
        from welfare.admin_mixins import register_choice_selector
        from welfare.models import Region
        from welfare.views import register_home_counts

        # The shared kernel (welfare/) knows no domain app: the admin's child choices and the
        # home page's worklist and review figures are declared to it here.
        register_choice_selector(Child, child_list)
        register_home_counts(child_home_counts)

        # The child list API's cache (cases.children.list_cache) learns of every single write here;
        # set-wise writes go through cases.children.models.ListedQuerySet.
        for signal in (post_save, post_delete):
            signal.connect(_child_written, sender=Child, dispatch_uid=f"list_cache_child_{signal is post_save}")
            signal.connect(_region_written, sender=Region, dispatch_uid=f"list_cache_region_{signal is post_save}")
            # A protection case counts too: the case worklist API keeps its counts under the same
            # versions (cases.protection.api.WorklistPagination).
            for model in (Guardian, CategoryMembership, Case):
                signal.connect(
                    _child_record_written, sender=model, dispatch_uid=f"list_cache_{model.__name__}_{signal is post_save}"
                )
