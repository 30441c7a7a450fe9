"""What an institution's staff may read and change, declared to the one scoping place
(welfare/scoping.py) when the app is ready.

Their scope is the institution: the children placed there (open placements; placements closed
less than `INSTITUTION_READ_AFTER_DISCHARGE_DAYS` ago, read-only), those children's guardians,
memberships and checks, and the institution's own staff, placements, trainings, inspections and
their findings, care records and safety meetings.
Protection casework: the referrals made to the institution and the cases it accepted (read).
Nothing else: no enrollment, application, payout, standard, or region record beyond their
institution's own node.
"""

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from welfare.scoping import register_institution_scope


def children_held(institution_id: int, *, write: bool):
    """Ids of the children the institution holds: in care now, or (reading) discharged recently."""
    from institutions.models import Placement

    placements = Placement.objects.filter(institution_id=institution_id)
    if write:
        placements = placements.filter(left_on__isnull=True)
    else:
        days = getattr(settings, "INSTITUTION_READ_AFTER_DISCHARGE_DAYS", 365)
        since = timezone.localdate() - datetime.timedelta(days=days)
        placements = placements.filter(Q(left_on__isnull=True) | Q(left_on__gte=since))
    return placements.values("child_id")


def _accepted_cases(institution_id: int):
    from cases.protection.models import Referral

    accepted = (Referral.Status.ACCEPTED, Referral.Status.COMPLETED)
    return Referral.objects.filter(to_institution_id=institution_id, status__in=accepted).values("case_id")


def _read_only(rule):
    """A rule that gives reading and never writing (records the institution sees but others keep)."""
    return lambda iid, *, write: Q(pk__in=[]) if write else rule(iid)


def register() -> None:
    from cases.checks.models import Check
    from cases.children.models import CategoryMembership, Child, Guardian
    from institutions.models import Inspection, Institution, Placement, Staff, Training
    from welfare.models import Region

    register_institution_scope(Child, lambda iid, *, write: Q(pk__in=children_held(iid, write=write)))
    for model in (Guardian, CategoryMembership, Check):
        register_institution_scope(model, lambda iid, *, write: Q(child_id__in=children_held(iid, write=write)))
    register_institution_scope(Institution, lambda iid, *, write: Q(pk=iid))
    register_institution_scope(Staff, lambda iid, *, write: Q(institution_id=iid))
    register_institution_scope(Placement, lambda iid, *, write: Q(institution_id=iid))
    register_institution_scope(Training, lambda iid, *, write: Q(staff__institution_id=iid))
    # The institution's own region node (forms name it), and the inspections it underwent:
    # read, never written by the institution itself.
    register_institution_scope(Region, _read_only(lambda iid: Q(institutions__id=iid)))
    register_institution_scope(Inspection, _read_only(lambda iid: Q(institution_id=iid)))
    # Institutions at work: its care records and safety meetings (written through the services,
    # which ask institutions.access), the findings of its inspections (read; it rectifies them
    # through institutions.inspections.services.finding_rectify).
    from institutions.models import CareRecord, Finding, SafetyMeeting

    register_institution_scope(CareRecord, lambda iid, *, write: Q(institution_id=iid))
    register_institution_scope(SafetyMeeting, lambda iid, *, write: Q(institution_id=iid))
    register_institution_scope(Finding, _read_only(lambda iid: Q(inspection__institution_id=iid)))
    # Protection casework: the referrals to the institution, and the cases it accepted.
    from cases.protection.models import Case, Referral

    register_institution_scope(Referral, _read_only(lambda iid: Q(to_institution_id=iid)))
    register_institution_scope(Case, _read_only(lambda iid: Q(pk__in=_accepted_cases(iid))))
