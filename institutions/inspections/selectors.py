"""Scoped reads of inspections, findings and safety meetings (welfare/scoping.py): the
institutions in an official's region; for institution staff, their own institution's
(institutions/scoping.py)."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from institutions.inspections.models import Finding, Inspection, SafetyMeeting
from welfare.scoping import scope_queryset


def inspection_list(*, user) -> QuerySet[Inspection]:
    return scope_queryset(Inspection.objects.all(), user, region_field="institution__region")


def finding_list(*, user) -> QuerySet[Finding]:
    return scope_queryset(Finding.objects.all(), user, region_field="inspection__institution__region")


def findings_past_deadline(*, user, today: datetime.date | None = None) -> QuerySet[Finding]:
    """Findings not rectified whose deadline has passed, oldest deadline first."""
    today = today or timezone.localdate()
    return (
        finding_list(user=user)
        .filter(fixed_on__isnull=True, fix_by__lt=today)
        .select_related("inspection__institution")
        .order_by("fix_by", "id")
    )


def safety_meeting_list(*, user) -> QuerySet[SafetyMeeting]:
    return scope_queryset(SafetyMeeting.objects.all(), user, region_field="institution__region")


def quarter_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the quarter `day` lies in."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    first = datetime.date(day.year, first_month, 1)
    last = (datetime.date(day.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1)) - datetime.timedelta(
        days=1
    )
    return first, last


def quarter_label(day: datetime.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def past_quarters(*, today: datetime.date, count: int = 4) -> list[tuple[datetime.date, datetime.date]]:
    """The `count` complete quarters before today's, oldest first."""
    out = []
    first, _last = quarter_of(today)
    for _i in range(count):
        end = first - datetime.timedelta(days=1)
        first, _unused = quarter_of(end)
        out.append((first, end))
    return out[::-1]


def quarters_without_meeting(*, institution, today: datetime.date | None = None, count: int = 4) -> list[str]:
    """The complete quarters among the last `count` in which the institution held no safety
    meeting, as `YYYY-Qn`, oldest first. One query."""
    today = today or timezone.localdate()
    quarters = past_quarters(today=today, count=count)
    held = set(
        SafetyMeeting.objects.filter(
            institution=institution, held_on__gte=quarters[0][0], held_on__lte=quarters[-1][1]
        ).values_list("held_on", flat=True)
    )
    return [quarter_label(first) for first, last in quarters if not any(first <= d <= last for d in held)]
