"""The daily job of inspections (Celery beat, `findings_flag_past_deadline_task`): every finding
not rectified whose deadline has passed is told to the inspected institution's staff and to the
officials of the inspecting level over the institution (the county, or the city, that inspected)
— once per finding: each notification's key names the finding and its deadline, so running the
job again the same day (or the next) adds nothing.

Set-wise, like cases/protection/notifications.py: one count and one INSERT … SELECT (the
findings, their recipients and the texts joined in the database, ON CONFLICT DO NOTHING on the
key), whatever the number of findings."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.inspections.models import Finding
from welfare.audit import audit_record
from welfare.models import Region, User
from welfare.notifications import in_each_language, notifications_insert
from welfare.roles import Role

KIND = "finding_past_deadline"
LEVEL_ROLE = {"county": Role.COUNTY_OFFICIAL, "city": Role.CITY_OFFICIAL, "province": Role.PROVINCE_OFFICIAL}


@dataclass
class FindingFlags:
    findings: int = 0
    notifications: int = 0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _text(expression) -> Cast:
    return Cast(expression, output_field=CharField())


def findings_flag_past_deadline(*, today: datetime.date | None = None) -> FindingFlags:
    """Tell the institution and the inspecting level of every finding past its deadline (two
    statements whatever the number of findings)."""
    today = today or timezone.localdate()
    now = timezone.now()
    late = Finding.objects.filter(fixed_on__isnull=True, fix_by__lt=today)
    result = FindingFlags(findings=late.count())
    if not result.findings:
        return result
    level = Coalesce(NullIf(F("inspection__level"), Value("")), Value("county"))
    items = late.annotate(
        n_key=Concat(_text("pk"), Value(":"), _text("fix_by")),
        n_body=Concat(F("inspection__institution__name"), Value(" · "), _text("fix_by"), Value(" · "), _text("text")),
        n_link=Concat(Value("/institutions/"), _text("inspection__institution_id"), Value("/")),
        n_institution=F("inspection__institution_id"),
        n_level=level,
        n_path=F("inspection__institution__region__path"),
    ).values("n_key", "n_body", "n_link", "n_institution", "n_level", "n_path")
    role = "CASE i.n_level WHEN 'city' THEN %s WHEN 'province' THEN %s ELSE %s END"
    user, region = User._meta.db_table, Region._meta.db_table
    result.notifications = notifications_insert(
        items=items,
        recipients=[
            (f"JOIN {user} u ON u.institution_id = i.n_institution WHERE u.role = %s AND u.is_active", [Role.INSTITUTION_STAFF]),
            (
                f"JOIN {user} u ON u.role = {role} JOIN {region} ur ON ur.id = u.region_id "
                "WHERE u.is_active AND ur.level = i.n_level AND i.n_path LIKE ur.path || '%%'",
                [LEVEL_ROLE["city"], LEVEL_ROLE["province"], LEVEL_ROLE["county"]],
            ),
        ],
        kind=KIND,
        titles=in_each_language(lambda: _("Inspection finding past its rectification deadline")),
        key_prefix="findings:",
        now=now,
        body="SUBSTR(i.n_body, 1, 500)",
    )
    if result.notifications:
        audit_record(
            actor=None,
            action="findings.notifications_sent",
            record_count=result.notifications,
            detail={"date": today.isoformat()},
        )
    return result
