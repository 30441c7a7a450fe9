"""The rules of a child's record that need no database (cases/children/rules.py)."""

import datetime

import pytest
from django.utils import translation

from cases.children.rules import id_number_recorded_message, identity_check, membership_end_errors, membership_refusal
from welfare.idnumber import make_id_number, mask_id_number

TODAY = datetime.date(2025, 6, 1)
BIRTH = datetime.date(2015, 3, 14)
NUMBER = make_id_number("370402", BIRTH, 5, "F")


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


def test_it_lets_a_child_be_in_one_paid_category_and_any_monitoring_ones():
    assert membership_refusal(category="orphan_scattered", open_categories=["left_behind", "migrant"]) is None
    assert membership_refusal(category="left_behind", open_categories=["orphan_scattered"]) is None
    assert "only one basic living allowance" in membership_refusal(category="key_difficulty", open_categories=["left_behind", "orphan_scattered"])
    assert "already in this category" in membership_refusal(category="left_behind", open_categories=["left_behind"])


def test_it_ends_a_membership_only_after_it_started_and_with_a_reason():
    start = datetime.date(2024, 1, 10)
    assert membership_end_errors(start_date=start, end_date=start, end_reason="父母返乡") == {}
    assert set(membership_end_errors(start_date=start, end_date=datetime.date(2024, 1, 9), end_reason=" ")) == {"end_date", "end_reason"}


def test_it_takes_the_sex_and_birth_date_from_the_number_when_not_typed():
    identity = identity_check(id_number=f" {NUMBER[:-1]}{NUMBER[-1].lower()} ", sex=None, birth_date=None, today=TODAY)
    assert (identity.id_number, identity.sex, identity.birth_date, identity.errors) == (NUMBER, "F", BIRTH, {})


def test_it_refuses_what_contradicts_the_number_field_by_field():
    identity = identity_check(id_number=NUMBER, sex="M", birth_date=datetime.date(2015, 3, 15), today=TODAY)
    assert set(identity.errors) == {"sex", "birth_date"}
    assert "2015-03-14" in identity.errors["birth_date"]


def test_it_refuses_a_bad_number_and_a_future_birth_date_together():
    bad = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    identity = identity_check(id_number=bad, sex="F", birth_date=datetime.date(2026, 1, 1), today=TODAY)
    assert set(identity.errors) == {"id_number", "birth_date"}


def test_without_a_number_it_asks_for_the_sex_and_the_birth_date():
    assert set(identity_check(id_number="", sex=None, birth_date=None, today=TODAY).errors) == {"sex", "birth_date"}
    identity = identity_check(id_number=None, sex="M", birth_date=BIRTH, today=TODAY)
    assert (identity.id_number, identity.errors) == (None, {})


def test_a_number_recorded_elsewhere_names_the_county_at_most():
    mine = id_number_recorded_message(number=NUMBER, region="市中区中心街道东村社区", county=None)
    assert "东村社区" in mine and mask_id_number(NUMBER) in mine and NUMBER not in mine
    theirs = id_number_recorded_message(number=NUMBER, region=None, county="薛城区")
    assert "薛城区" in theirs and "contact that county" in theirs
    assert "(—)" in id_number_recorded_message(number=NUMBER, region=None, county=None)
