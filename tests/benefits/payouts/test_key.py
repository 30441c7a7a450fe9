"""The payout's key: one bigint of the month and the child (benefits.models.payout_id), the only
B-tree of the payout table. It refuses a second payment of a child in a month (whatever the
category), it is held to the row's child and month by a CHECK constraint on PostgreSQL, and the
reads by child, by month and by enrollment go through it."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from benefits.payouts import selectors
from benefits.payouts.models import PAYOUT_CHILD_BITS, Payout, PayoutRun, payout_id, payout_month_base
from benefits.payouts.services import payout_run_compute, payout_runs_start_all
from benefits.standards.models import WelfareStandard
from tests.benefits.helpers import enrolled_child, std
from welfare.errors import ApplicationError
from welfare.models import AuditLog

D = datetime.date
pg_only = pytest.mark.skipif("connection.vendor != 'postgresql'")


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2025, 6, 15, 10, 0), tick=False):
        yield


@pytest.fixture
def standards(regions):
    std(regions.city, "orphan_institution", 1760, on="2020-01-01")
    std(regions.city, "orphan_scattered", 1400, on="2020-01-01")
    return regions


def paid(run, child, enrollment, month, category="orphan_scattered", amount="1400.00") -> Payout:
    """A payout row as the run writes it (the key from the model's save)."""
    return Payout.objects.create(
        run=run, child=child, enrollment=enrollment, category=category, month=month, amount=Decimal(amount),
        standard=WelfareStandard.objects.filter(category=category).first(),
    )


def test_the_key_is_month_major_and_exact_in_javascript():
    may, june = D(2025, 5, 1), D(2025, 6, 1)
    biggest_child = (1 << PAYOUT_CHILD_BITS) - 1
    # Every key of a month is above every key of the months before it.
    assert payout_id(biggest_child, may) < payout_id(1, june) == payout_month_base(june) | 1
    assert payout_month_base(may) <= payout_id(1, may) < payout_month_base(june)
    # A century of months and seventeen billion children stay below 2**53.
    assert payout_id(biggest_child, D(2100, 12, 1)) < 2**53
    assert payout_id(7, D(2025, 5, 1)) - payout_month_base(D(2025, 5, 1)) == 7


@pytest.mark.parametrize(
    "child_id, month",
    [(0, D(2025, 5, 1)), (1 << PAYOUT_CHILD_BITS, D(2025, 5, 1)), (5, D(2025, 5, 2)), (5, D(1999, 12, 1))],
)
def test_a_key_is_refused_for_what_it_cannot_hold(child_id, month):
    with pytest.raises(ValueError):
        payout_id(child_id, month)


def test_a_child_is_paid_once_a_month_whatever_the_category(standards, regions):
    child, enrollment = enrolled_child(regions.village, regions.county)
    run = PayoutRun.objects.create(region=regions.county, month=D(2025, 5, 1))
    first = paid(run, child, enrollment, D(2025, 5, 1))
    assert first.pk == payout_id(child.id, D(2025, 5, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        paid(run, child, enrollment, D(2025, 5, 1), category="orphan_institution", amount="1760.00")
    paid(run, child, enrollment, D(2025, 4, 1))  # another month is another payment
    assert Payout.objects.filter(child=child).count() == 2


@pg_only
def test_postgresql_holds_every_row_to_its_key(standards, regions):
    child, enrollment = enrolled_child(regions.village, regions.county)
    other, _e = enrolled_child(regions.village, regions.county)
    run = PayoutRun.objects.create(region=regions.county, month=D(2025, 5, 1))
    standard = WelfareStandard.objects.first()
    for wrong_id in (payout_id(other.id, D(2025, 5, 1)), payout_id(child.id, D(2025, 4, 1))):
        with pytest.raises(IntegrityError), transaction.atomic():
            Payout.objects.create(
                id=wrong_id, run=run, child=child, enrollment=enrollment, category="orphan_scattered",
                month=D(2025, 5, 1), amount=Decimal("1400.00"), standard=standard,
            )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO benefits_payout (id, run_id, child_id, enrollment_id, category, month, amount, standard_id) "
            "VALUES (%s, %s, %s, %s, 'orphan_scattered', '2025-05-01', 1400, %s)",
            [12345, run.id, child.id, enrollment.id, standard.id],
        )
    assert not Payout.objects.exists()


def test_a_childs_and_a_months_payouts_are_read_through_the_key(standards, regions):
    child, enrollment = enrolled_child(regions.village, regions.county, start="2025-01-01")
    other, other_enrollment = enrolled_child(regions.village, regions.county, start="2025-01-01")
    runs = {m: PayoutRun.objects.create(region=regions.county, month=D(2025, m, 1)) for m in (3, 4, 5)}
    for m, run in runs.items():
        paid(run, child, enrollment, D(2025, m, 1))
        paid(run, other, other_enrollment, D(2025, m, 1))
    mine = Payout.objects.filter(Payout.of_child(child.id))
    assert sorted(p.month.month for p in mine) == [3, 4, 5] and {p.child_id for p in mine} == {child.id}
    april = Payout.objects.filter(Payout.in_months([D(2025, 4, 1)]))
    assert {(p.child_id, p.month) for p in april} == {(child.id, D(2025, 4, 1)), (other.id, D(2025, 4, 1))}
    both = Payout.objects.filter(Payout.in_months([D(2025, 3, 1), D(2025, 5, 1)]))
    assert sorted({p.month.month for p in both}) == [3, 5] and both.count() == 4
    assert not Payout.objects.filter(Payout.in_months([])).exists()


def test_the_enrollment_page_lists_its_months_newest_first(standards, regions):
    child, enrollment = enrolled_child(regions.village, regions.county, start="2025-02-01")
    enrollment.end_month = D(2025, 4, 1)
    enrollment.save()
    for m in (2, 3, 4, 5):  # May would be paid by a later enrollment: not this one's
        run, _c = PayoutRun.objects.get_or_create(region=regions.county, month=D(2025, m, 1))
        paid(run, child, enrollment, D(2025, m, 1))
    assert [p.month.month for p in selectors.enrollment_payouts(enrollment=enrollment)] == [4, 3, 2]
    assert [p.month.month for p in selectors.enrollment_payouts(enrollment=enrollment, limit=2)] == [4, 3]


def test_the_payouts_api_filters_by_child_and_month(standards, regions, county_official, api_client):
    child, enrollment = enrolled_child(regions.village, regions.county, start="2025-01-01")
    other, other_enrollment = enrolled_child(regions.village, regions.county, start="2025-01-01")
    for m in (4, 5):
        run = PayoutRun.objects.create(region=regions.county, month=D(2025, m, 1))
        paid(run, child, enrollment, D(2025, m, 1))
        paid(run, other, other_enrollment, D(2025, m, 1))
    api_client.force_authenticate(county_official)
    body = api_client.get("/api/payouts/", {"child": child.id}).json()
    assert body["count"] == 2 and {row["child"] for row in body["results"]} == {child.id}
    body = api_client.get("/api/payouts/", {"month": "2025-05"}).json()
    assert body["count"] == 2 and {row["month"] for row in body["results"]} == {"2025-05"}
    assert api_client.get("/api/payouts/", {"child": child.id, "month": "2025-04"}).json()["count"] == 1
    for nothing in ({"child": "1.5"}, {"child": "-3"}, {"month": "1999-01"}):
        response = api_client.get("/api/payouts/", nothing)
        assert response.status_code == 200 and response.json()["count"] == 0, nothing
    assert api_client.get("/api/payouts/", {"month": "2025-13"}).status_code == 400


def test_starting_a_month_creates_every_paying_countys_run_once_with_history_and_audit(standards, regions):
    enrolled_child(regions.village, regions.county)
    enrolled_child(regions.other_village, regions.other_county)
    runs = payout_runs_start_all(month="2025-05", enqueue=False)
    assert [r.region.code for r in runs] == [regions.county.code, regions.other_county.code]
    assert all(r.status == PayoutRun.Status.COMPUTING and r.pk for r in runs)
    assert PayoutRun.history.filter(history_type="+").count() == 2
    assert AuditLog.objects.filter(action="payout_run.started").count() == 2
    # Again (the beat firing twice): the same runs, nothing created.
    again = payout_runs_start_all(month="2025-05", enqueue=False)
    assert [r.pk for r in again] == [r.pk for r in runs]
    assert PayoutRun.objects.count() == 2 and AuditLog.objects.filter(action="payout_run.started").count() == 2
    # A failed run is started again; a computed one is left as it is.
    payout_run_compute(run_id=runs[0].pk)
    PayoutRun.objects.filter(pk=runs[1].pk).update(status=PayoutRun.Status.FAILED, error="boom")
    third = {r.pk: r for r in payout_runs_start_all(month="2025-05", enqueue=False)}
    assert third[runs[0].pk].status == PayoutRun.Status.DRAFT
    assert third[runs[1].pk].status == PayoutRun.Status.COMPUTING and third[runs[1].pk].error == ""


def test_starting_a_future_month_is_refused(standards, regions):
    enrolled_child(regions.village, regions.county)
    with pytest.raises(ApplicationError):
        payout_runs_start_all(month="2025-07", enqueue=False)
    assert not PayoutRun.objects.exists()


def test_the_run_totals_come_from_its_inserts_and_match_the_table(standards, regions):
    for category in ("orphan_scattered", "orphan_scattered", "orphan_institution"):
        enrolled_child(regions.village, regions.county, category)
    (run,) = payout_runs_start_all(month="2025-05", enqueue=False)
    payout_run_compute(run_id=run.pk)
    run.refresh_from_db()
    assert run.totals_by_category == {
        "orphan_institution": {"count": 1, "amount": "1760.00"},
        "orphan_scattered": {"count": 2, "amount": "2800.00"},
    }
    assert run.attempts == 1 and run.started_at is not None
    assert {p.pk for p in Payout.objects.filter(run=run)} == {payout_id(p.child_id, D(2025, 5, 1)) for p in Payout.objects.all()}


def test_the_admin_filters_payouts_by_month_through_the_key(standards, regions, admin_user, client):
    child, enrollment = enrolled_child(regions.village, regions.county, start="2025-01-01")
    for m in (4, 5):
        run = PayoutRun.objects.create(region=regions.county, month=D(2025, m, 1))
        paid(run, child, enrollment, D(2025, m, 1))
    client.force_login(admin_user)
    page = client.get("/admin/benefits/payout/", {"month": "2025-05"})
    assert page.status_code == 200
    assert [p.month for p in page.context["cl"].result_list] == [D(2025, 5, 1)]
    assert "2025-04" in page.content.decode()  # the months paid are offered as choices
    for nothing in ("garbage", "1999-01"):
        page = client.get("/admin/benefits/payout/", {"month": nothing})
        assert page.status_code == 200 and list(page.context["cl"].result_list) == [], nothing
