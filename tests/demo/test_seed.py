import pytest
from django.core.management import call_command

from benefits.enrollments.models import Enrollment
from benefits.standards.models import WelfareStandard
from cases.applications.models import Application
from cases.checks.models import Check
from cases.children.categories import PAID_CATEGORIES, Category
from cases.children.models import CategoryMembership, Child, Guardian
from demo.seed import DEMO_PASSWORD, demo_seed
from institutions.models import Inspection, Institution, Placement, Staff, Training
from welfare.models import Region, User
from welfare.roles import Role

pytestmark = pytest.mark.django_db

COUNTED = (
    Region,
    User,
    Child,
    Guardian,
    CategoryMembership,
    Enrollment,
    Check,
    Application,
    Institution,
    Staff,
    Training,
    Placement,
    Inspection,
    WelfareStandard,
)


def counts():
    return {m.__name__: m.objects.count() for m in COUNTED}


def test_it_seeds_a_county_and_running_it_twice_creates_nothing(capsys):
    from django.utils import translation

    with translation.override("en"):
        call_command("seed_demo")
        first = counts()
        out = capsys.readouterr().out
        call_command("seed_demo")
        assert counts() == first
        assert "nothing new" in capsys.readouterr().out
    # The printed table lets every demo user log in.
    for username in (
        "village_director",
        "township_supervisor",
        "county_official",
        "city_official",
        "province_official",
        "institution_staff",
        "admin",
    ):
        assert username in out
    assert DEMO_PASSWORD in out
    assert 280 <= first["Child"] <= 330


def test_it_gives_every_role_a_user_that_can_log_in(client):
    demo_seed()
    for role in Role.values:
        user = User.objects.get(username=role)
        assert user.role == role
        assert user.check_password(DEMO_PASSWORD)
        response = client.post("/login/", {"username": role, "password": DEMO_PASSWORD})
        assert response.status_code == 302, role
        client.logout()
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="county_official").is_staff
    assert User.objects.get(username="village_director").region.level == Region.Level.VILLAGE
    assert User.objects.get(username="institution_staff").institution.name == "枣庄市儿童福利院"


def test_it_builds_a_real_looking_county():
    demo_seed()
    check_region_tree()
    check_categories()
    check_work_items()
    check_due_dates()


def check_region_tree():
    county = Region.objects.get(code="370402")
    assert county.name == "市中区" and county.path == "370000/370400/370402/"
    townships = county.subregions.all()
    assert {"中心街道", "光明路街道", "税郭镇", "西王庄镇"} <= {t.name for t in townships}
    assert all(len(t.code) == 9 for t in townships)
    for township in townships:
        assert 3 <= township.subregions.count() <= 6
        assert all(len(v.code) == 12 and v.code.startswith(township.code) for v in township.subregions.all())
    assert Region.objects.get(code="370403").subtree().filter(level="village").count() == 2


def check_categories():
    present = set(CategoryMembership.objects.values_list("category", flat=True))
    assert present == set(Category.values)
    # Open paid memberships (the grant students' ended at 18: their records continue past it).
    paid_children = CategoryMembership.objects.filter(category__in=PAID_CATEGORIES, end_date__isnull=True).values_list(
        "child_id", flat=True
    )
    assert len(paid_children) == len(set(paid_children))
    assert Enrollment.objects.filter(status="active").count() == len(paid_children)
    assert not Enrollment.objects.exclude(start_month__day=1).exists()
    without_number = Child.objects.filter(id_number__isnull=True).count()
    assert 0.05 * Child.objects.count() <= without_number <= 0.15 * Child.objects.count()
    assert all(1 <= c.guardians.count() <= 3 for c in Child.objects.prefetch_related("guardians"))
    left_behind_parents = Guardian.objects.filter(child__memberships__category="left_behind", relation="father")
    assert (
        left_behind_parents.filter(is_migrant_worker=True).exclude(work_place="").count() == left_behind_parents.count()
    )


def check_work_items():
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    last_checks = {}
    for child_id, day in Check.objects.values_list("child_id", "checked_on"):
        last_checks[child_id] = max(day, last_checks.get(child_id, day))
    assert any(today - d > datetime.timedelta(days=92) for d in last_checks.values())
    assert any(today - d < datetime.timedelta(days=60) for d in last_checks.values())
    assert Application.objects.filter(status="submitted").exists()
    assert Application.objects.filter(status="reviewed").exists()
    villages = Region.objects.filter(level="village", path__startswith="370000/370400/370402/")
    directed = set(Staff.objects.filter(position="child_director").values_list("region_id", flat=True))
    assert 2 <= sum(1 for v in villages if v.pk not in directed) <= 3
    assert (
        Placement.objects.filter(child__memberships__category="orphan_institution", left_on__isnull=True).count() == 14
    )
    city = WelfareStandard.objects.filter(region__code="370400", effective_from="2021-01-01")
    assert city.get(category="orphan_institution").monthly_amount == 2000
    assert city.get(category="de_facto_unsupported").refers_to == "orphan_scattered"
    minimum = WelfareStandard.objects.get(region__code="370000", category="orphan_scattered", is_minimum=True)
    assert minimum.monthly_amount <= city.get(category="orphan_scattered").monthly_amount


def check_due_dates():
    left_behind = Child.objects.filter(memberships__category="left_behind", memberships__end_date__isnull=True)
    assert not left_behind.filter(next_check_due__isnull=True).exists()
    assert left_behind.filter(check_state="overdue").exists()
    assert left_behind.filter(check_state="ok").exists()


def test_it_seeds_grant_students_past_18_one_approved_one_waiting():
    from benefits.grants.models import Grant

    call_command("seed_demo")
    grants = {g.child.name: g.status for g in Grant.objects.select_related("child")}
    assert grants == {"刘雨晴": "approved", "张浩然": "submitted"}
    call_command("seed_demo")
    assert Grant.objects.count() == 2
