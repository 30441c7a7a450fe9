"""The demo looks like a county's real year: a year of approved payout runs with a raise in it,
a rural village director with work on the first screen, Chinese names family name first, no 404
on any page load, and a demo that starts without a warning."""

import datetime
import re
import warnings
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from benefits.payouts.models import Payout, PayoutRun
from benefits.standards.models import WelfareStandard
from cases.children.models import Child
from demo.seed import CITY, COUNTY, DIRECTOR_VILLAGE, PAYOUT_MONTHS, RAISE_MONTHS_AGO, demo_seed
from welfare.models import Region, User
from welfare.months import add_months, month_start
from welfare.names import person_full_name

pytestmark = pytest.mark.django_db


def test_it_runs_and_approves_a_year_of_payouts_with_one_raise_and_twice_changes_nothing():
    demo_seed()
    this_month = month_start(timezone.localdate())
    months = [add_months(this_month, -back) for back in range(PAYOUT_MONTHS, 0, -1)]
    runs = PayoutRun.objects.filter(region__code=COUNTY[0]).order_by("month")
    assert [r.month for r in runs] == months
    assert all(r.status == PayoutRun.Status.APPROVED and r.total_amount > 0 for r in runs)
    assert PayoutRun.objects.filter(status=PayoutRun.Status.APPROVED).count() == 2 * PAYOUT_MONTHS
    raised_from = add_months(this_month, -RAISE_MONTHS_AGO)
    raise_ = WelfareStandard.objects.get(region__code=CITY[0], category="orphan_scattered", effective_from=raised_from)
    assert raise_.monthly_amount == Decimal("1680.00")  # 1600 (2021) + 5 %
    before = Payout.objects.filter(category="orphan_scattered", month=add_months(raised_from, -1)).values_list("amount", flat=True)
    after = Payout.objects.filter(category="orphan_scattered", month=raised_from).values_list("amount", flat=True)
    assert set(before) == {Decimal("1600.00")} and set(after) == {Decimal("1680.00")}

    counts = (PayoutRun.objects.count(), Payout.objects.count(), WelfareStandard.objects.count(), Child.objects.count())
    demo_seed()
    assert (PayoutRun.objects.count(), Payout.objects.count(), WelfareStandard.objects.count(), Child.objects.count()) == counts


def test_the_village_director_works_in_a_rural_village_with_overdue_and_due_soon_children(client):
    demo_seed()
    director = User.objects.get(username="village_director")
    assert director.region.code == DIRECTOR_VILLAGE and director.region.level == Region.Level.VILLAGE
    assert director.region.parent.name.endswith("镇")  # a town, not a street office
    states = list(Child.objects.filter(region=director.region).exclude(check_state=None).values_list("check_state", flat=True))
    assert states.count("overdue") >= 2 and states.count("due_soon") >= 2
    client.force_login(director)
    page = client.get("/cases/checks/?state=overdue")
    overdue = Child.objects.filter(region=director.region, check_state="overdue").first()
    assert page.status_code == 200 and overdue.name in page.content.decode()
    assert User.objects.get(username="township_supervisor").region == director.region.parent


def test_chinese_names_are_family_name_first_with_no_space_everywhere(client):
    demo_seed()
    director = User.objects.get(username="village_director")
    assert director.get_full_name() == "孙丽娟" and director.get_short_name() == "孙丽娟"
    assert str(director).startswith("孙丽娟")
    assert person_full_name(family="Schmidt", given="Anna") == "Anna Schmidt"
    client.force_login(director)
    home = client.get("/").content.decode()
    assert "孙丽娟" in home and "丽娟 孙" not in home
    client.force_login(User.objects.get(username="admin"))
    admin_page = client.get("/admin/welfare/user/").content.decode()
    assert "孙丽娟" in admin_page and "丽娟 孙" not in admin_page


STATIC_REF = re.compile(r"""(?:href|src)="(/(?:static/[^"?#]+|favicon\.ico))""")


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        ("village_director", ["/", "/cases/children/", "/cases/checks/", "/cases/worklist/"]),
        ("township_supervisor", ["/", "/cases/checks/overdue/", "/cases/review/"]),
        ("county_official", ["/", "/cases/dashboard/", "/benefits/runs/", "/benefits/standards/", "/admin/"]),
        ("admin", ["/", "/admin/", "/admin/welfare/user/"]),
    ],
)
def test_no_page_load_asks_for_a_file_that_is_not_there(client, username, paths):
    demo_seed()
    client.force_login(User.objects.get(username=username))
    assets = {"/favicon.ico"}
    for path in paths:
        page = client.get(path)
        assert page.status_code == 200, path
        found = set(STATIC_REF.findall(page.content.decode()))
        assert "/favicon.ico" in found or path.startswith("/admin/"), path
        assets |= found
    for asset in sorted(assets):
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()


def test_the_demo_command_starts_without_a_warning(tmp_path, settings, capsys):
    from whitenoise.middleware import WhiteNoiseMiddleware

    settings.STATIC_ROOT = tmp_path / "staticfiles"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call_command("demo", "--no-serve")
        WhiteNoiseMiddleware(get_response=lambda request: None)
    assert not [w for w in caught if "No directory" in str(w.message)]
    out = capsys.readouterr()
    assert "warning" not in (out.out + out.err).lower()
    assert (tmp_path / "staticfiles" / "css" / "app.css").exists()
    assert datetime.date.today().year > 2000  # the command ran to its end
