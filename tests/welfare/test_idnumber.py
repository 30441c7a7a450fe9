import datetime

import pytest
from django.core.exceptions import ValidationError

from welfare.idnumber import check_character, make_id_number, mask_id_number, normalize_id_number, parse_id_number


def test_it_accepts_a_valid_number_and_reads_birth_date_and_sex():
    number = "11010519491231002X"
    info = parse_id_number(number)
    assert info.birth_date == datetime.date(1949, 12, 31)
    assert info.sex == "F"
    assert info.region_code == "110105"


def test_it_computes_the_iso_7064_check_character():
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"


def test_it_refuses_a_wrong_check_character():
    with pytest.raises(ValidationError) as exc:
        parse_id_number("110105194912310021")
    assert exc.value.code == "checksum"


def test_it_refuses_an_impossible_or_future_birth_date():
    bad_day = "370402" + "20150230" + "001"
    with pytest.raises(ValidationError) as exc:
        parse_id_number(bad_day + check_character(bad_day))
    assert exc.value.code == "birth_date"
    future = make_id_number("370402", datetime.date(2030, 1, 1), 1, "M")
    with pytest.raises(ValidationError) as exc:
        parse_id_number(future, today=datetime.date(2026, 1, 1))
    assert exc.value.code == "birth_date"


def test_it_refuses_an_unknown_province_but_accepts_a_retired_county_code():
    unknown = make_id_number("990101", datetime.date(2015, 1, 1), 1, "M")
    with pytest.raises(ValidationError) as exc:
        parse_id_number(unknown)
    assert exc.value.code == "province"
    # 370481 is a county code that may be renamed or retired; only the province matters.
    retired = make_id_number("379999", datetime.date(2015, 1, 1), 1, "F")
    assert parse_id_number(retired).sex == "F"


def test_it_normalises_full_width_digits_and_lower_case_x():
    assert normalize_id_number("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


def test_it_masks_all_but_region_and_last_four():
    assert mask_id_number("370402201501011234") == "370402********1234"
    assert mask_id_number("") == ""
