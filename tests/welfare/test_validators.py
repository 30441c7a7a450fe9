"""Issue 19: one rule for personal names and one for phone numbers (welfare/validators.py)."""

import pytest
from django.core.exceptions import ValidationError

from welfare.validators import person_name_clean, phone_clean


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("张小明", "张小明"),
        ("  李 四\u3000", "李 四"),
        ("阿卜杜拉·买买提", "阿卜杜拉·买买提"),
        ("Anna-Lena O'Brien", "Anna-Lena O'Brien"),
        ("𰻞𰻞", "𰻞𰻞"),  # CJK extension G
    ],
)
def test_it_keeps_real_names_stripped(typed, kept):
    assert person_name_clean(typed) == kept


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("\u202e", "U+202E"),  # right-to-left override, alone
        ("张\u202e三", "U+202E"),
        ("张\u200b三", "U+200B"),  # zero-width space
        ("\ufeff王五", "U+FEFF"),  # byte-order mark
        ("张\t三", "U+0009"),
        ("张\x00三", "U+0000"),
        ("张\u2028三", "U+2028"),  # line separator
        ("张\u2029三", "U+2029"),  # paragraph separator
        ("张\ue000三", "U+E000"),  # private use
        ("张\u2066三\u2069", "U+2066"),  # isolates
    ],
)
def test_it_refuses_names_with_invisible_or_control_characters_naming_the_character(typed, shown):
    with pytest.raises(ValidationError) as caught:
        person_name_clean(typed)
    assert caught.value.code == "invisible_character"
    assert shown in caught.value.messages[0]


@pytest.mark.parametrize("typed", ["", "   ", "\u3000", None])
def test_it_refuses_a_blank_name(typed):
    with pytest.raises(ValidationError) as caught:
        person_name_clean(typed)
    assert caught.value.code == "blank"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("13800000000", "13800000000"),
        ("138 0000 0000", "13800000000"),
        ("138-0000-0000", "13800000000"),
        ("+86 138 0000 0000", "13800000000"),
        ("008613800000000", "13800000000"),
        ("１３８００００００００", "13800000000"),
        ("19912345678", "19912345678"),
        ("0851-12345678", "0851-12345678"),
        ("085112345678", "0851-12345678"),
        ("0851 1234 5678", "0851-12345678"),
        ("0632-3311001", "0632-3311001"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("021 5555 6666", "021-55556666"),
        ("0851-12345678-123", "0851-12345678-123"),
        ("0851-12345678转8001", "0851-12345678-8001"),
        ("010-12345678 ext 9", "010-12345678-9"),
        ("", ""),
        ("  ", ""),
        (None, ""),
    ],
)
def test_it_keeps_mobile_and_landline_numbers_in_one_form(typed, kept):
    assert phone_clean(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "=1+2",
        "+1+2",
        "12800000000",  # mobiles start 13-19
        "1380000000",  # ten digits
        "138000000000",  # twelve digits
        "0851-123456",  # local number too short
        "0851-012345678",
        "8888888",  # no area code
        "0851-12345678-1234567",  # extension too long
        "tel:13800000000",
        "13800000000\u202e",
        "<script>",
    ],
)
def test_it_refuses_anything_else_with_a_clear_message(typed):
    with pytest.raises(ValidationError) as caught:
        phone_clean(typed)
    assert caught.value.code == "phone"
    assert "0851-12345678" in caught.value.messages[0]
