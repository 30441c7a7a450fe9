"""Writes of placements: admitting a child into an institution, discharging them, and the care
records kept meanwhile. The only place these rules change data.

- Who: `institutions.access.may_write_institution` (the institution's staff, the county officials
  over it, administrators); anyone else is refused (403) and nothing changes.
- A child has one open placement at a time (also a database constraint); a discharge is dated on
  or after the admission, with a reason.
- An orphan or an abandoned child admitted files, through the recognition services
  (cases.applications), an application for `orphan_institution`: the county approves it as any
  other, and the enrollment and the category membership follow from that approval.
- A discharge that ends the child's institution care (adoption, return to the family, turning 18,
  death) ends the `orphan_institution` enrollment and membership through benefits.enrollments and
  cases.children; a return to the family tells the receiving county (in-app inbox); a transfer
  admits the child to the receiving institution the same day."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.children.categories import Category
from cases.children.models import CategoryMembership, Child
from institutions.access import require_write_institution
from institutions.models import Institution
from institutions.placements.models import CareRecord, Placement
from welfare.audit import audit_record
from welfare.errors import ApplicationError, field_error
from welfare.idnumber import normalize_id_number
from welfare.models import Notification, Region, User
from welfare.roles import Role

# Discharges that end the child's life in institution care, and the enrollment end reason each
# gives (benefits.enrollments.models.Enrollment.EndReason).
ENDS_INSTITUTION_CARE: dict[str, str] = {
    Placement.DischargeReason.ADOPTION: "adoption",
    Placement.DischargeReason.FAMILY_RETURN: "ineligible",
    Placement.DischargeReason.TURNED_18: "age",
    Placement.DischargeReason.DEATH: "death",
}
# Admissions after which the county is asked to recognise the child as an institution orphan.
FILES_FOR_ORPHAN_INSTITUTION = (Placement.AdmissionReason.ORPHAN, Placement.AdmissionReason.ABANDONED)
TEXT_LIMIT = 5000


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)


def _date_errors(errors: dict[str, str], field: str, value, *, today: datetime.date, missing) -> None:
    if value is None:
        errors[field] = missing
    elif value > today:
        errors[field] = _("The date cannot be in the future.")


# --------------------------------------------------------------------------------------------
# Admission
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewChildInput:
    """A child not recorded anywhere (an abandoned infant, a rescued minor without papers):
    registered by the admission, in a village beneath the institution's region."""

    name: str
    sex: str | None
    birth_date: datetime.date | None
    region: Region | None
    id_number: str = ""
    birth_date_estimated: bool = True
    confirm_duplicate: bool = False


@dataclass(frozen=True)
class AdmissionInput:
    """An admission: the child is `child` (one the admitting user may see), `child_id_number` (a
    full identity number of a child recorded anywhere) or `new_child` — exactly one of them."""

    institution: Institution | None
    placed_on: datetime.date | None
    admission_reason: str
    reason: str = ""
    child: Child | None = None
    child_id_number: str = ""
    new_child: NewChildInput | None = None
    found_at: str = ""
    police_report_number: str = ""
    case: object | None = None  # cases.protection.models.Case


def _admission_errors(data: AdmissionInput, *, today: datetime.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.institution is None:
        errors["institution"] = _("Choose the institution.")
    _date_errors(errors, "placed_on", data.placed_on, today=today, missing=_("Give the date of admission."))
    if data.admission_reason not in Placement.AdmissionReason.values:
        errors["admission_reason"] = _("Choose the reason for the admission.")
    given = [
        x for x in (data.child is not None, bool((data.child_id_number or "").strip()), data.new_child is not None) if x
    ]
    if len(given) != 1:
        errors["child"] = _("Choose the child, give their full identity number, or register a new child: one of them.")
    if len(data.reason or "") > 200:
        errors["reason"] = _("Keep the reason under 200 characters.")
    for name, limit in (("found_at", 200), ("police_report_number", 50)):
        if len(getattr(data, name) or "") > limit:
            errors[name] = _("This is too long (at most %(n)d characters).") % {"n": limit}
    new = data.new_child
    if new is not None and data.institution is not None:
        region = new.region
        if region is None or region.level != Region.Level.VILLAGE or not data.institution.region.contains(region):
            errors["region"] = _(
                "Choose the village or community where the child was found, beneath the institution's area."
            )
        if not (new.id_number or "").strip() and data.admission_reason == Placement.AdmissionReason.ABANDONED:
            if not (data.found_at or "").strip():
                errors["found_at"] = _("Say where the abandoned child was found.")
            if not (data.police_report_number or "").strip():
                errors["police_report_number"] = _("Give the number of the police report on the abandoned child.")
    return errors


def _child_by_number(number: str) -> Child:
    normalized = normalize_id_number(number)
    if len(normalized) != 18:
        raise field_error("child_id_number", _("Enter the child's full 18-character identity number."))
    child = Child.objects.with_id_number(normalized).first()
    if child is None:
        raise field_error("child_id_number", _("No child with this identity number is recorded: admit them as a new child."))
    return child


def _require_child_in_view(by, child: Child) -> None:
    from cases.children.selectors import child_visible

    if not child_visible(user=by, child_id=child.pk):
        raise field_error("child", _("This child is outside your area: name them by their full identity number."))


def _placement_create(
    *, by, child: Child, institution: Institution, placed_on: datetime.date, admission_reason: str, **fields
) -> Placement:
    """The one place a placement opens: one open placement per child (the row lock on the child
    serialises two admissions of the same child; the database constraint backs it)."""
    Child.objects.select_for_update().filter(pk=child.pk).first()
    if child.died_on is not None:
        raise field_error("child", _("This child is recorded as deceased."))
    if placed_on < child.birth_date:
        raise field_error("placed_on", _("The date of admission cannot be before the child's birth date."))
    if Placement.objects.filter(child=child, left_on__isnull=True).exists():
        raise field_error(
            "child",
            _("This child is already in care in an institution: discharge them there first (one placement at a time)."),
        )
    if Placement.objects.filter(child=child, left_on__gt=placed_on).exists():
        raise field_error(
            "placed_on", _("The child left an earlier placement after this date: admit them on or after that day.")
        )
    try:
        with transaction.atomic():
            placement = Placement.objects.create(
                child=child,
                institution=institution,
                placed_on=placed_on,
                admission_reason=admission_reason,
                admitted_by=by if getattr(by, "pk", None) else None,
                **fields,
            )
    except IntegrityError:
        raise field_error(
            "child",
            _("This child is already in care in an institution: discharge them there first (one placement at a time)."),
        ) from None
    audit_record(
        actor=by,
        action="placement.admitted",
        target=placement,
        detail={"institution": institution.pk, "reason": admission_reason},
    )
    return placement


def _file_for_orphan_institution(*, by, placement: Placement) -> None:
    """Ask the county to recognise the admitted orphan as an institution orphan (the recognition
    services decide; the enrollment follows their approval). Nothing is filed for a child who
    already receives an allowance or whose application is already waiting: the county sees them."""
    from benefits.enrollments.models import Enrollment
    from cases.applications.models import Application
    from cases.applications.services import OPEN, application_submit

    child = placement.child
    if Enrollment.objects.filter(child=child, status=Enrollment.Status.ACTIVE).exists():
        return
    if Application.objects.filter(child=child, category=Category.ORPHAN_INSTITUTION, status__in=OPEN).exists():
        return
    township = child.region.parent if child.region.level == Region.Level.VILLAGE else None
    if township is None:
        return
    application_submit(
        by=by,
        category=Category.ORPHAN_INSTITUTION,
        received_region=township,
        child=child,
        reason=_("Admitted to %(institution)s on %(date)s (%(reason)s).")
        % {
            "institution": placement.institution.name,
            "date": placement.placed_on.isoformat(),
            "reason": placement.get_admission_reason_display(),
        },
        submitted_on=timezone.localdate(),
        admission=True,
    )


@transaction.atomic
def placement_admit(*, by, data: AdmissionInput) -> Placement:
    """Admit a child into an institution (see the module's docstring)."""
    today = timezone.localdate()
    if data.institution is not None:
        require_write_institution(by, data.institution)
    errors = _admission_errors(data, today=today)
    _raise(errors)
    assert data.institution is not None and data.placed_on is not None
    case = data.case
    if data.child is not None:
        child = data.child
        _require_child_in_view(by, child)
    elif data.new_child is None:
        child = _child_by_number(data.child_id_number)
    else:
        child = None
    if case is not None:
        if data.admission_reason != Placement.AdmissionReason.TEMPORARY_GUARDIANSHIP:
            raise field_error("case", _("A protection case is named for an admission under temporary guardianship only."))
        if child is None or getattr(case, "child_id", None) != child.pk:
            raise field_error("case", _("The protection case is about another child."))
    if child is None:
        from cases.children.services import child_register

        new = data.new_child
        assert new is not None and new.region is not None
        child = child_register(
            by=by,
            name=new.name,
            region=new.region,
            id_number=(new.id_number or "").strip() or None,
            sex=new.sex,
            birth_date=new.birth_date,
            registered_on=today,
            confirm_duplicate=new.confirm_duplicate,
            admission=True,
        )
        estimated = new.birth_date_estimated and not child.id_number
    else:
        estimated = False
    placement = _placement_create(
        by=by,
        child=child,
        institution=data.institution,
        placed_on=data.placed_on,
        admission_reason=data.admission_reason,
        reason=(data.reason or "").strip(),
        found_at=(data.found_at or "").strip(),
        police_report_number=(data.police_report_number or "").strip(),
        birth_date_estimated=estimated,
        case=case,
    )
    if data.admission_reason in FILES_FOR_ORPHAN_INSTITUTION:
        _file_for_orphan_institution(by=by, placement=placement)
    return placement


# --------------------------------------------------------------------------------------------
# Discharge
# --------------------------------------------------------------------------------------------


def area_of(institution: Institution) -> Region:
    """Where an institution may transfer a child without anyone else's say: its county (or its
    own region, for a city- or province-level institution)."""
    region = institution.region
    if region.level in (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY):
        return region
    return region.ancestor_at(Region.Level.COUNTY) or region


def _county_of(region: Region | None) -> Region | None:
    if region is None or region.level in (Region.Level.PROVINCE, Region.Level.CITY):
        return None
    return region if region.level == Region.Level.COUNTY else region.ancestor_at(Region.Level.COUNTY)


def _discharge_errors(
    *, placement: Placement, left_on, discharge_reason: str, note: str, to_region, to_institution, today: datetime.date
) -> dict[str, str]:
    errors: dict[str, str] = {}
    _date_errors(errors, "left_on", left_on, today=today, missing=_("Give the date the child left."))
    if "left_on" not in errors and left_on < placement.placed_on:
        errors["left_on"] = _("The child cannot leave before the date of admission (%(date)s).") % {
            "date": placement.placed_on.isoformat()
        }
    if discharge_reason not in Placement.DischargeReason.values:
        errors["discharge_reason"] = _("Choose the reason for the discharge.")
    if discharge_reason == Placement.DischargeReason.OTHER and not (note or "").strip():
        errors["note"] = _("Say why the child leaves.")
    if len(note or "") > TEXT_LIMIT:
        errors["note"] = _("This is too long (at most %(n)d characters).") % {"n": TEXT_LIMIT}
    if discharge_reason == Placement.DischargeReason.TRANSFER:
        if to_institution is None:
            errors["transferred_to"] = _("Choose the institution the child is transferred to.")
        elif to_institution.pk == placement.institution_id:
            errors["transferred_to"] = _("Choose another institution than this one.")
        elif not area_of(placement.institution).contains(to_institution.region):
            errors["transferred_to"] = _(
                "A transfer goes to an institution of the same county (or city); further transfers are arranged by the civil-affairs bureau."
            )
    if (
        discharge_reason == Placement.DischargeReason.FAMILY_RETURN
        and to_region is not None
        and _county_of(to_region) is None
    ):
        errors["discharged_to_region"] = _("Choose the county, township or village the child returns to.")
    return errors


def _end_institution_care(*, by, placement: Placement, on: datetime.date, reason: str) -> None:
    """End the `orphan_institution` enrollment (which ends the membership) or, without one, the
    membership, through their own services."""
    from benefits.enrollments.models import Enrollment
    from benefits.enrollments.services import enrollment_end
    from cases.children.services import membership_end

    child = placement.child
    note = _("Discharged from %(institution)s: %(reason)s") % {
        "institution": placement.institution.name,
        "reason": Placement.DischargeReason(reason).label,
    }
    enrollment = Enrollment.objects.filter(
        child=child, category=Category.ORPHAN_INSTITUTION, status=Enrollment.Status.ACTIVE
    ).first()
    if enrollment is not None:
        # The discharge is the decision here (by=None: enrollment_end's internal path; the audit
        # row of the discharge names who made it).
        enrollment_end(
            by=None, enrollment=enrollment, reason=ENDS_INSTITUTION_CARE[reason], on=on, note=str(placement.institution)
        )
        return
    for membership in CategoryMembership.objects.filter(
        child=child, category=Category.ORPHAN_INSTITUTION, end_date__isnull=True
    ):
        membership_end(by=by, membership=membership, end_date=max(on, membership.start_date), end_reason=note)


def _notify(users, *, kind: str, key: str, title: str, body: str, link: str) -> int:
    """One in-app notification per user (in their language), once per key."""
    rows = []
    for user in users:
        with translation.override(user.language):
            rows.append(
                Notification(
                    recipient=user,
                    kind=kind,
                    title=_(title)[:200],
                    body=body,
                    link=link,
                    dedupe_key=f"{key}:u{user.pk}"[:120],
                )
            )
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


def _tell_receiving_county(*, placement: Placement) -> None:
    region = placement.discharged_to_region or placement.child.household_region
    county = _county_of(region)
    if county is None:
        return
    officials = User.objects.filter(role=Role.COUNTY_OFFICIAL, region=county, is_active=True)
    body = f"{placement.child.name} · {placement.institution.name} · {placement.left_on.isoformat() if placement.left_on else ''}"
    _notify(
        officials,
        kind="institution_discharge",
        key=f"placement:{placement.pk}:family_return",
        title=gettext_noop("A child returns to a family in your county"),  # translated per recipient
        body=body,
        link=f"/cases/children/{placement.child_id}/",
    )


def _tell_receiving_institution(*, placement: Placement, new: Placement) -> None:
    staff = User.objects.filter(role=Role.INSTITUTION_STAFF, institution=new.institution, is_active=True)
    _notify(
        staff,
        kind="institution_transfer",
        key=f"placement:{new.pk}:transfer_in",
        title=gettext_noop("A child is transferred to your institution"),
        body=f"{new.child.name} · {placement.institution.name} · {new.placed_on.isoformat()}",
        link=f"/cases/children/{new.child_id}/",
    )


@transaction.atomic
def placement_discharge(
    *,
    by,
    placement: Placement,
    left_on: datetime.date | None,
    discharge_reason: str,
    note: str = "",
    to_region: Region | None = None,
    to_institution: Institution | None = None,
) -> Placement:
    """Discharge a child (see the module's docstring)."""
    placement = (
        Placement.objects.select_for_update(of=("self",))
        .select_related("child__region", "institution__region")
        .get(pk=placement.pk)
    )
    require_write_institution(by, placement.institution)
    if placement.left_on is not None:
        raise field_error(
            "left_on",
            _("This child has already left the institution (%(date)s).") % {"date": placement.left_on.isoformat()},
        )
    errors = _discharge_errors(
        placement=placement,
        left_on=left_on,
        discharge_reason=discharge_reason,
        note=note,
        to_region=to_region,
        to_institution=to_institution,
        today=timezone.localdate(),
    )
    _raise(errors)
    assert left_on is not None
    if discharge_reason in ENDS_INSTITUTION_CARE:
        _end_institution_care(by=by, placement=placement, on=left_on, reason=discharge_reason)
    if discharge_reason == Placement.DischargeReason.DEATH and placement.child.died_on is None:
        Child.objects.filter(pk=placement.child_id).update(died_on=left_on)
    placement.left_on, placement.discharge_reason, placement.discharge_note = (
        left_on,
        discharge_reason,
        (note or "").strip(),
    )
    placement.discharged_by = by if getattr(by, "pk", None) else None
    if discharge_reason == Placement.DischargeReason.FAMILY_RETURN:
        placement.discharged_to_region = to_region
    if discharge_reason == Placement.DischargeReason.TRANSFER:
        placement.transferred_to = to_institution
    placement.save(
        update_fields=[
            "left_on",
            "discharge_reason",
            "discharge_note",
            "discharged_by",
            "discharged_to_region",
            "transferred_to",
        ]
    )
    audit_record(actor=by, action="placement.discharged", target=placement, detail={"reason": discharge_reason})
    if discharge_reason == Placement.DischargeReason.FAMILY_RETURN:
        _tell_receiving_county(placement=placement)
    if discharge_reason == Placement.DischargeReason.TRANSFER:
        assert to_institution is not None
        new = _placement_create(
            by=by,
            child=placement.child,
            institution=to_institution,
            placed_on=left_on,
            admission_reason=placement.admission_reason,
            reason=(_("Transferred from %(institution)s") % {"institution": placement.institution.name})[:200],
            case=placement.case,
        )
        _tell_receiving_institution(placement=placement, new=new)
    return placement


# --------------------------------------------------------------------------------------------
# Care records
# --------------------------------------------------------------------------------------------


@transaction.atomic
def care_record_add(
    *, by, placement: Placement, recorded_on: datetime.date | None, domain: str, text: str
) -> CareRecord:
    """A dated entry of a child's care (养治康教安), while the child is in care."""
    placement = Placement.objects.select_related("institution").get(pk=placement.pk)
    require_write_institution(by, placement.institution)
    errors: dict[str, str] = {}
    if placement.left_on is not None:
        errors["placement"] = _("The child has left the institution: care is recorded while the child is in care.")
    _date_errors(errors, "recorded_on", recorded_on, today=timezone.localdate(), missing=_("Give the date."))
    if "recorded_on" not in errors and recorded_on is not None and recorded_on < placement.placed_on:
        errors["recorded_on"] = _("The date cannot be before the admission (%(date)s).") % {
            "date": placement.placed_on.isoformat()
        }
    if domain not in CareRecord.Domain.values:
        errors["domain"] = _("Choose the domain of care.")
    if not (text or "").strip():
        errors["text"] = _("Write what was done or observed.")
    elif len(text) > TEXT_LIMIT:
        errors["text"] = _("This is too long (at most %(n)d characters).") % {"n": TEXT_LIMIT}
    _raise(errors)
    assert recorded_on is not None
    record = CareRecord.objects.create(
        child_id=placement.child_id,
        institution=placement.institution,
        placement=placement,
        recorded_on=recorded_on,
        domain=domain,
        text=text.strip(),
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    audit_record(actor=by, action="care_record.added", target=record, detail={"domain": domain})
    return record
