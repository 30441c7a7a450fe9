"""Institutions at work in a real headless Chromium at 390 px (issue 16): a carer of a children's
home admits an abandoned infant without an identity number and adds a care record; a county
official records an unannounced inspection with a finding; the home records the rectification;
the official sees it rectified. Screenshots at 390 px and 1280 px go to
test-artifacts/screenshots/; no page of the institutions is wider than the phone."""

import datetime
import re

import pytest

from institutions.models import CareRecord, Finding, Institution, Placement
from tests.e2e.test_director_flow import assert_light
from tests.factories import InstitutionFactory, UserFactory
from welfare.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_it_admits_a_child_inspects_the_home_and_rectifies_the_finding_in_a_real_browser(open_session, regions, county_official):
    home = InstitutionFactory(name="南村儿童之家", kind=Institution.Kind.CHILDRENS_HOME, region=regions.village_c, capacity=30)
    UserFactory(username="carer", role=Role.INSTITUTION_STAFF, region=None, institution=home, last_name="周", first_name="美玲")
    today = datetime.date.today()

    # The carer's home page leads to the institution's page.
    carer = open_session()
    page = carer.login("carer")
    carer.shoot("inst-01-home-carer")
    page.locator("main .tiles a[data-key=my_institution]").click()
    page.wait_for_url(re.compile(rf"/institutions/{home.id}/$"))
    assert_light(carer)
    carer.shoot("inst-02-institution-empty")

    # Admit an abandoned infant without an identity number.
    page.locator(f"main a[href='/institutions/{home.id}/admit/']").click()
    page.wait_for_url(re.compile(r"/admit/$"))
    page.check("input[name=child_kind][value=new]")
    page.fill("#id_name", "党福安")
    page.select_option("#id_sex", "M")
    page.fill("#id_birth_date", (today - datetime.timedelta(days=70)).isoformat())
    page.fill("#id_region", regions.village_c.code)
    page.fill("#id_found_at", "南村卫生室门口")
    page.fill("#id_police_report_number", "枣公立字〔2026〕17号")
    page.select_option("#id_admission_reason", "abandoned")
    carer.shoot("inst-03-admit-filled")
    page.locator("button[name=admit]").click()
    page.wait_for_url(re.compile(rf"/institutions/{home.id}/$"))
    placement = Placement.objects.get(institution=home, left_on__isnull=True)
    assert placement.child.name == "党福安" and placement.child.id_number is None
    assert "党福安" in page.locator("main").inner_text()
    carer.shoot("inst-04-institution-admitted")

    # Add a care record; the child's page shows it on the timeline.
    page.locator(f"main a[href='/institutions/placements/{placement.id}/care/']").click()
    page.wait_for_url(re.compile(r"/care/$"))
    page.select_option("#id_domain", "health")
    page.fill("#id_text", "入院体检：体重 4.2 公斤，营养中度不良。")
    carer.shoot("inst-05-care-record")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/children/{placement.child_id}/"))
    assert CareRecord.objects.get(child=placement.child).domain == "health"
    assert "入院体检" in page.locator("#care").inner_text()
    carer.shoot("inst-06-child-care-timeline", strict=False)  # the child's page belongs to the children's pages

    # The county official records an unannounced inspection with a finding.
    county = open_session()
    page = county.login("county")
    page = county.goto("/institutions/")
    county.shoot("inst-07-institutions-county")
    page.locator(f"main a[href='/institutions/{home.id}/']").first.click()
    page.wait_for_url(re.compile(rf"/institutions/{home.id}/$"))
    page.locator(f"main a[href='/institutions/{home.id}/inspections/new/']").click()
    page.wait_for_url(re.compile(r"/inspections/new/$"))
    page.check("input[name=unannounced][value='1']")
    page.fill("#id_inspectors", "赵检查、钱检查")
    page.fill("#id_summary", "夜间暗访，查看值班和消防。")
    page.fill("#id_findings-0-text", "二楼消防通道堆放杂物")
    page.select_option("#id_findings-0-severity", "high")
    page.fill("#id_findings-0-fix_by", (today + datetime.timedelta(days=14)).isoformat())
    county.shoot("inst-08-inspection-filled")
    page.locator("main form button[type=submit]:not([name])").click()
    page.wait_for_url(re.compile(rf"/institutions/{home.id}/$"))
    finding = Finding.objects.get(inspection__institution=home)
    assert finding.inspection.unannounced and finding.fixed_on is None
    county.shoot("inst-09-institution-finding-open")

    # The home records the rectification.
    page = carer.goto(f"/institutions/{home.id}/")
    page.locator(f"main a[href='/institutions/findings/{finding.id}/rectify/']").click()
    page.wait_for_url(re.compile(r"/rectify/$"))
    page.fill("#id_fix_note", "已清理杂物，安排专人每日巡查。")
    carer.shoot("inst-10-rectify")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/institutions/{home.id}/$"))
    finding.refresh_from_db()
    assert finding.fixed_on == today

    # The county official sees it rectified.
    page = county.goto(f"/institutions/{home.id}/")
    assert "已清理杂物" in page.locator("#inspections-h + ol").inner_text()
    county.shoot("inst-11-institution-rectified")
