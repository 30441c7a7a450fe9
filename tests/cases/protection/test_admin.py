"""The admin of protection casework (cases/protection/admin.py): scoped by the casework
selectors, read-only but for administrators, reporters masked, case reads logged."""

import pytest
from django.urls import reverse

from cases.protection import services
from cases.protection.models import CaseReport
from welfare.models import AuditLog

pytestmark = pytest.mark.django_db


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def file_report(by, region, **kw) -> CaseReport:
    values = dict(
        source="mandatory_report", region=region, concern="neglect", description="孩子长期无人照看",
        reporter_type="school", reporter_name="王老师", reporter_phone="13812345678", child_name="张小明",
    )
    values.update(kw)
    return services.report_file(by=by, data=services.ReportInput(**values))


@pytest.fixture
def reports(regions, county_official, outsider, city_official):
    return (
        file_report(county_official, regions.village),
        file_report(outsider, regions.other_village, child_name="李小红"),
        file_report(city_official, regions.village_c, source="hotline", child_name="王小丽", reporter_name="赵阿姨"),
    )


def test_it_lists_the_countys_reports_only_with_the_reporter_masked(client, county_official, reports):
    client.force_login(staff(county_official))
    html = client.get(reverse("admin:cases_casereport_changelist")).content.decode()
    assert "张小明" in html and "王小丽" in html and "李小红" not in html
    page = client.get(reverse("admin:cases_casereport_change", args=[reports[0].pk])).content.decode()
    assert "王**" in page and "138****5678" in page
    assert "王老师" not in page and "13812345678" not in page
    history = client.get(reverse("admin:cases_casereport_history", args=[reports[0].pk])).content.decode()
    assert "王老师" not in history and "13812345678" not in history
    outside = client.get(reverse("admin:cases_casereport_change", args=[reports[1].pk]))
    assert outside.status_code == 302  # "doesn't exist": back to the admin index


def test_it_lists_the_citys_hotline_tickets_only(client, city_official, reports):
    client.force_login(staff(city_official))
    html = client.get(reverse("admin:cases_casereport_changelist")).content.decode()
    assert "王小丽" in html and "张小明" not in html and "李小红" not in html


def test_it_keeps_casework_read_only_for_a_county_official(client, county_official, reports):
    client.force_login(staff(county_official))
    report = reports[0]
    response = client.post(reverse("admin:cases_casereport_change", args=[report.pk]), {"status": "screened_out", "reason": "x"})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == "received"
    assert client.get(reverse("admin:cases_casereport_add")).status_code == 403
    assert client.get(reverse("admin:cases_casereport_delete", args=[report.pk])).status_code == 403


def test_an_administrator_may_correct_a_report_but_adds_and_deletes_none(client, admin_user, reports):
    client.force_login(admin_user)
    page = client.get(reverse("admin:cases_casereport_change", args=[reports[0].pk]))
    assert page.status_code == 200
    assert 'name="description"' in page.content.decode()
    assert 'name="reporter_name"' not in page.content.decode()
    assert client.get(reverse("admin:cases_casereport_add")).status_code == 403


def test_it_logs_a_read_of_a_case_and_shows_a_plans_measures(client, county_official, village_director, child):
    case = services.case_open(by=county_official, child=child, risk_level="high", caseworker_id=village_director.pk)
    plan = services.plan_create(
        by=village_director, case_id=case.pk,
        measures=[{"domain": "safety", "action": "安排邻居夜间照看", "responsible": "村儿童主任", "due_on": "2030-01-01"}],
    )
    client.force_login(staff(county_official))
    assert client.get(reverse("admin:cases_case_change", args=[case.pk])).status_code == 200
    assert AuditLog.objects.filter(action="case.read", actor=county_official, target_id=str(case.pk)).count() == 1
    page = client.get(reverse("admin:cases_caseplan_change", args=[plan.pk])).content.decode()
    assert "安排邻居夜间照看" in page
    for name in ("case", "assessment", "caseplan", "referral"):
        assert client.get(reverse(f"admin:cases_{name}_changelist")).status_code == 200


def test_it_shows_an_outsider_none_of_our_cases(client, county_official, outsider, child):
    case = services.case_open(by=county_official, child=child, risk_level="high")
    client.force_login(staff(outsider))
    assert "张小明" not in client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert client.get(reverse("admin:cases_case_change", args=[case.pk])).status_code == 302
    assert not AuditLog.objects.filter(action="case.read").exists()
