"""Region scoping, role permissions and identity-number masking for the Django admin.

The admin is one more page of the system, so it reads through the same scoped selectors as
every other page (a county official with is_staff sees their subtree only) and asks the role
matrix of welfare/roles.py instead of Django's per-model permissions. Out-of-scope objects are
simply not found (the admin answers with a redirect and "doesn't exist"); an object that is
in scope but not changeable for the role is shown read-only. A foreign key offers the rows of
the selector its model's app registers (`register_choice_selector`, from AppConfig.ready()).
"""

from collections.abc import Callable

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from welfare.idnumber import mask_id_number
from welfare.models import Region
from welfare.roles import Action, can
from welfare.scoping import region_list, scope_queryset

# An admin permission: an Action of the role matrix, a predicate on the user, or None (nobody).
Permission = str | Callable[..., bool] | None

ID_NUMBER_FIELDS = ("id_number",)


def role_allows(user, permission: Permission) -> bool:
    """True when a staff user's role grants `permission` (see `Permission`)."""
    if permission is None or not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_staff:
        return False
    if callable(permission):
        return user.is_superuser or bool(permission(user))
    return can(user, permission)


def _perm(admin_obj, name: str) -> Permission:
    # Read from the class: a predicate stored as a class attribute must not become a bound method.
    return getattr(type(admin_obj), name)


def may_reveal_id_numbers(request) -> bool:
    """Whether this request may show full identity numbers on a record's own page."""
    if getattr(request, "_welfare_mask_ids", False):
        return False
    return can(request.user, Action.REVEAL_ID)


class MaskedIdNumberMixin:
    """Changelist column and read-only form field that show an identity number masked."""

    @admin.display(description=_("identity number"))
    def masked_id_number(self, obj) -> str:
        return mask_id_number(getattr(obj, "id_number", None)) or "-"


def _mask_fieldsets(request, fieldsets):
    """Replace the identity-number field by its masked read-only twin unless revealing is allowed."""
    if may_reveal_id_numbers(request):
        return fieldsets
    masked = []
    for name, options in fieldsets:
        fields = [
            ("masked_id_number" if f in ID_NUMBER_FIELDS else f)
            if isinstance(f, str)
            else tuple("masked_id_number" if x in ID_NUMBER_FIELDS else x for x in f)
            for f in options.get("fields", ())
        ]
        masked.append((name, {**options, "fields": fields}))
    return masked


def _with_masked_readonly(request, readonly, model):
    readonly = list(readonly)
    has_number = any(f.name in ID_NUMBER_FIELDS for f in model._meta.get_fields())
    if has_number and not may_reveal_id_numbers(request) and "masked_id_number" not in readonly:
        readonly.append("masked_id_number")
    return readonly


class _MaskingHistoryHelper(HistoricalRecordContextHelper):
    """History diffs never show identity numbers in full."""

    def prepare_delta_change_value(self, change, value):
        if change.field in ID_NUMBER_FIELDS:
            return mask_id_number(value) if value else value
        return super().prepare_delta_change_value(change, value)


# model -> selector(user=...) -> the rows of that model a user may pick in a foreign-key field.
# Filled by the domain apps' AppConfig.ready() (`register_choice_selector`).
ChoiceSelector = Callable[..., models.QuerySet]
_CHOICE_SELECTORS: dict[type[models.Model], ChoiceSelector] = {
    Region: lambda *, user: region_list(user=user).order_by("path"),
}


def register_choice_selector(model: type[models.Model], selector: ChoiceSelector) -> None:
    """Declare the scoped selector (`selector(user=...)`) whose rows are the admin's choices for
    a foreign key to `model`. Called by a domain app's AppConfig.ready()."""
    _CHOICE_SELECTORS[model] = selector


class _FormFieldScopingMixin:
    """Foreign-key choices limited to what the user may see."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        selector = _CHOICE_SELECTORS.get(db_field.related_model)
        if selector is not None:
            kwargs["queryset"] = selector(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedAdminMixin(MaskedIdNumberMixin, _FormFieldScopingMixin):
    """Mix into a ModelAdmin (before ModelAdmin / SimpleHistoryAdmin).

    - `scope_selector(user=...)` returns the rows the user may see (a selector of the app), or
      `scope_region_field` names the Region foreign key to scope on ("" for Region itself).
    - `view_permission`, `add_permission`, `change_permission`, `delete_permission`: an Action
      of the role matrix, a predicate on the user, or None for nobody.
    - `id_number` is never shown in full in a form unless the role may reveal it; every
      changelist shows `masked_id_number` instead of the field.
    """

    model: type[models.Model]  # set by ModelAdmin
    scope_selector: Callable[..., models.QuerySet] | None = None
    scope_region_field: str | None = "region"
    view_permission: Permission = Action.VIEW
    add_permission: Permission = Action.CREATE
    change_permission: Permission = Action.EDIT
    delete_permission: Permission = Action.ADMINISTER
    show_full_result_count = False  # no second COUNT(*) over a large table

    # -- scope ---------------------------------------------------------------------------
    def scoped_queryset(self, request) -> models.QuerySet:
        if self.scope_selector is not None:
            return type(self).scope_selector(user=request.user)  # type: ignore[misc]
        assert self.scope_region_field is not None
        return scope_queryset(self.model._default_manager.all(), request.user, region_field=self.scope_region_field)

    def get_queryset(self, request):
        qs = self.scoped_queryset(request)
        ordering = self.get_ordering(request)
        if ordering:
            qs = qs.order_by(*ordering)
        return qs

    def object_in_scope(self, request, obj) -> bool:
        if obj is None:
            return True
        if obj.pk is None:
            return False
        cache = request.__dict__.setdefault("_welfare_scope_cache", {})
        key = (self.model._meta.label, obj.pk)
        if key not in cache:
            cache[key] = self.scoped_queryset(request).filter(pk=obj.pk).exists()
        return cache[key]

    # -- permissions -------------------------------------------------------------------
    def has_module_permission(self, request):
        return role_allows(request.user, _perm(self, "view_permission"))

    def has_view_permission(self, request, obj=None):
        allowed = role_allows(request.user, _perm(self, "view_permission")) or role_allows(
            request.user, _perm(self, "change_permission")
        )
        return allowed and self.object_in_scope(request, obj)

    def has_add_permission(self, request, *args):
        return role_allows(request.user, _perm(self, "add_permission"))

    def has_change_permission(self, request, obj=None):
        return role_allows(request.user, _perm(self, "change_permission")) and self.object_in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return role_allows(request.user, _perm(self, "delete_permission")) and self.object_in_scope(request, obj)

    # -- identity numbers ----------------------------------------------------------------
    def get_fieldsets(self, request, obj=None):
        return _mask_fieldsets(request, super().get_fieldsets(request, obj))  # type: ignore[misc]

    def get_readonly_fields(self, request, obj=None):
        return _with_masked_readonly(request, super().get_readonly_fields(request, obj), self.model)  # type: ignore[misc]


class ScopedHistoryAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """A scoped admin that shows the simple_history change history of the record. Reverting is
    disabled: an old version goes back through the normal form (and its service) instead."""

    def revert_disabled(self, request, obj=None):
        return True

    def get_historical_record_context_helper(self, request, historical_record):
        return _MaskingHistoryHelper(self.model, historical_record)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Old versions are shown, never saved back, and never with a full identity number.
        request._welfare_mask_ids = True
        if request.method == "POST":
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ScopedInlineMixin(MaskedIdNumberMixin, _FormFieldScopingMixin):
    """Mix into an InlineModelAdmin: the parent admin has already checked the parent's scope;
    the inline asks the role matrix and masks identity numbers like the parent does."""

    view_permission: Permission = Action.VIEW
    add_permission: Permission = Action.EDIT
    change_permission: Permission = Action.EDIT
    delete_permission: Permission = Action.EDIT

    def has_view_permission(self, request, obj=None):
        return role_allows(request.user, _perm(self, "view_permission")) or role_allows(
            request.user, _perm(self, "change_permission")
        )

    def has_add_permission(self, request, obj=None):
        return role_allows(request.user, _perm(self, "add_permission"))

    def has_change_permission(self, request, obj=None):
        return role_allows(request.user, _perm(self, "change_permission"))

    def has_delete_permission(self, request, obj=None):
        return role_allows(request.user, _perm(self, "delete_permission"))

    def get_fieldsets(self, request, obj=None):
        return _mask_fieldsets(request, super().get_fieldsets(request, obj))  # type: ignore[misc]

    def get_readonly_fields(self, request, obj=None):
        return _with_masked_readonly(request, super().get_readonly_fields(request, obj), self.model)  # type: ignore[misc]
