"""Admin for regions, users and the audit log."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from welfare.admin_mixins import ScopedAdminMixin
from welfare.audit import audit_record
from welfare.models import AuditLog, Region, User
from welfare.roles import Action, Role
from welfare.services import STAFF_ROLES, user_binding_errors
from welfare.tokens import device_id
from welfare.validators import PersonFieldsAdminMixin

admin.site.site_header = _("Child welfare case management: administration")
admin.site.site_title = _("Child welfare administration")
admin.site.index_title = _("Records and reference data")


@admin.register(Region)
class RegionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Everyone in the admin may look regions up (their own subtree: also what the region
    autocompletes of other admins offer); only administrators change them. Large trees come
    in with `manage.py import_regions`."""

    scope_region_field = ""
    add_permission = Action.ADMINISTER
    change_permission = Action.ADMINISTER
    delete_permission = Action.ADMINISTER
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("^code", "name")
    ordering = ("path",)
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    list_per_page = 100
    readonly_fields = ("path",)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Moving a region (or recoding it) rewrites a subtree: import_regions does that.
            readonly += ["code", "level", "parent"]
        return readonly

    def save_model(self, request, obj, form, change):
        from welfare.services import region_import

        parent = obj.parent.code if obj.parent_id else ""
        region_import(
            rows=[(1, {"code": obj.code, "name": obj.name, "level": obj.level, "parent": parent})], by=request.user
        )
        fresh = Region.objects.get(code=obj.code)
        obj.pk, obj.path = fresh.pk, fresh.path
        obj._state.adding = False


class UserBindingFormMixin:
    """The same binding rules as `create_user` (welfare.services.user_binding_errors)."""

    def clean(self):
        cleaned = super().clean()  # type: ignore[misc]
        role = cleaned.get("role")
        if role:
            errors = user_binding_errors(
                role=role, region=cleaned.get("region"), institution=cleaned.get("institution")
            )
            for key, msg in errors.items():
                self.add_error(key if key in self.fields else None, msg)  # type: ignore[attr-defined]
        return cleaned


class WelfareUserCreationForm(UserBindingFormMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "role", "region", "institution")


class WelfareUserChangeForm(UserBindingFormMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(PersonFieldsAdminMixin, ScopedAdminMixin, DjangoUserAdmin):
    """Users and their binding; administrators only. Names and the phone number follow
    welfare.validators' rules."""

    person_name_fields = ("first_name", "last_name")

    scope_region_field = None
    view_permission = Action.ADMINISTER
    add_permission = Action.ADMINISTER
    change_permission = Action.ADMINISTER
    delete_permission = Action.ADMINISTER
    form = WelfareUserChangeForm
    add_form = WelfareUserCreationForm
    list_display = ("username", "full_name", "role", "region", "institution", "is_staff", "is_active", "last_login")
    list_filter = ("role", "is_staff", "is_active", "region__level")
    search_fields = ("username", "first_name", "last_name", "phone", "region__name", "^region__code")
    autocomplete_fields = ("region", "institution")
    list_select_related = ("region", "institution")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "phone", "language")}),
        (_("Role and area of responsibility"), {"fields": ("role", "region", "institution")}),
        (
            _("Permissions"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "classes": ("collapse",),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (_("Role and area of responsibility"), {"fields": ("role", "region", "institution")}),
    )

    def scoped_queryset(self, request):
        return User.objects.all() if role_is_admin(request.user) else User.objects.none()

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj) -> str:
        return obj.get_full_name()

    def save_model(self, request, obj, form, change):
        if not change:
            # Staff flags follow the role, as with create_user.
            obj.is_staff = obj.role in STAFF_ROLES
            obj.is_superuser = obj.role == Role.ADMIN
        super().save_model(request, obj, form, change)


def role_is_admin(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.is_active and user.is_admin_role


class AuditLogForm(forms.ModelForm):
    class Meta:
        model = AuditLog
        fields: list[str] = []


@admin.register(AuditLog)
class AuditLogAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The audit log: read-only and append-only."""

    scope_region_field = None
    view_permission = Action.ADMINISTER
    add_permission = None
    change_permission = None
    delete_permission = None
    list_display = ("at", "actor", "action", "target_type", "target_repr", "record_count", "ip_address")
    list_filter = ("action", "target_type")
    search_fields = ("action", "target_repr", "target_id", "actor__username")
    list_select_related = ("actor",)
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    readonly_fields = (
        "at", "actor", "action", "target_type", "target_id", "target_repr", "record_count", "ip_address", "detail",
    )  # fmt: skip
    fields = readonly_fields
    form = AuditLogForm

    def scoped_queryset(self, request):
        return AuditLog.objects.all() if role_is_admin(request.user) else AuditLog.objects.none()


class AuthTokenAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Signed-in API devices (welfare.tokens), in place of knox's own admin: administrators see
    everyone's and log any out (delete); nobody adds one here (a token is made by signing in)
    or edits one, and a token itself is never shown (only the hash it is stored as)."""

    scope_region_field = None
    view_permission = Action.ADMINISTER
    add_permission = None
    change_permission = None
    delete_permission = Action.ADMINISTER
    list_display = ("device", "user", "created", "expiry")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    ordering = ("-created",)
    fields = ("device", "user", "created", "expiry")
    readonly_fields = fields

    def scoped_queryset(self, request):
        return AuthToken.objects.all() if role_is_admin(request.user) else AuthToken.objects.none()

    @admin.display(description=_("device"))
    def device(self, obj) -> str:
        return device_id(obj)

    def delete_model(self, request, obj):
        device = device_id(obj)
        super().delete_model(request, obj)
        audit_record(actor=request.user, action="api_token.revoked", target=obj.user, detail={"device": device})

    def delete_queryset(self, request, queryset):
        revoked = [(obj.user, device_id(obj)) for obj in queryset.select_related("user")]
        super().delete_queryset(request, queryset)
        for user, device in revoked:
            audit_record(actor=request.user, action="api_token.revoked", target=user, detail={"device": device})


if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)  # knox's: open to Django model permissions, shows add and edit
admin.site.register(AuthToken, AuthTokenAdmin)
