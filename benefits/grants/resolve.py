"""Which grant standard applies (a pure read, used by the services and by the budget projection).

The most specific region on the path (county → city → province) with a version in force on the
school year's first day (1 September) wins, as for allowance standards
(benefits/standards/resolve.py); with none on the path, the national amount and frequency of the
settings (GRANT_NATIONAL_AMOUNT, GRANT_DEFAULT_FREQUENCY) apply. The highest age is the version's
own, or settings.GRANT_MAX_AGE.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from benefits.grants.models import INSTALMENTS, GrantKind, GrantStandard
from benefits.grants.schedule import school_year_first_day
from benefits.standards.resolve import path_codes


@dataclass(frozen=True)
class ResolvedGrant:
    annual_amount: Decimal
    frequency: str
    instalments: int
    max_age: int
    standard: GrantStandard | None  # None: the national amount of the settings


def national_grant() -> ResolvedGrant:
    frequency = settings.GRANT_DEFAULT_FREQUENCY
    return ResolvedGrant(
        annual_amount=Decimal(settings.GRANT_NATIONAL_AMOUNT).quantize(Decimal("0.01")),
        frequency=frequency,
        instalments=INSTALMENTS[frequency],
        max_age=settings.GRANT_MAX_AGE,
        standard=None,
    )


def grant_standard_on(*, path: str, on: datetime.date, kind: str = GrantKind.ORPHAN_EDUCATION) -> ResolvedGrant:
    """The grant standard in force on a date for a region path (one query)."""
    codes = path_codes(path)
    latest: dict[str, GrantStandard] = {}
    rows = (
        GrantStandard.objects.filter(region__code__in=codes, kind=kind, effective_from__lte=on)
        .select_related("region")
        .order_by("effective_from", "id")
    )
    for s in rows:  # later versions overwrite earlier ones
        latest[s.region.code] = s
    for code in reversed(codes):
        found = latest.get(code)
        if found is not None:
            return ResolvedGrant(
                annual_amount=found.annual_amount,
                frequency=found.frequency,
                instalments=INSTALMENTS[found.frequency],
                max_age=found.max_age or settings.GRANT_MAX_AGE,
                standard=found,
            )
    return national_grant()


def grant_standard_resolve(*, region, school_year: str, kind: str = GrantKind.ORPHAN_EDUCATION) -> ResolvedGrant:
    """The standard of a school year for a student of `region` (their household registration)."""
    return grant_standard_on(path=region.path, on=school_year_first_day(school_year), kind=kind)
