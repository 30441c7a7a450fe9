import datetime
from decimal import Decimal

import pytest

from benefits.grants.schedule import instalment_for, instalment_month_check, instalment_schedule, parse_school_year
from welfare.errors import ApplicationError


def test_it_reads_a_school_year_of_two_consecutive_years():
    assert parse_school_year("2026-2027") == 2026


@pytest.mark.parametrize("bad", ["2026", "2026-2028", "2027-2026", "2026/2027", "", "abcd-efgh", "2026-2027x"])
def test_it_refuses_a_school_year_that_is_not_two_consecutive_years(bad):
    with pytest.raises(ApplicationError) as exc:
        parse_school_year(bad)
    assert "school_year" in exc.value.field_errors


def test_it_splits_the_amount_exactly_with_the_remainder_on_the_last_instalment():
    rows = instalment_schedule(school_year="2026-2027", annual_amount=Decimal("10000.00"), instalments=12)
    assert [r[0] for r in rows] == list(range(1, 13))
    assert rows[0][1] == datetime.date(2026, 9, 1) and rows[-1][1] == datetime.date(2027, 8, 1)
    assert {r[2] for r in rows[:-1]} == {Decimal("833.33")} and rows[-1][2] == Decimal("833.37")
    assert sum(r[2] for r in rows) == Decimal("10000.00")


def test_it_pays_quarterly_in_september_december_march_and_june():
    rows = instalment_schedule(school_year="2026-2027", annual_amount=Decimal("10001.00"), instalments=4)
    assert [r[1] for r in rows] == [datetime.date(2026, 9, 1), datetime.date(2026, 12, 1), datetime.date(2027, 3, 1), datetime.date(2027, 6, 1)]
    assert [r[2] for r in rows] == [Decimal("2500.25")] * 3 + [Decimal("2500.25")]
    assert sum(r[2] for r in rows) == Decimal("10001.00")


def test_it_refuses_an_instalment_month_outside_the_school_year():
    with pytest.raises(ApplicationError) as exc:
        instalment_month_check(school_year="2026-2027", month=datetime.date(2027, 9, 1))
    assert "2027-09" in str(exc.value.field_errors["month"])
    with pytest.raises(ApplicationError):
        instalment_for(school_year="2026-2027", annual_amount=Decimal("10000"), instalments=12, month=datetime.date(2026, 8, 1))


def test_it_finds_the_instalment_of_a_month_and_none_between_quarters():
    assert instalment_for(school_year="2026-2027", annual_amount=Decimal("10000"), instalments=4, month=datetime.date(2026, 12, 1)) == (
        2,
        Decimal("2500.00"),
    )
    assert instalment_for(school_year="2026-2027", annual_amount=Decimal("10000"), instalments=4, month=datetime.date(2026, 10, 1)) is None
