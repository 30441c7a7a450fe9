import datetime

import pytest
from django.db import connection
from django.db.models import DateField, F
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query
from django.db.utils import ConnectionHandler

from cases.children.models import Child
from tests.factories import ChildFactory
from welfare.months import AddMonths, add_months, eighteen_cutoff, month_end, month_start

D = datetime.date

MONTH_END_CASES = [
    (D(2023, 11, 30), D(2024, 2, 29)),  # into a leap February
    (D(2024, 11, 30), D(2025, 2, 28)),  # into a common February
    (D(2023, 11, 29), D(2024, 2, 29)),
    (D(2024, 8, 31), D(2024, 11, 30)),
    (D(2024, 5, 31), D(2024, 8, 31)),
    (D(2024, 2, 29), D(2024, 5, 29)),
    (D(2024, 12, 15), D(2025, 3, 15)),
    (D(2024, 10, 31), D(2025, 1, 31)),  # across the year end
]


@pytest.mark.parametrize(("day", "due"), MONTH_END_CASES)
def test_it_adds_three_months_clamping_to_the_months_last_day(day, due):
    assert add_months(day, 3) == due


@pytest.mark.parametrize(
    ("month", "n", "result"),
    [
        (D(2024, 11, 1), 3, D(2025, 2, 1)),
        (D(2025, 1, 1), -1, D(2024, 12, 1)),
        (D(2024, 2, 1), 12, D(2025, 2, 1)),
        (D(2025, 3, 1), -27, D(2022, 12, 1)),
        (D(2025, 6, 1), 0, D(2025, 6, 1)),
    ],
)
def test_it_keeps_a_first_day_of_a_month_on_a_first_day(month, n, result):
    assert add_months(month, n) == result


def test_it_goes_back_a_year_from_the_29th_of_february_to_the_28th():
    assert add_months(D(2024, 2, 29), -12) == D(2023, 2, 28)
    assert add_months(D(2024, 3, 31), -1) == D(2024, 2, 29)
    assert add_months(D(2023, 3, 31), -1) == D(2023, 2, 28)


def test_it_finds_a_months_first_and_last_day():
    assert (month_start(D(2024, 2, 17)), month_end(D(2024, 2, 17))) == (D(2024, 2, 1), D(2024, 2, 29))
    assert (month_start(D(2100, 2, 1)), month_end(D(2100, 2, 1))) == (D(2100, 2, 1), D(2100, 2, 28))
    assert month_end(D(2024, 12, 31)) == D(2024, 12, 31)


def test_it_pays_until_the_month_of_the_18th_birthday():
    assert eighteen_cutoff(D(2025, 3, 1)) == D(2007, 3, 1)
    assert eighteen_cutoff(D(2025, 3, 20)) == D(2007, 3, 1)


@pytest.mark.django_db
def test_it_does_the_same_month_arithmetic_in_sql_as_in_python(regions):
    for day, _due in MONTH_END_CASES:
        ChildFactory(region=regions.village, registered_on=day)
    rows = Child.objects.annotate(due=AddMonths(F("registered_on"), months=3)).values_list("registered_on", "due")
    assert {day: due for day, due in rows} == dict(MONTH_END_CASES)


# Every day of a common year and of a leap year (so every 29th, 30th and 31st and both kinds of
# February), the leap days of 2000 and 2096 and the last days of February 2100 (not a leap year).
AGREEMENT_DAYS = [D(2023, 1, 1) + datetime.timedelta(days=k) for k in range(366 + 365)] + [
    D(2000, 2, 29), D(2096, 2, 29), D(2100, 2, 28), D(2099, 12, 31), D(1999, 11, 30),
]  # fmt: skip
AGREEMENT_MONTHS = (-192, -13, -12, -1, 1, 2, 3, 6, 12, 48)


def _sql_add_months(conn, days: list[datetime.date]) -> dict[tuple[datetime.date, int], datetime.date]:
    """`AddMonths` evaluated by the database behind `conn` for every day and AGREEMENT_MONTHS:
    one SELECT over a temporary table of the days."""
    compiler = Query(None).get_compiler(connection=conn)
    columns, params = [], []
    for n in AGREEMENT_MONTHS:
        sql, p = compiler.compile(AddMonths(RawSQL("day", (), output_field=DateField()), months=n))
        columns.append(sql)
        params.extend(p)
    with conn.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE add_months_days (day date)")
        try:
            cur.executemany("INSERT INTO add_months_days (day) VALUES (%s)", [(d.isoformat(),) for d in days])
            cur.execute(f"SELECT day, {', '.join(columns)} FROM add_months_days", params)  # noqa: S608 - compiled expressions
            rows = cur.fetchall()
        finally:
            cur.execute("DROP TABLE add_months_days")

    def as_date(value) -> datetime.date:
        return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)

    return {(as_date(row[0]), n): as_date(v) for row in rows for n, v in zip(AGREEMENT_MONTHS, row[1:], strict=True)}


def _python_add_months(days: list[datetime.date]) -> dict[tuple[datetime.date, int], datetime.date]:
    return {(d, n): add_months(d, n) for d in days for n in AGREEMENT_MONTHS}


@pytest.mark.django_db
def test_the_sql_form_agrees_with_the_python_function_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the suite's database is not PostgreSQL")
    assert _sql_add_months(connection, AGREEMENT_DAYS) == _python_add_months(AGREEMENT_DAYS)


@pytest.mark.django_db
def test_the_sql_form_agrees_with_the_python_function_on_sqlite():
    """On the embedded default's database (SQLite), whatever database the suite runs on."""
    sqlite = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})["default"]
    try:
        assert _sql_add_months(sqlite, AGREEMENT_DAYS) == _python_add_months(AGREEMENT_DAYS)
    finally:
        sqlite.close()
