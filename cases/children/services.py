"""Writes of children, guardians and category memberships (register, change, review; guardians
added, corrected and removed; memberships started, changed and ended), drafts and one-time form
tokens. The checks that need the database (scope, national uniqueness of an identity number,
possible duplicates) are here; the rules that need none are in cases/children/rules.py."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.children.categories import Category
from cases.children.history import CaseloadHistory, CategorySince, category_start, history_errors, history_registered_on
from cases.children.models import CategoryMembership, Child, Guardian
from cases.children.rules import id_number_recorded_message, identity_check, membership_end_errors, membership_refusal
from welfare.audit import audit_record
from welfare.errors import ApplicationError
from welfare.idnumber import normalize_id_number, parse_id_number
from welfare.models import Region
from welfare.roles import Action, require
from welfare.scoping import require_in_scope, require_record_in_scope
from welfare.validators import person_name_clean, phone_clean


def child_identity_validate(
    *,
    id_number: str | None,
    sex: str | None,
    birth_date: datetime.date | None,
    exclude_child_id: int | None = None,
    by=None,
) -> tuple[str | None, str, datetime.date]:
    """The identity rules of one child (`cases.children.rules.identity_check`) and national
    uniqueness of the number; return (number, sex, birth date) or raise ApplicationError with
    every field's refusal. A number recorded already is answered with where (see
    `_recorded_already`). The services and the admin's child form call this."""
    identity = identity_check(id_number=id_number, sex=sex, birth_date=birth_date)
    errors = dict(identity.errors)
    number = identity.id_number
    if number and "id_number" not in errors:
        same = Child.objects.with_id_number(number).select_related("region")
        if exclude_child_id is not None:
            same = same.exclude(id=exclude_child_id)
        existing = same.first()
        if existing is not None:
            errors["id_number"] = _recorded_already(by=by, number=number, existing=existing)
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    assert identity.sex is not None and identity.birth_date is not None
    return number, identity.sex, identity.birth_date


def _recorded_already(*, by, number: str, existing: Child) -> str:
    """The national duplicate message: the village for a child `by` may see (to find the
    record), the county at most for anyone else's (`id_number_recorded_message`)."""
    from cases.children.selectors import child_visible

    if by is not None and child_visible(user=by, child_id=existing.id):
        return id_number_recorded_message(number=number, region=existing.region.full_name, county=None)
    county = existing.region.ancestor_at(Region.Level.COUNTY)
    return id_number_recorded_message(number=number, region=None, county=county.full_name if county is not None else None)


def _require_village(region: Region | None, field: str = "region") -> Region:
    if region is None or region.level != Region.Level.VILLAGE:
        msg = _("Choose the village or community where the child lives.")
        raise ApplicationError(msg, field_errors={field: msg})
    return region


def _person_name(value: str, *, blank: str) -> str:
    """A personal name by welfare.validators' rule; `blank` is the message for an empty one."""
    try:
        return person_name_clean(value)
    except ValidationError as exc:
        raise ApplicationError(blank if exc.code == "blank" else exc.messages[0]) from None


class PossibleDuplicateError(ApplicationError):
    """A child without an identity number looks like one already recorded (same name, birth date
    and village). `duplicates`: those of them the user may see (the caller shows them masked);
    registering anyway needs `confirm_duplicate=True`."""

    code = "possible_duplicate"

    def __init__(self, message, *, duplicates: list[Child]):
        super().__init__(message, field_errors={"name": message})
        self.duplicates = duplicates


def child_possible_duplicates(*, by, name: str, birth_date: datetime.date, region: Region) -> tuple[bool, list[Child]]:
    """Whether a child with this name (letter case aside), birth date and village is recorded,
    and those of them `by` may see (none when `by` is None), oldest first. Nothing is answered
    about a village outside `by`'s area."""
    from cases.children.selectors import child_list
    from welfare.scoping import in_scope

    if by is not None and not in_scope(by, region):
        return False, []
    same = Child.objects.filter(name__iexact=(name or "").strip(), birth_date=birth_date, region=region)
    if not same.exists():
        return False, []
    if by is None:
        return True, []
    visible = child_list(user=by).filter(id__in=same.values("id")).select_related("region").order_by("id")
    return True, list(visible[:10])


def _refuse_possible_duplicate(*, by, name: str, birth_date: datetime.date, region: Region) -> None:
    found, visible = child_possible_duplicates(by=by, name=name, birth_date=birth_date, region=region)
    if found:
        raise PossibleDuplicateError(
            _("A child with the same name, birth date and village is already recorded. If this is another child, confirm to register them anyway."),
            duplicates=visible,
        )


@transaction.atomic
def child_register(
    *,
    by,
    name: str,
    region: Region,
    household_region: Region | None = None,
    id_number: str | None = None,
    sex: str | None = None,
    birth_date: datetime.date | None = None,
    school: str = "",
    health_notes: str = "",
    disability_notes: str = "",
    categories: list[str] | None = None,
    registered_on: datetime.date | None = None,
    confirm_duplicate: bool = False,
    screening: bool = False,
    history: CaseloadHistory | None = None,
    admission: bool = False,
) -> Child:
    """Record a new child. The identity number is validated and unique nationally; sex and
    birth date come from it when not typed and must agree with it when typed. Without a number,
    a child recorded with the same name, birth date and village is a possible duplicate:
    refused (PossibleDuplicateError) unless `confirm_duplicate`. `screening`: a county official
    screening a report in registers the child the report is about (the caller,
    cases.protection.services.report_screen_in, has checked that they screen it). `admission`:
    an institution admitting a child it found registers them in a village beneath the institution
    (the caller, institutions.placements.services.placement_admit, has checked who may admit
    there and where the village lies)."""
    if not (screening or admission):
        require(by, Action.CREATE)
    _require_village(region)
    if not admission:
        require_in_scope(by, region)
    try:
        name = _person_name(name, blank=_("Enter the child's name."))
    except ApplicationError as exc:
        raise ApplicationError(exc.message, field_errors={"name": exc.message}) from None
    number, sex, birth_date = child_identity_validate(id_number=id_number, sex=sex, birth_date=birth_date, by=by)
    if number is None and not confirm_duplicate:
        _refuse_possible_duplicate(by=by, name=name, birth_date=birth_date, region=region)
    today = timezone.localdate()
    if history is not None:  # an existing caseload's dates (cases.children.history)
        history_refuse(by=by, history=history, birth_date=birth_date, today=today)
        categories = [*(categories or []), *(c for c in history.codes if c not in (categories or []))]
        registered_on = registered_on or history_registered_on(history, today=today)
    child = Child(
        name=name,
        id_number=number,
        sex=sex,
        birth_date=birth_date,
        region=region,
        household_region=household_region or region,
        school=school,
        health_notes=health_notes,
        disability_notes=disability_notes,
        registered_on=registered_on or today,
        created_by=by,
    )
    try:
        with transaction.atomic():
            child.save()
    except IntegrityError:
        # A concurrent registration of the same number won the race.
        raise ApplicationError(
            _("This identity number was recorded a moment ago."), field_errors={"id_number": _("This identity number was recorded a moment ago.")}
        ) from None
    if history is not None and history.last_checked_on is not None:
        from cases.checks.services import checks_imported_record

        checks_imported_record(by=by, last_checks={child.id: history.last_checked_on})
    since = {c.code: c for c in (history.categories if history is not None else ())}
    for category in categories or []:
        start = category_start(since[category], registered_on=child.registered_on) if category in since else child.registered_on
        membership_start(by=by, child=child, category=category, start_date=start)
    audit_record(actor=by, action="child.registered", target=child)
    if history is not None and history.paid is not None:
        _history_enroll(by=by, child=child, item=history.paid)
    return child


def history_refuse(*, by, history: CaseloadHistory, birth_date: datetime.date, today: datetime.date) -> None:
    """Refuse (400, by field) a migrated child's history that `history_errors` finds wrong, and
    (403) an allowance start month from a role that may not enroll a caseload."""
    errors = history_errors(history=history, birth_date=birth_date, today=today)
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    if history.paid is not None:
        require(by, Action.ENROLL)


def _history_enroll(*, by, child: Child, item: CategorySince) -> None:
    """The allowance of a migrated child from its first month, by the enrollment service of an
    existing caseload (benefits.enrollments.services.enrollment_create)."""
    from benefits.enrollments.services import enrollment_create

    assert item.start_month is not None
    enrollment_create(by=by, child=child, category=item.code, start_month=item.start_month)


@transaction.atomic
def child_update(*, by, child: Child, **fields) -> Child:
    """Change a child's record; identity rules as on registration."""
    require(by, Action.EDIT)
    require_record_in_scope(by, child, region=child.region)
    if "region" in fields:
        _require_village(fields["region"])
        require_in_scope(by, fields["region"])
    if {"id_number", "sex", "birth_date"} & fields.keys():
        number, sex, birth = child_identity_validate(
            id_number=fields.get("id_number", child.id_number),
            sex=fields.get("sex", child.sex),
            birth_date=fields.get("birth_date", child.birth_date),
            exclude_child_id=child.id,
            by=by,
        )
        fields.update(id_number=number, sex=sex, birth_date=birth)
    if "name" in fields:
        try:
            fields["name"] = _person_name(fields["name"], blank=_("Enter the child's name."))
        except ApplicationError as exc:
            raise ApplicationError(exc.message, field_errors={"name": exc.message}) from None
    allowed = {"name", "id_number", "sex", "birth_date", "region", "household_region", "school", "health_notes", "disability_notes", "died_on"}
    unknown = set(fields) - allowed
    if unknown:
        raise ApplicationError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    for key, value in fields.items():
        setattr(child, key, value)
    child.review_status = Child.ReviewStatus.PENDING
    child.version = _next_version(Child, child.pk)
    child.save()
    audit_record(actor=by, action="child.updated", target=child, detail={"fields": sorted(fields)})
    return child


def _next_version(model, pk: int) -> int:
    """The version a change of a child or a guardian gets: one more than the stored one, read
    under a row lock so that two changes at once never give the same version."""
    return model.objects.select_for_update().values_list("version", flat=True).get(pk=pk) + 1


# The fields of a guardian that their services write (the child is fixed once added).
GUARDIAN_FIELDS = ("name", "relation", "id_number", "phone", "is_migrant_worker", "work_place", "can_act_as_guardian")


def guardian_fields_clean(
    *,
    name: str,
    relation: str,
    id_number: str = "",
    phone: str = "",
    is_migrant_worker: bool = False,
    work_place: str = "",
    can_act_as_guardian: bool = True,
) -> dict[str, Any]:
    """The rules of a guardian's record, for adding one, correcting one and the admin's form: a
    name and a phone number by welfare.validators' rules, a known relation, a valid identity
    number when one is given, a work place only for one who works away. Returns the fields
    cleaned (GUARDIAN_FIELDS); raises ApplicationError with every field's refusal."""
    errors = {}
    try:
        name = _person_name(name, blank=_("Enter the guardian's name."))
    except ApplicationError as exc:
        errors["name"] = exc.message
    try:
        phone = phone_clean(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]
    if relation not in Guardian.Relation.values:
        errors["relation"] = _("Choose the relation to the child.")
    number = normalize_id_number(id_number)
    if number:
        try:
            parse_id_number(number)
        except ValidationError as exc:
            errors["id_number"] = exc.messages[0]
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    return {
        "name": name,
        "relation": relation,
        "id_number": number,
        "phone": phone,
        "is_migrant_worker": bool(is_migrant_worker),
        "work_place": work_place if is_migrant_worker else "",
        "can_act_as_guardian": bool(can_act_as_guardian),
    }


@transaction.atomic
def guardian_add(*, by, child: Child, **fields) -> Guardian:
    """Add a guardian to a child. `fields`: the arguments of `guardian_fields_clean` (a name and
    a relation at least), by its rules."""
    require(by, Action.CREATE)
    require_record_in_scope(by, child, region=child.region)
    guardian = Guardian.objects.create(child=child, **guardian_fields_clean(**fields))
    audit_record(actor=by, action="guardian.added", target=guardian)
    return guardian


@transaction.atomic
def guardian_update(*, by, guardian: Guardian, **fields) -> Guardian:
    """Correct a guardian's record: the fields given (of GUARDIAN_FIELDS) change, by the rules of
    `guardian_fields_clean` applied to the whole record."""
    require(by, Action.EDIT)
    require_record_in_scope(by, guardian.child, region=guardian.child.region)
    unknown = set(fields) - set(GUARDIAN_FIELDS)
    if unknown:
        raise ApplicationError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    cleaned = guardian_fields_clean(**{**{f: getattr(guardian, f) for f in GUARDIAN_FIELDS}, **fields})
    changed = sorted(f for f in GUARDIAN_FIELDS if getattr(guardian, f) != cleaned[f])
    if not changed:
        return guardian
    for f in changed:
        setattr(guardian, f, cleaned[f])
    guardian.version = _next_version(Guardian, guardian.pk)
    guardian.save(update_fields=[*changed, "version"])
    audit_record(actor=by, action="guardian.updated", target=guardian, detail={"fields": changed})
    return guardian


@transaction.atomic
def guardian_remove(*, by, guardian: Guardian) -> None:
    """Delete a guardian recorded by mistake (their history rows stay)."""
    require(by, Action.EDIT)
    require_record_in_scope(by, guardian.child, region=guardian.child.region)
    audit_record(actor=by, action="guardian.removed", target=guardian)
    guardian.delete()


def _refresh_check_schedule(child: Child, category: str) -> None:
    """Joining or leaving the left-behind category changes the three-monthly check list now,
    not at the next daily run."""
    if category == Category.LEFT_BEHIND:
        from cases.checks.services import check_schedule_refresh

        check_schedule_refresh(child=child)


@transaction.atomic
def membership_start(
    *, by, child: Child, category: str, start_date: datetime.date, reason: str = "", sub_category: str = ""
) -> CategoryMembership:
    """Put a child in a category, by `membership_refusal` against the memberships open on the
    start date or later: a category once, one paid category at a time."""
    require(by, Action.EDIT)
    require_record_in_scope(by, child, region=child.region)
    if category not in Category.values:
        raise ApplicationError(_("Unknown category: %(c)s") % {"c": category}, field_errors={"categories": _("Unknown category.")})
    current = CategoryMembership.objects.select_for_update().filter(child=child).open_during(start_date)
    msg = membership_refusal(category=category, open_categories=current.values_list("category", flat=True))
    if msg is not None:
        raise ApplicationError(msg, field_errors={"categories": msg})
    membership = CategoryMembership.objects.create(
        child=child, category=category, start_date=start_date, reason=reason, sub_category=sub_category
    )
    audit_record(actor=by, action="membership.started", target=membership, detail={"category": category})
    _refresh_check_schedule(child, category)
    return membership


@transaction.atomic
def child_update_with_categories(*, by, child: Child, categories: list[str] | None = None, **fields) -> Child:
    """`child_update` and the categories to add, in one transaction (the API's PATCH). Categories
    are only added here: ending one needs its reason, given on the child's page."""
    if fields:
        child = child_update(by=by, child=child, **fields)
    if categories is None:
        return child
    require(by, Action.EDIT)
    require_record_in_scope(by, child, region=child.region)
    today = timezone.localdate()
    current = set(CategoryMembership.objects.filter(child=child).open_on(today).values_list("category", flat=True))
    if current - set(categories):
        msg = _("End a category membership with its reason on the child's page; it cannot be removed here.")
        raise ApplicationError(msg, field_errors={"categories": msg})
    for category in categories:
        if category not in current:
            membership_start(by=by, child=child, category=category, start_date=today)
    return child


@transaction.atomic
def membership_end(*, by, membership: CategoryMembership, end_date: datetime.date, end_reason: str) -> CategoryMembership:
    require(by, Action.EDIT)
    require_record_in_scope(by, membership.child, region=membership.child.region)
    errors = membership_end_errors(start_date=membership.start_date, end_date=end_date, end_reason=end_reason)
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    membership.end_date, membership.end_reason = end_date, end_reason.strip()
    membership.save(update_fields=["end_date", "end_reason"])
    audit_record(actor=by, action="membership.ended", target=membership)
    _refresh_check_schedule(membership.child, membership.category)
    return membership


@transaction.atomic
def membership_update(*, by, membership: CategoryMembership, sub_category: str, reason: str) -> CategoryMembership:
    """Correct the sub-category and the reason of a membership. Its category and dates do not
    change: a membership is ended (`membership_end`) and another started instead."""
    require(by, Action.EDIT)
    require_record_in_scope(by, membership.child, region=membership.child.region)
    changed = sorted(
        name for name, value in (("sub_category", sub_category), ("reason", reason)) if getattr(membership, name) != value
    )
    if not changed:
        return membership
    membership.sub_category, membership.reason = sub_category, reason
    membership.save(update_fields=changed)
    audit_record(actor=by, action="membership.updated", target=membership, detail={"fields": changed})
    return membership


@transaction.atomic
def form_submission_once(*, by, token: str, kind: str, create) -> tuple[int, bool]:
    """Run `create()` (which returns a saved model) once per form token. A second submit of the
    same form answers the id the first one created and `False`, and creates nothing. When
    `create()` fails the token is not used up (everything rolls back), so the form can be fixed
    and sent again."""
    from cases.children.models import FormSubmission

    token = (token or "").strip()
    if not token or len(token) > 64:
        raise ApplicationError(_("This form has expired: reload the page and fill it in again."))
    try:
        with transaction.atomic():
            submission = FormSubmission.objects.create(token=token, user=by, kind=kind)
    except IntegrityError:
        # The first submit committed (a concurrent one blocks on the unique index until it does).
        existing = FormSubmission.objects.filter(token=token, user=by, kind=kind).first()
        if existing is None or existing.object_id is None:
            raise ApplicationError(_("This form was already submitted.")) from None
        return existing.object_id, False
    obj = create()
    submission.object_id = obj.pk
    submission.save(update_fields=["object_id"])
    return obj.pk, True


@transaction.atomic
def child_register_with_guardians(*, by, child: dict, guardians: list[dict]) -> Child:
    """Register a child and their guardians in one go (the long registration page). Errors of
    the n-th guardian come back under `guardians-<n>-<field>`."""
    registered = child_register(by=by, **child)
    for index, guardian in enumerate(guardians):
        try:
            guardian_add(by=by, child=registered, **guardian)
        except ApplicationError as exc:
            errors = {f"guardians-{index}-{field}": message for field, message in exc.field_errors.items()}
            raise ApplicationError(exc.message, field_errors=errors) from None
    return registered


@transaction.atomic
def draft_save(*, by, kind: str, data: dict, title: str = "", draft_id: int | None = None):
    """Keep a half-filled form for its author (create, or update their own draft)."""
    from cases.children.models import Draft

    if kind not in Draft.Kind.values:
        raise ApplicationError(_("Unknown kind of draft."))
    draft = Draft.objects.filter(id=draft_id, user=by).first() if draft_id else None
    if draft is None:
        draft = Draft(user=by, kind=kind)
    draft.title, draft.data = (title or "").strip()[:100], data
    draft.save()
    return draft


@transaction.atomic
def draft_delete(*, by, draft_id: int) -> bool:
    """Delete one of the user's own drafts; False (nothing deleted) for anyone else's."""
    from cases.children.models import Draft

    deleted, _per_model = Draft.objects.filter(id=draft_id, user=by).delete()
    return deleted > 0


@transaction.atomic
def child_review(*, by, child: Child, approve: bool, comment: str = "") -> Child:
    """A supervisor (or the county) approves a new or changed child, or returns it to the child
    director with a comment saying what to correct. Correcting it (child_update) puts it back
    in the review queue."""
    from welfare.errors import PermissionDeniedError
    from welfare.roles import can

    if not (can(by, Action.REVIEW) or can(by, Action.APPROVE)):
        raise PermissionDeniedError(_("Your role is not allowed to do this."))
    require_in_scope(by, child.region)
    child = Child.objects.select_for_update().get(pk=child.pk)
    if child.review_status != Child.ReviewStatus.PENDING:
        msg = _("This child has already been reviewed.")
        raise ApplicationError(msg, field_errors={"decision": msg})
    comment = (comment or "").strip()
    if not approve and not comment:
        msg = _("Say what the child director must correct.")
        raise ApplicationError(msg, field_errors={"comment": msg})
    if len(comment) > 500:
        msg = _("Keep the comment under 500 characters.")
        raise ApplicationError(msg, field_errors={"comment": msg})
    child.review_status = Child.ReviewStatus.APPROVED if approve else Child.ReviewStatus.RETURNED
    child.review_comment = comment
    child._history_user = by  # type: ignore[attr-defined]  # simple-history: who reviewed, also outside a request
    child.save(update_fields=["review_status", "review_comment", "updated_at"])
    audit_record(actor=by, action="child.approved" if approve else "child.returned", target=child)
    return child
