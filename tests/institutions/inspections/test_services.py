"""Inspections, findings and their rectification, safety meetings, the past-deadline job."""

import datetime

import pytest

from institutions.figures import institution_figures, region_institution_figures
from institutions.inspections.notifications import findings_flag_past_deadline
from institutions.inspections.selectors import findings_past_deadline, quarters_without_meeting
from institutions.inspections.services import (
    FindingInput,
    InspectionInput,
    finding_rectify,
    inspection_record,
    safety_meeting_record,
)
from institutions.models import Finding, Inspection, SafetyMeeting
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 5, 20, 10, 0), tick=False)


D = datetime.date


def _inspect(by, institution, *findings, on=None):
    return inspection_record(
        by=by,
        data=InspectionInput(
            institution=institution,
            inspected_on=on or D(2026, 4, 1),
            unannounced=True,
            inspectors="王科长、李干事",
            findings=tuple(findings),
        ),
    )


def test_it_records_an_unannounced_inspection_with_its_findings(county_official, home):
    inspection = _inspect(
        county_official,
        home,
        FindingInput("消防通道堆放杂物", "high", D(2026, 4, 15)),
        FindingInput("夜间值班记录缺页", "low", D(2026, 6, 1)),
    )
    assert (inspection.unannounced, inspection.level, inspection.inspected_by) == (True, "county", county_official)
    assert list(inspection.findings.order_by("id").values_list("severity", flat=True)) == ["high", "low"]


def test_the_city_inspects_institutions_beneath_it(city_official, home, other_home):
    assert _inspect(city_official, other_home).level == "city"


def test_it_refuses_an_inspection_of_an_institution_outside_ones_scope(
    outsider, carer, province_official, village_director, home
):
    for user in (outsider, carer, province_official, village_director):
        with pytest.raises(PermissionDeniedError):
            _inspect(user, home, FindingInput("x", "low", D(2026, 5, 1)))
    assert not Inspection.objects.exists() and not Finding.objects.exists()


def test_it_refuses_a_finding_without_a_deadline_or_due_before_the_inspection(county_official, home):
    with pytest.raises(ApplicationError) as exc:
        _inspect(
            county_official, home, FindingInput("ok", "low", D(2026, 5, 1)), FindingInput("late", "low", D(2026, 3, 1))
        )
    assert "2" in exc.value.field_errors["findings"]
    assert not Inspection.objects.exists()


def test_the_institution_rectifies_a_finding_once_and_not_before_the_inspection(
    county_official, carer, other_carer, home
):
    finding = _inspect(county_official, home, FindingInput("消防通道堆放杂物", "high", D(2026, 4, 15))).findings.get()
    with pytest.raises(ApplicationError) as exc:
        finding_rectify(by=carer, finding=finding, fixed_on=D(2026, 3, 30), fix_note="已清理")
    assert "fixed_on" in exc.value.field_errors
    with pytest.raises(PermissionDeniedError):
        finding_rectify(by=other_carer, finding=finding, fixed_on=D(2026, 4, 10), fix_note="已清理")
    finding.refresh_from_db()
    assert finding.fixed_on is None
    finding_rectify(by=carer, finding=finding, fixed_on=D(2026, 4, 10), fix_note="已清理")
    finding.refresh_from_db()
    assert (finding.fixed_on, finding.fix_note, finding.fixed_by) == (D(2026, 4, 10), "已清理", carer)
    with pytest.raises(ApplicationError):
        finding_rectify(by=county_official, finding=finding, fixed_on=D(2026, 4, 11), fix_note="again")


def test_it_lists_findings_past_deadline_for_the_institution_and_the_county_only(
    county_official, outsider, carer, other_carer, home
):
    _inspect(
        county_official,
        home,
        FindingInput("late", "high", D(2026, 4, 15)),
        FindingInput("not yet", "low", D(2026, 6, 1)),
    )
    assert [f.text for f in findings_past_deadline(user=carer)] == ["late"]
    assert [f.text for f in findings_past_deadline(user=county_official)] == ["late"]
    assert not findings_past_deadline(user=outsider).exists() and not findings_past_deadline(user=other_carer).exists()


def test_the_daily_job_tells_the_institution_and_the_inspecting_county_once(
    county_official, outsider, carer, other_carer, city_official, home
):
    _inspect(
        county_official,
        home,
        FindingInput("late", "high", D(2026, 4, 15)),
        FindingInput("not yet", "low", D(2026, 6, 1)),
    )
    first = findings_flag_past_deadline(today=D(2026, 5, 20))
    assert (first.findings, first.notifications) == (1, 2)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"carer", "county"}
    again = findings_flag_past_deadline(today=D(2026, 5, 21))
    assert again.notifications == 0 and Notification.objects.count() == 2


def test_it_records_safety_meetings_and_flags_quarters_without_one(carer, other_carer, home):
    safety_meeting_record(
        by=carer, institution=home, held_on=D(2026, 2, 10), attendees="全体职工 25 人", topics="消防演练"
    )
    with pytest.raises(PermissionDeniedError):
        safety_meeting_record(by=other_carer, institution=home, held_on=D(2026, 2, 11), attendees="x", topics="y")
    with pytest.raises(ApplicationError) as exc:
        safety_meeting_record(by=carer, institution=home, held_on=D(2026, 5, 10), attendees="", topics="")
    assert set(exc.value.field_errors) == {"attendees", "topics"}
    assert SafetyMeeting.objects.count() == 1
    assert quarters_without_meeting(institution=home) == ["2025-Q2", "2025-Q3", "2025-Q4"]


def test_it_counts_the_figures_of_an_institution_and_a_region(county_official, carer, home, other_home):
    _inspect(
        county_official,
        home,
        FindingInput("late", "high", D(2026, 4, 15)),
        FindingInput("not yet", "low", D(2026, 6, 1)),
    )
    safety_meeting_record(by=carer, institution=home, held_on=D(2026, 4, 10), attendees="x", topics="y")
    figures = institution_figures(institution=home)
    assert (figures.open_findings, figures.findings_past_deadline, figures.inspections_this_year) == (2, 1, 1)
    assert figures.safety_meeting_this_quarter and figures.last_safety_meeting == D(2026, 4, 10)
    region = region_institution_figures(user=county_official)
    assert (region["institutions"], region["findings_past_deadline"], region["inspections_this_year"]) == (1, 1, 1)
    assert region["safety_meetings"][-1] == {"quarter": "2026-Q2", "institutions": 1, "covered": 1}
