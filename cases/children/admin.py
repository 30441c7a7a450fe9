"""Admin of children, guardians and category memberships. Reads go through
cases.children.selectors (region scoping); writes of children, guardians and memberships through
cases.children.services (the same rules as the pages and the API). A child's checks are shown
read-only: they are recorded on the check pages."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.checks.models import Check
from cases.children import selectors
from cases.children.categories import Category
from cases.children.models import CategoryMembership, Child, Guardian
from cases.children.reveal import child_id_number_reveal, guardian_id_number_reveal
from cases.children.rules import membership_end_errors, membership_refusal
from cases.children.services import (
    GUARDIAN_FIELDS,
    child_identity_validate,
    child_possible_duplicates,
    child_register,
    child_update,
    guardian_add,
    guardian_fields_clean,
    guardian_remove,
    guardian_update,
    membership_end,
    membership_start,
    membership_update,
)
from cases.roster.resources import RosterImportAdminMixin
from welfare.admin_mixins import ScopedHistoryAdmin, ScopedInlineMixin, may_reveal_id_numbers
from welfare.audit import client_ip
from welfare.errors import ApplicationError
from welfare.forms import form_add_service_errors
from welfare.models import Region
from welfare.roles import Action
from welfare.validators import PersonFieldsAdminMixin, phone_clean


class CategoryFilter(admin.SimpleListFilter):
    """Children by a category they belong to today."""

    title = _("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return Category.choices

    def queryset(self, request, queryset):
        if self.value() not in Category.values:
            return queryset
        current = CategoryMembership.objects.filter(category=self.value()).open_on(timezone.localdate())
        return queryset.filter(pk__in=current.values("child_id"))


class TownshipFilter(admin.SimpleListFilter):
    """Children by township, offered when the user's area holds a manageable number of them."""

    title = _("township / street")
    parameter_name = "township"
    child_region_path = "region__path"
    max_choices = 300

    def lookups(self, request, model_admin):
        from welfare.scoping import region_list

        townships = region_list(user=request.user).filter(level=Region.Level.TOWNSHIP).order_by("path")
        rows = list(townships.values_list("code", "name")[: self.max_choices + 1])
        return [] if len(rows) > self.max_choices else rows

    def queryset(self, request, queryset):
        code = self.value()
        if not code:
            return queryset
        township = Region.objects.filter(code=code, level=Region.Level.TOWNSHIP).first()
        if township is None:
            return queryset.none()
        return queryset.filter(**{f"{self.child_region_path}__startswith": township.path})


class ChildTownshipFilter(TownshipFilter):
    child_region_path = "child__region__path"


class GuardianInlineForm(forms.ModelForm):
    """A guardian's fields, checked in `clean` by the services' rule (guardian_fields_clean) so
    a refusal shows beside its field; ChildAdmin.save_formset and GuardianAdmin.save_model then
    write through the services."""

    class Meta:
        model = Guardian
        fields = ("child", *GUARDIAN_FIELDS)

    def clean(self):
        cleaned = super().clean()
        record = {name: getattr(self.instance, name) for name in GUARDIAN_FIELDS}
        record.update({name: cleaned[name] for name in GUARDIAN_FIELDS if name in cleaned})
        try:
            cleaned.update(
                {name: value for name, value in guardian_fields_clean(**record).items() if name in self.fields}
            )
        except ApplicationError as exc:
            form_add_service_errors(self, exc)
        return cleaned


class GuardianInline(PersonFieldsAdminMixin, ScopedInlineMixin, admin.TabularInline):
    model = Guardian
    form = GuardianInlineForm
    add_permission = Action.CREATE  # as cases.children.services.guardian_add
    extra = 0
    fields = ("name", "relation", "id_number", "phone", "is_migrant_worker", "work_place", "can_act_as_guardian")


class MembershipFormSet(BaseInlineFormSet):
    """The paid categories exclude each other and a category is open once: the rule of
    cases.children.services.membership_start, checked over the whole set before anything is saved."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("category") or not data.get("start_date"):
                continue
            rows.append((form, data["category"], data["start_date"], data.get("end_date")))
        for form, category, start, _end in rows:
            if form.instance.pk:
                continue
            others = [c for other, c, _start, end in rows if other is not form and (end is None or end >= start)]
            refusal = membership_refusal(category=category, open_categories=others)
            if refusal is not None:
                raise ValidationError(refusal)


class MembershipInlineForm(forms.ModelForm):
    class Meta:
        model = CategoryMembership
        fields = ("child", "category", "sub_category", "start_date", "end_date", "reason", "end_reason")

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk:
            for name in ("category", "start_date"):
                if name in self.changed_data:
                    self.add_error(name, _("End this membership and start a new one instead of changing it."))
            if instance.end_date and "end_date" in self.changed_data:
                self.add_error("end_date", _("This membership has already ended."))
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if end and start:  # the rule of cases.children.services.membership_end
            for name, message in membership_end_errors(start_date=start, end_date=end, end_reason=cleaned.get("end_reason", "")).items():
                self.add_error(name, message)
        return cleaned


class MembershipInline(ScopedInlineMixin, admin.TabularInline):
    model = CategoryMembership
    form = MembershipInlineForm
    formset = MembershipFormSet
    extra = 0
    can_delete = False
    fields = ("category", "sub_category", "start_date", "end_date", "reason", "end_reason")


class CheckInline(ScopedInlineMixin, admin.TabularInline):
    """The child's checks, newest first (recorded on the check pages)."""

    model = Check
    extra = 0
    can_delete = False
    add_permission = None
    change_permission = None
    fields = ("checked_on", "kind", "risk_level", "caregiver", "notes", "checked_by")
    readonly_fields = fields
    ordering = ("-checked_on",)
    show_change_link = True


CHILD_FIELDS = (
    "name",
    "id_number",
    "sex",
    "birth_date",
    "region",
    "household_region",
    "school",
    "health_notes",
    "disability_notes",
    "died_on",
)


class ChildAdminForm(forms.ModelForm):
    """Identity rules of cases.children.services (check character, birth date, sex, national uniqueness)
    run in `clean` so a bad number is an error beside the field, never a failed save."""

    user = None  # set by ChildAdmin.get_form

    class Meta:
        model = Child
        fields = CHILD_FIELDS

    # On the add form only (ChildAdmin.get_fieldsets): a child without an identity number alike
    # one recorded is registered only when ticked (cases.children.services.child_possible_duplicates).
    confirm_duplicate = forms.BooleanField(label=_("This is another child: register them anyway"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("sex", "birth_date"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = _("Taken from the identity number when left empty.")
        if "household_region" in self.fields:
            self.fields["household_region"].required = False
            self.fields["household_region"].help_text = _("The residence village when left empty.")

    def clean(self):
        cleaned = super().clean()
        region = cleaned.get("region")
        if region is not None and region.level != Region.Level.VILLAGE:
            self.add_error("region", _("Choose the village or community where the child lives."))
        if "household_region" in self.fields and not cleaned.get("household_region") and region is not None:
            cleaned["household_region"] = region
        number = cleaned.get("id_number") if "id_number" in self.fields else self.instance.id_number
        try:
            number, sex, birth = child_identity_validate(
                id_number=number,
                sex=cleaned.get("sex") or None,
                birth_date=cleaned.get("birth_date"),
                exclude_child_id=self.instance.pk,
                by=self.user,  # a number recorded outside the user's area: its county only
            )
        except ApplicationError as exc:
            form_add_service_errors(self, exc)
        else:
            cleaned["sex"], cleaned["birth_date"] = sex, birth
            if "id_number" in self.fields:
                cleaned["id_number"] = number
            if self.instance.pk is None and number is None and region is not None and cleaned.get("name"):
                self._refuse_possible_duplicate(cleaned, birth, region)
        return cleaned

    def _refuse_possible_duplicate(self, cleaned, birth, region) -> None:
        if cleaned.get("confirm_duplicate"):
            return
        user = getattr(self, "user", None)
        found, visible = child_possible_duplicates(by=user, name=cleaned["name"], birth_date=birth, region=region)
        if found:
            alike = "、".join(f"{c.name} (#{c.id})" for c in visible)
            message = _("A child with the same name, birth date and village is already recorded. If this is another child, confirm to register them anyway.")
            self.add_error("name", f"{message} {alike}".strip())
            self.add_error("confirm_duplicate", _("Tick this box if it is another child."))


@admin.register(Child)
class ChildAdmin(PersonFieldsAdminMixin, RosterImportAdminMixin, ScopedHistoryAdmin):
    scope_selector = selectors.child_list
    form = ChildAdminForm
    list_display = (
        "name", "masked_id_number", "sex", "birth_date", "village", "township", "categories",
        "check_state", "next_check_due", "review_status",
    )  # fmt: skip
    list_display_links = ("name",)
    list_filter = (CategoryFilter, TownshipFilter, "sex", "check_state", "review_status")
    search_fields = ("name",)
    search_help_text = _("Name, a guardian's name, or a full identity number (or its last digits).")
    list_select_related = ("region", "region__parent")
    autocomplete_fields = ("region", "household_region")
    readonly_fields = (
        "registered_on", "review_status", "review_comment", "next_check_due", "check_state",
        "created_by", "created_at", "updated_at",
    )  # fmt: skip
    fieldsets = (
        (None, {"fields": ("name", "id_number", ("sex", "birth_date"))}),
        (_("Where the child lives"), {"fields": ("region", "household_region")}),
        (_("School, health and disability"), {"fields": ("school", "health_notes", "disability_notes")}),
        (
            _("Record"),
            {
                "fields": (
                    "registered_on",
                    "died_on",
                    ("review_status", "review_comment"),
                    ("next_check_due", "check_state"),
                    ("created_by", "created_at", "updated_at"),
                )
            },
        ),
    )
    inlines = (GuardianInline, MembershipInline, CheckInline)
    ordering = ("region__path", "name")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # registering: the box for a possible duplicate (ChildAdminForm)
            fieldsets = (*fieldsets, (_("Possible duplicate"), {"fields": ("confirm_duplicate",)}))
        return fieldsets

    def get_queryset(self, request):
        open_memberships = CategoryMembership.objects.open_on(timezone.localdate())
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("memberships", queryset=open_memberships, to_attr="current_memberships"))
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user
        return form

    def get_search_results(self, request, queryset, search_term):
        search_term = (search_term or "").strip()
        if not search_term:
            return queryset, False
        matches = selectors.child_search(user=request.user, query=search_term).values("pk")
        return queryset.filter(pk__in=matches), False

    @admin.display(description=_("residence village"), ordering="region__path")
    def village(self, obj) -> str:
        return obj.region.name

    @admin.display(description=_("township / street"))
    def township(self, obj) -> str:
        return obj.region.parent.name if obj.region.parent_id else ""

    @admin.display(description=_("categories"))
    def categories(self, obj) -> str:
        memberships = obj.current_memberships  # prefetched by get_queryset: no query per row
        return "、".join(str(m.get_category_display()) for m in sorted(memberships, key=lambda m: m.category)) or "-"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and may_reveal_id_numbers(request):
            # Showing full numbers on the record's own page is a logged reveal (cases.children.reveal),
            # the child's and those of the guardians listed with it.
            ip = client_ip(request)
            if obj.id_number:
                child_id_number_reveal(by=request.user, child=obj, request_ip=ip)
            for guardian in obj.guardians.exclude(id_number_index=""):
                guardian_id_number_reveal(by=request.user, guardian=guardian, request_ip=ip)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in CHILD_FIELDS if name in form.cleaned_data}
        if change:
            original = Child.objects.get(pk=obj.pk)
            fields = {k: v for k, v in data.items() if getattr(original, k) != v}
            saved = child_update(by=request.user, child=original, **fields) if fields else original
        else:
            data.pop("died_on", None)
            # ChildAdminForm.clean already ran the service's duplicate check (and its box).
            saved = child_register(by=request.user, confirm_duplicate=True, **data)
        for f in Child._meta.concrete_fields:
            setattr(obj, f.attname, getattr(saved, f.attname))
        obj._state.adding, obj._state.db = False, saved._state.db

    def save_formset(self, request, form, formset, change):
        """Guardians and memberships are written by their services (rules and audit rows), never
        by the formset itself."""
        if formset.model is Guardian:
            self._save_guardians(request, form.instance, formset)
        elif formset.model is CategoryMembership:
            self._save_memberships(request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    def _save_guardians(self, request, child, formset) -> None:
        formset.save(commit=False)  # only lists what changed, for the admin's change message
        for gform in formset.forms:
            guardian = gform.instance
            if gform in formset.deleted_forms:
                if guardian.pk is not None:
                    guardian_remove(by=request.user, guardian=Guardian.objects.get(pk=guardian.pk))
                continue
            if not gform.has_changed():
                continue
            data = {name: gform.cleaned_data[name] for name in GUARDIAN_FIELDS if name in gform.cleaned_data}
            if guardian.pk is None:
                guardian.pk = guardian_add(by=request.user, child=child, **data).pk
            else:
                changed = {name: value for name, value in data.items() if name in gform.changed_data}
                guardian_update(by=request.user, guardian=Guardian.objects.get(pk=guardian.pk), **changed)

    def _save_memberships(self, request, child, formset) -> None:
        formset.save(commit=False)  # only lists what changed, for the admin's change message
        for mform in formset.forms:
            if not mform.has_changed():
                continue
            data = mform.cleaned_data
            if mform.instance.pk is None:
                membership = membership_start(
                    by=request.user,
                    child=child,
                    category=data["category"],
                    start_date=data["start_date"],
                    reason=data.get("reason", ""),
                    sub_category=data.get("sub_category", ""),
                )
            else:
                membership = membership_update(
                    by=request.user,
                    membership=CategoryMembership.objects.get(pk=mform.instance.pk),
                    sub_category=data.get("sub_category", ""),
                    reason=data.get("reason", ""),
                )
            if membership.end_date is None and data.get("end_date"):
                membership_end(by=request.user, membership=membership, end_date=data["end_date"], end_reason=data.get("end_reason", ""))
            mform.instance.pk = membership.pk


class GuardianAdminForm(GuardianInlineForm):
    pass


@admin.register(Guardian)
class GuardianAdmin(PersonFieldsAdminMixin, ScopedHistoryAdmin):
    """Guardians are added on the child's page; here they are found and corrected."""

    scope_selector = selectors.guardian_list
    form = GuardianAdminForm
    add_permission = None
    delete_permission = Action.EDIT
    list_display = (
        "name",
        "relation",
        "child",
        "masked_id_number",
        "phone",
        "is_migrant_worker",
        "work_place",
        "can_act_as_guardian",
    )
    list_filter = ("relation", "is_migrant_worker", "can_act_as_guardian")
    # The phone is stored encrypted: a whole phone number is found by its blind index (get_search_results).
    search_fields = ("name", "child__name", "work_place")
    list_select_related = ("child",)
    autocomplete_fields = ("child",)
    fields = ("child", *GUARDIAN_FIELDS)
    ordering = ("child__name", "id")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "child"] if obj is not None else readonly

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = phone_clean((search_term or "").strip())
        except ValidationError:
            return found, may_have_duplicates
        if not phone:
            return found, may_have_duplicates
        return found | queryset.with_phone(phone), may_have_duplicates

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and obj.id_number and may_reveal_id_numbers(request):
            guardian_id_number_reveal(by=request.user, guardian=obj, request_ip=client_ip(request))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in GUARDIAN_FIELDS if name in form.changed_data}
        guardian_update(by=request.user, guardian=Guardian.objects.get(pk=obj.pk), **fields)

    def delete_model(self, request, obj):
        guardian_remove(by=request.user, guardian=obj)

    def delete_queryset(self, request, queryset):
        for guardian in queryset.select_related("child__region"):
            guardian_remove(by=request.user, guardian=guardian)


@admin.register(CategoryMembership)
class CategoryMembershipAdmin(ScopedHistoryAdmin):
    """Who is in which category since when; started and ended on the child's page."""

    scope_selector = selectors.membership_list
    add_permission = None
    change_permission = None
    delete_permission = None
    list_display = ("child", "category", "sub_category", "start_date", "end_date", "reason", "end_reason")
    list_filter = ("category", ("end_date", admin.EmptyFieldListFilter), "start_date")
    search_fields = ("child__name", "sub_category", "reason")
    list_select_related = ("child",)
    date_hierarchy = "start_date"
    ordering = ("-start_date", "id")
