"""Admin of children, guardians and category memberships. Reads go through
cases.children.selectors (region scoping); writes of children, guardians and memberships through
cases.children.services (the same rules as the pages and the API). A child's checks are shown
read-only: they are recorded on the check pages."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.checks.models import Check
from cases.children import selectors
from cases.children.categories import Category, is_paid
from cases.children.models import CategoryMembership, Child, Guardian
from cases.children.reveal import child_id_number_reveal, guardian_id_number_reveal
from cases.children.services import (
    _validated_identity,
    child_possible_duplicates,
    child_register,
    child_update,
    guardian_add,
    membership_end,
    membership_start,
)
from cases.roster.resources import RosterImportAdminMixin
from welfare.admin_mixins import ScopedHistoryAdmin, ScopedInlineMixin, may_reveal_id_numbers
from welfare.audit import client_ip
from welfare.errors import ApplicationError
from welfare.idnumber import normalize_id_number, parse_id_number
from welfare.models import Region
from welfare.roles import Action
from welfare.validators import PersonFieldsAdminMixin


class CategoryFilter(admin.SimpleListFilter):
    """Children by a category they belong to today."""

    title = _("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return Category.choices

    def queryset(self, request, queryset):
        if self.value() not in Category.values:
            return queryset
        today = timezone.localdate()
        current = CategoryMembership.objects.filter(category=self.value(), start_date__lte=today).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today)
        )
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


# The guardian fields shown in the inline form and on the guardian's own admin page.
GUARDIAN_FIELDS = ("child", "name", "relation", "id_number", "phone", "is_migrant_worker", "work_place", "can_act_as_guardian")


class GuardianInlineForm(forms.ModelForm):
    class Meta:
        model = Guardian
        fields = GUARDIAN_FIELDS

    def clean(self):
        cleaned = super().clean()
        if "id_number" in self.fields:
            number = normalize_id_number(cleaned.get("id_number"))
            if number:
                try:
                    parse_id_number(number)
                except ValidationError as exc:
                    self.add_error("id_number", exc.messages[0])
            cleaned["id_number"] = number
        if not cleaned.get("is_migrant_worker"):
            cleaned["work_place"] = ""
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
            for other, other_category, _other_start, other_end in rows:
                if other is form or (other_end is not None and other_end < start):
                    continue
                if other_category == category:
                    raise ValidationError(_("The child is already in this category."))
                if is_paid(category) and is_paid(other_category):
                    raise ValidationError(
                        _("A child can receive only one basic living allowance: end the other paid category first.")
                    )


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
        if end and start and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        if end and not (cleaned.get("end_reason") or "").strip():
            self.add_error("end_reason", _("Give the reason the membership ends."))
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
            number, sex, birth = _validated_identity(
                id_number=number,
                sex=cleaned.get("sex") or None,
                birth_date=cleaned.get("birth_date"),
                exclude_child_id=self.instance.pk,
                by=self.user,  # a number recorded outside the user's area: its county only
            )
        except ApplicationError as exc:
            for key, msg in (exc.field_errors or {None: exc.message}).items():
                self.add_error(key if key in self.fields else None, msg)
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
        today = timezone.localdate()
        open_memberships = CategoryMembership.objects.filter(start_date__lte=today).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today)
        )
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
        memberships = getattr(obj, "current_memberships", None)
        if memberships is None:
            memberships = list(obj.memberships.filter(end_date__isnull=True))
        return "、".join(str(m.get_category_display()) for m in sorted(memberships, key=lambda m: m.category)) or "-"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and may_reveal_id_numbers(request):
            # Showing full numbers on the record's own page is a logged reveal (cases.children.reveal),
            # the child's and those of the guardians listed with it.
            ip = client_ip(request)
            if obj.id_number:
                child_id_number_reveal(by=request.user, child=obj, request_ip=ip)
            for guardian in obj.guardians.exclude(id_number=""):
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
        child = form.instance
        if formset.model is Guardian:
            formset.save(commit=False)
            for guardian in formset.deleted_objects:
                guardian.delete()
            for gform in formset.forms:
                if gform in formset.deleted_forms or not gform.has_changed():
                    continue
                data = gform.cleaned_data
                if gform.instance.pk is None:
                    saved = guardian_add(
                        by=request.user,
                        child=child,
                        name=data.get("name", ""),
                        relation=data.get("relation", ""),
                        id_number=data.get("id_number", ""),
                        phone=data.get("phone", ""),
                        is_migrant_worker=bool(data.get("is_migrant_worker")),
                        work_place=data.get("work_place", ""),
                        can_act_as_guardian=bool(data.get("can_act_as_guardian")),
                    )
                    gform.instance.pk = saved.pk
                else:
                    gform.instance.save()
            return
        if formset.model is CategoryMembership:
            formset.save(commit=False)
            for mform in formset.forms:
                if not mform.has_changed():
                    continue
                data = mform.cleaned_data
                if mform.instance.pk is None:
                    saved = membership_start(
                        by=request.user,
                        child=child,
                        category=data["category"],
                        start_date=data["start_date"],
                        reason=data.get("reason", ""),
                        sub_category=data.get("sub_category", ""),
                    )
                    if data.get("end_date"):
                        membership_end(
                            by=request.user,
                            membership=saved,
                            end_date=data["end_date"],
                            end_reason=data.get("end_reason", ""),
                        )
                    mform.instance.pk = saved.pk
                    continue
                original = CategoryMembership.objects.get(pk=mform.instance.pk)
                original.sub_category, original.reason = data.get("sub_category", ""), data.get("reason", "")
                original.save(update_fields=["sub_category", "reason"])
                if original.end_date is None and data.get("end_date"):
                    membership_end(
                        by=request.user,
                        membership=original,
                        end_date=data["end_date"],
                        end_reason=data.get("end_reason", ""),
                    )
            return
        super().save_formset(request, form, formset, change)


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
    search_fields = ("name", "phone", "child__name", "work_place")
    list_select_related = ("child",)
    autocomplete_fields = ("child",)
    fields = GUARDIAN_FIELDS
    ordering = ("child__name", "id")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "child"] if obj is not None else readonly

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and obj.id_number and may_reveal_id_numbers(request):
            guardian_id_number_reveal(by=request.user, guardian=obj, request_ip=client_ip(request))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


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
