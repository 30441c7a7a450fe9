"""The monthly payout run: rules, idempotency, freezing, adjustments, changes, export."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from benefits.enrollments.models import Enrollment
from benefits.enrollments.services import enrollment_end, transfer_accept, transfer_request
from benefits.payouts.models import Adjustment, Payout, PayoutRun
from benefits.payouts.selectors import payout_run_changes
from benefits.payouts.services import (
    adjustment_create,
    payout_run_approve,
    payout_run_compute,
    payout_run_recompute,
    payout_run_start,
)
from benefits.standards.services import standard_raise
from tests.benefits.helpers import enrolled_child, std
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import AuditLog

D = datetime.date


def run_month(county, month: str, by=None) -> PayoutRun:
    run, _created = payout_run_start(by=by, region=county, month=month, enqueue=False)
    payout_run_compute(run_id=run.id)
    run.refresh_from_db()
    return run


@pytest.fixture
def standards(regions):
    std(regions.city, "orphan_institution", 1760, on="2020-01-01", document="A")
    std(regions.city, "orphan_scattered", 1400, on="2020-01-01", document="B")
    std(regions.city, "de_facto_unsupported", refers_to="orphan_scattered", on="2020-01-01")
    std(regions.city, "key_difficulty", 980, on="2020-01-01")
    return regions


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2025, 6, 15, 10, 0), tick=False):
        yield


def test_it_pays_every_active_enrollment_the_standard_in_force(standards, regions):
    r = regions
    a, _ = enrolled_child(r.village, r.county, "orphan_scattered")
    b, _ = enrolled_child(r.village_c, r.county, "orphan_institution")
    c, _ = enrolled_child(r.village_b, r.county, "de_facto_unsupported")
    enrolled_child(r.other_village, r.other_county, "orphan_scattered")  # another county's child
    run = run_month(r.county, "2025-05")
    assert run.status == PayoutRun.Status.DRAFT
    amounts = dict(Payout.objects.filter(run=run).values_list("child_id", "amount"))
    assert amounts == {a.id: Decimal("1400.00"), b.id: Decimal("1760.00"), c.id: Decimal("1400.00")}
    assert run.payout_count == 3
    assert run.total_amount == Decimal("4560.00")
    assert run.totals_by_category["orphan_scattered"] == {"count": 1, "amount": "1400.00"}
    # Every amount traces to its standard version.
    assert Payout.objects.get(child=c).standard.document == "B"


def test_it_never_pays_the_same_month_twice(standards, regions):
    enrolled_child(regions.village, regions.county)
    run = run_month(regions.county, "2025-05")
    again, created = payout_run_start(by=None, region=regions.county, month="2025-05", enqueue=False)
    assert not created and again.id == run.id
    assert payout_run_compute(run_id=run.id) is None
    # Even forcing the computation again adds nothing (ON CONFLICT DO NOTHING).
    PayoutRun.objects.filter(id=run.id).update(status="computing")
    payout_run_compute(run_id=run.id)
    assert Payout.objects.count() == 1
    assert PayoutRun.objects.count() == 1


def test_it_pays_up_to_and_including_the_month_of_the_18th_birthday(standards, regions):
    child, _ = enrolled_child(regions.village, regions.county, birth=D(2007, 5, 31))
    early, _ = enrolled_child(regions.village, regions.county, birth=D(2007, 6, 1))
    with time_machine.travel(datetime.datetime(2025, 7, 2, 10, 0), tick=False):
        may = run_month(regions.county, "2025-05")
        june = run_month(regions.county, "2025-06")
        july = run_month(regions.county, "2025-07")
    assert set(Payout.objects.filter(run=may).values_list("child_id", flat=True)) == {child.id, early.id}
    # Turned 18 on 31 May: May is the last month paid.
    assert set(Payout.objects.filter(run=june).values_list("child_id", flat=True)) == {early.id}
    # Turned 18 on 1 June: June is paid, July is not.
    assert not Payout.objects.filter(run=july).exists()
    changes = payout_run_changes(run=june)
    assert changes["counts"]["stopped"] == 1
    assert changes["stopped"][0]["reason"] == "Turned 18"


def test_it_pays_a_leap_day_child_through_february_of_the_18th_year(standards, regions):
    child, _ = enrolled_child(regions.village, regions.county, birth=D(2004, 2, 29), start="2021-01-01")
    with time_machine.travel(datetime.datetime(2022, 3, 10), tick=False):
        feb = run_month(regions.county, "2022-02")
        mar = run_month(regions.county, "2022-03")
    assert Payout.objects.filter(run=feb, child=child).exists()
    assert not Payout.objects.filter(run=mar, child=child).exists()


def test_it_respects_start_and_end_months_around_the_run_month(standards, regions):
    starting, _ = enrolled_child(regions.village, regions.county, start="2025-05-01")
    future, _ = enrolled_child(regions.village, regions.county, start="2025-06-01")
    ended, e = enrolled_child(regions.village, regions.county, start="2024-01-01")
    e.end_month, e.end_reason, e.status = D(2025, 4, 1), "ineligible", "ended"
    e.save()
    last, e2 = enrolled_child(regions.village, regions.county, start="2024-01-01")
    e2.end_month, e2.end_reason, e2.status = D(2025, 5, 1), "ineligible", "ended"
    e2.save()
    run = run_month(regions.county, "2025-05")
    assert set(Payout.objects.filter(run=run).values_list("child_id", flat=True)) == {starting.id, last.id}


def test_it_makes_no_payment_after_death(standards, regions, county_official):
    child, enrollment = enrolled_child(regions.village, regions.county)
    enrollment_end(by=county_official, enrollment=enrollment, reason="death", on=D(2025, 5, 20))
    may = run_month(regions.county, "2025-05")
    june = run_month(regions.county, "2025-06")
    assert Payout.objects.filter(run=may, child=child).exists()  # the month of death is paid
    assert not Payout.objects.filter(run=june, child=child).exists()
    assert payout_run_changes(run=june)["stopped"][0]["reason"] == "Died"


def test_a_child_who_moves_county_is_paid_by_the_new_county_from_the_next_month_never_both(
    standards, regions, county_official, outsider
):
    child, enrollment = enrolled_child(regions.village, regions.county)
    with time_machine.travel(datetime.datetime(2025, 5, 10, 10, 0), tick=False):
        # The move is a request; the receiving county (here `outsider`) accepts it in May.
        transfer = transfer_request(by=county_official, enrollment=enrollment, to_county=regions.other_county)
        assert Enrollment.objects.get(id=enrollment.id).status == "active"
        transfer_accept(by=outsider, transfer_id=transfer.id, region=regions.other_village)
    child.refresh_from_db()
    assert child.region_id == regions.other_village.id
    old_may = run_month(regions.county, "2025-05")
    new_may = run_month(regions.other_county, "2025-05")
    old_june = run_month(regions.county, "2025-06")
    new_june = run_month(regions.other_county, "2025-06")
    assert Payout.objects.filter(run=old_may, child=child).count() == 1
    assert not Payout.objects.filter(run=new_may, child=child).exists()
    assert not Payout.objects.filter(run=old_june, child=child).exists()
    assert Payout.objects.filter(run=new_june, child=child).count() == 1
    assert Payout.objects.filter(child=child, month=D(2025, 5, 1)).count() == 1
    assert payout_run_changes(run=new_june)["new"][0]["reason"] == "Moved in from another county"


def test_an_adopted_disabled_orphan_keeps_support_at_the_scattered_orphan_standard(standards, regions, county_official):
    child, enrollment = enrolled_child(regions.village, regions.county, "orphan_institution")
    enrollment_end(by=county_official, enrollment=enrollment, reason="adoption", on=D(2025, 4, 3), disabled=True)
    run = run_month(regions.county, "2025-05")
    payout = Payout.objects.get(run=run, child=child)
    assert payout.category == "adopted_disabled_orphan"
    assert payout.amount == Decimal("1400.00")


def test_an_adopted_orphan_without_disability_stops(standards, regions, county_official):
    child, enrollment = enrolled_child(regions.village, regions.county, "orphan_scattered")
    enrollment_end(by=county_official, enrollment=enrollment, reason="adoption", on=D(2025, 4, 3))
    assert not Enrollment.objects.filter(child=child, status="active").exists()
    assert not Payout.objects.filter(run=run_month(regions.county, "2025-05")).exists()


def test_a_raise_shows_as_a_changed_amount_with_its_reason(standards, regions, city_official):
    child, _ = enrolled_child(regions.village, regions.county, "de_facto_unsupported")
    run_month(regions.county, "2025-04")
    standard_raise(by=city_official, regions=[regions.city], categories=["orphan_scattered"], amount=200,
                   effective_from=D(2025, 5, 1), document="C")
    may = run_month(regions.county, "2025-05")
    assert Payout.objects.get(run=may, child=child).amount == Decimal("1600.00")  # follows its reference
    changes = payout_run_changes(run=may)
    assert changes["counts"] == {"new": 0, "stopped": 0, "changed": 1}
    assert changes["changed"][0]["previous_amount"] == Decimal("1400.00")
    assert "C" in changes["changed"][0]["reason"]


def test_an_approved_run_is_frozen(standards, regions, county_official):
    child, _ = enrolled_child(regions.village, regions.county)
    run = run_month(regions.county, "2025-05", by=county_official)
    payout_run_approve(by=county_official, run_id=run.id)
    std(regions.county, "orphan_scattered", 1500, on="2025-05-01")
    with pytest.raises(ApplicationError):
        payout_run_recompute(by=county_official, run=run)
    assert payout_run_compute(run_id=run.id) is None
    with pytest.raises(ApplicationError):
        payout_run_approve(by=county_official, run_id=run.id)
    assert list(Payout.objects.filter(run=run).values_list("amount", flat=True)) == [Decimal("1400.00")]
    assert PayoutRun.objects.get(id=run.id).status == "approved"


def test_corrections_are_adjustments_included_in_the_next_run_and_visible_on_both_months(standards, regions, county_official):
    child, _ = enrolled_child(regions.village, regions.county)
    with time_machine.travel(datetime.datetime(2025, 5, 20), tick=False):
        may = run_month(regions.county, "2025-05", by=county_official)
        payout_run_approve(by=county_official, run_id=may.id)
        adj = adjustment_create(by=county_official, child=child, category="orphan_scattered", for_month="2025-05",
                                amount="200", reason="Standard raised late")
    assert adj.month == D(2025, 6, 1)  # May is frozen: paid in June
    june = run_month(regions.county, "2025-06")
    adj.refresh_from_db()
    assert adj.run_id == june.id
    assert june.adjustment_total == Decimal("200.00")
    assert june.total_amount == Decimal("1600.00")
    from benefits.payouts.selectors import payout_run_adjustments

    assert payout_run_adjustments(run=may)["correcting"] == [adj]
    assert payout_run_adjustments(run=june)["paid"] == [adj]


def test_it_refuses_a_recovery_larger_than_what_was_paid(standards, regions, county_official):
    child, _ = enrolled_child(regions.village, regions.county)
    run_month(regions.county, "2025-05")
    with pytest.raises(ApplicationError):
        adjustment_create(by=county_official, child=child, category="orphan_scattered", for_month="2025-05", amount="-2000", reason="x")
    assert not Adjustment.objects.exists()


def test_it_refuses_a_future_month_or_a_county_outside_ones_scope(standards, regions, county_official, outsider):
    with pytest.raises(ApplicationError) as exc:
        payout_run_start(by=county_official, region=regions.county, month="2025-07")
    assert "future" in str(exc.value.message)
    with pytest.raises(PermissionDeniedError):
        payout_run_start(by=outsider, region=regions.county, month="2025-05")
    with pytest.raises(ApplicationError):
        payout_run_start(by=county_official, region=regions.county, month="2025-13")
    assert not PayoutRun.objects.exists()


def test_a_child_without_a_standard_is_listed_and_blocks_approval(regions, county_official):
    std(regions.city, "orphan_scattered", 1400)
    enrolled_child(regions.village, regions.county, "key_difficulty")
    run = run_month(regions.county, "2025-05", by=county_official)
    assert run.problems and run.problems[0]["category"] == "key_difficulty"
    with pytest.raises(ApplicationError):
        payout_run_approve(by=county_official, run_id=run.id)


def test_approving_flips_the_status_and_is_logged(standards, regions, county_official, outsider):
    enrolled_child(regions.village, regions.county)
    run = run_month(regions.county, "2025-05")
    with pytest.raises(PermissionDeniedError):
        payout_run_approve(by=outsider, run_id=run.id)
    payout_run_approve(by=county_official, run_id=run.id)
    run.refresh_from_db()
    assert run.status == "approved" and run.approved_by == county_official
    assert AuditLog.objects.filter(action="payout_run.approved", target_id=str(run.id)).exists()


def test_the_command_computes_a_month_synchronously(standards, regions, capsys):
    enrolled_child(regions.village, regions.county)
    enrolled_child(regions.other_village, regions.other_county)
    call_command("compute_payouts", "--month", "2025-05")
    assert set(PayoutRun.objects.values_list("region__code", "status")) == {("370402", "draft"), ("370403", "draft")}
    call_command("compute_payouts", "--month", "2025-05", "--region", "370402")
    assert Payout.objects.count() == 2


def test_a_standard_below_county_level_still_resolves_on_each_childs_path(standards, regions):
    # Not allowed through the service, but rows typed into the database are honoured, not ignored.
    std(regions.township, "orphan_scattered", 1450, on="2024-01-01")
    here, _ = enrolled_child(regions.village, regions.county)
    there, _ = enrolled_child(regions.village_c, regions.county)
    run = run_month(regions.county, "2025-05")
    amounts = dict(Payout.objects.filter(run=run).values_list("child_id", "amount"))
    assert amounts == {here.id: Decimal("1450.00"), there.id: Decimal("1400.00")}


def test_a_child_living_outside_the_paying_county_is_paid_at_that_countys_standard(standards, regions):
    std(regions.county, "orphan_scattered", 1500, on="2024-01-01")
    std(regions.other_county, "orphan_scattered", 1300, on="2024-01-01")
    child, _ = enrolled_child(regions.other_village, regions.county)
    run = run_month(regions.county, "2025-05")
    assert Payout.objects.get(run=run, child=child).amount == Decimal("1500.00")


def test_computing_a_run_writes_its_row_history_and_audit_row_with_the_same_totals(standards, regions):
    r = regions
    enrolled_child(r.village, r.county, "orphan_scattered")
    enrolled_child(r.village_c, r.county, "orphan_institution")
    run = run_month(r.county, "2025-05")
    assert (run.status, run.payout_count, run.total_amount) == (PayoutRun.Status.DRAFT, 2, Decimal("3160.00"))
    assert run.totals_by_category == {
        "orphan_institution": {"count": 1, "amount": "1760.00"},
        "orphan_scattered": {"count": 1, "amount": "1400.00"},
    }
    assert run.attempts == 1 and run.computed_at is not None and run.started_at <= run.computed_at
    history = list(PayoutRun.history.filter(id=run.id).order_by("history_id"))
    assert [h.history_type for h in history] == ["+", "~"]  # started, computed
    computed = history[-1]
    assert (computed.status, computed.payout_count, computed.total_amount, computed.history_date) == (
        PayoutRun.Status.DRAFT, 2, Decimal("3160.00"), run.computed_at,
    )
    assert computed.history_user is None
    log = AuditLog.objects.get(action="payout_run.computed", target_id=str(run.id))
    assert (log.target_type, log.record_count, log.actor) == ("benefits.payoutrun", 2, None)
