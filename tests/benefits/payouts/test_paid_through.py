"""The run's INSERT reads `benefits_enrollment.paid_through` (kept by PostgreSQL triggers, see
benefits/payouts/schema.py) instead of joining the child: it must select exactly the enrollments of the
ORM rule (`_active_enrollments`) whoever wrote the rows and however they changed since."""

import datetime

import pytest
from django.db import connection

from benefits.payouts.services import _active_enrollments, payout_run_compute, payout_run_start
from cases.children.models import Child
from tests.benefits.helpers import enrolled_child, std
from welfare.months import eighteen_cutoff

D = datetime.date
pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the column and its triggers are PostgreSQL's")
MONTHS = [D(2024, m, 1) for m in range(11, 13)] + [D(2025, m, 1) for m in range(1, 9)]


def paid_through(enrollment) -> datetime.date | None:
    with connection.cursor() as cur:
        cur.execute("SELECT paid_through FROM benefits_enrollment WHERE id = %s", [enrollment.id])
        return cur.fetchone()[0]


def sql_rule(county, month) -> set[int]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id FROM benefits_enrollment WHERE county_id = %s AND start_month <= %s AND paid_through >= %s",
            [county.id, month, month],
        )
        return {row[0] for row in cur.fetchall()}


def orm_rule(county, month) -> set[int]:
    params = {"county": county.id, "month": month, "cutoff": eighteen_cutoff(month)}
    return set(_active_enrollments(params).values_list("id", flat=True))


def assert_rules_agree(county) -> None:
    for month in MONTHS:
        assert sql_rule(county, month) == orm_rule(county, month), month


@pytest.fixture
def edge_cases(regions):
    r = regions
    cases = {
        "turns 18 on 31 May": enrolled_child(r.village, r.county, birth=D(2007, 5, 31)),
        "turns 18 on 1 June": enrolled_child(r.village, r.county, birth=D(2007, 6, 1)),
        "leap day": enrolled_child(r.village, r.county, birth=D(2007, 2, 28)),
        "young": enrolled_child(r.village, r.county, birth=D(2015, 1, 1)),
        "dies on the 1st": enrolled_child(r.village, r.county, died_on=D(2025, 3, 1)),
        "dies on the 31st": enrolled_child(r.village, r.county, died_on=D(2025, 3, 31)),
        "ends in April": enrolled_child(r.village, r.county),
        "starts in June": enrolled_child(r.village, r.county, start="2025-06-01"),
        "turns 18 and ends later": enrolled_child(r.village, r.county, birth=D(2007, 2, 10)),
    }
    _c, e = cases["ends in April"]
    e.end_month, e.end_reason, e.status = D(2025, 4, 1), "ineligible", "ended"
    e.save()
    _c, e = cases["turns 18 and ends later"]
    e.end_month, e.end_reason, e.status = D(2025, 7, 1), "ineligible", "ended"
    e.save()
    return cases


def test_paid_through_is_the_last_month_of_the_rule(edge_cases):
    assert paid_through(edge_cases["turns 18 on 31 May"][1]) == D(2025, 5, 1)
    assert paid_through(edge_cases["turns 18 on 1 June"][1]) == D(2025, 6, 1)
    assert paid_through(edge_cases["dies on the 1st"][1]) == D(2025, 3, 1)
    assert paid_through(edge_cases["dies on the 31st"][1]) == D(2025, 3, 1)
    assert paid_through(edge_cases["ends in April"][1]) == D(2025, 4, 1)
    assert paid_through(edge_cases["turns 18 and ends later"][1]) == D(2025, 2, 1)
    assert paid_through(edge_cases["young"][1]) == D(2033, 1, 1)


def test_the_sql_rule_selects_what_the_orm_rule_selects(edge_cases, regions):
    assert_rules_agree(regions.county)


def test_a_death_recorded_later_in_any_way_stops_payment(edge_cases, regions):
    young, _e = edge_cases["young"]
    young.died_on = D(2025, 1, 20)
    young.save()  # a model save
    leap, _e = edge_cases["leap day"]
    Child.objects.filter(id=leap.id).update(died_on=D(2024, 12, 5))  # a set-wise update
    with connection.cursor() as cur:  # raw SQL
        cur.execute("UPDATE cases_child SET died_on = %s WHERE id = %s", [D(2025, 2, 2), edge_cases["starts in June"][0].id])
    assert paid_through(edge_cases["young"][1]) == D(2025, 1, 1)
    assert paid_through(edge_cases["leap day"][1]) == D(2024, 12, 1)
    assert_rules_agree(regions.county)


def test_a_corrected_birth_date_or_a_death_recorded_in_error_moves_the_last_month(edge_cases, regions):
    child, enrollment = edge_cases["turns 18 on 31 May"]
    Child.objects.filter(id=child.id).update(birth_date=D(2008, 5, 31))
    assert paid_through(enrollment) == D(2026, 5, 1)
    dead, enrollment = edge_cases["dies on the 1st"]
    Child.objects.filter(id=dead.id).update(died_on=None)
    assert paid_through(enrollment) == D(2033, 3, 1)  # born 14 March 2015
    assert_rules_agree(regions.county)


def test_an_enrollment_reopened_or_moved_in_time_follows(edge_cases, regions):
    _c, e = edge_cases["ends in April"]
    e.end_month, e.end_reason, e.status = None, "", "active"
    e.save()
    assert paid_through(e) == D(2033, 3, 1)  # born 14 March 2015
    _c, e = edge_cases["starts in June"]
    e.start_month = D(2024, 12, 1)
    e.save()
    assert_rules_agree(regions.county)


def test_the_run_pays_exactly_the_orm_rule(edge_cases, regions):
    std(regions.city, "orphan_scattered", 1400)
    for month in (D(2025, 3, 1), D(2025, 6, 1)):
        run, _created = payout_run_start(by=None, region=regions.county, month=month, enqueue=False)
        payout_run_compute(run_id=run.id)
        run.refresh_from_db()
        assert set(run.payouts.values_list("enrollment_id", flat=True)) == orm_rule(regions.county, month)
        assert run.payout_count == len(orm_rule(regions.county, month))
