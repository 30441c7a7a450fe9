"""Resident identity numbers (居民身份证号码, GB 11643): normalisation, validation, masking.

An 18-character number is: 6-digit region code of the issuing place, birth date YYYYMMDD,
3-digit sequence (the last of which is odd for men, even for women) and an ISO 7064 MOD 11-2
check character. Region codes are renamed and retired over the years, so only the province
prefix is checked: a number from a county code that no longer exists is still a real number.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Province-level codes of GB/T 2260, plus 71 (Taiwan), 81 (Hong Kong), 82 (Macao) and
# 83 (residence permits of Taiwan residents).
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    region_code: str
    birth_date: datetime.date
    sex: str  # "M" or "F"


def normalize_id_number(value: str | None) -> str:
    """Strip spaces, turn full-width digits and a lower-case x into their plain forms."""
    if not value:
        return ""
    return "".join(str(value).translate(_FULL_WIDTH).split()).upper()


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse_id_number(value: str, *, today: datetime.date | None = None) -> IdNumberInfo:
    """Validate an identity number and return what it says. Raises ValidationError with a
    message that explains exactly what is wrong."""
    number = normalize_id_number(value)
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(
            _("An identity number has 18 characters: 17 digits and a last digit or X."), code="format"
        )
    if number[:2] not in PROVINCE_PREFIXES:
        raise ValidationError(
            _("The identity number starts with %(prefix)s, which is not a province code."),
            code="province",
            params={"prefix": number[:2]},
        )
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date in the identity number (%(digits)s) is not a real date."),
            code="birth_date",
            params={"digits": number[6:14]},
        ) from None
    today = today or timezone.localdate()
    if birth > today or birth.year < 1900:
        raise ValidationError(
            _("The birth date in the identity number (%(date)s) is impossible."),
            code="birth_date",
            params={"date": birth.isoformat()},
        )
    expected = check_character(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _("The check character of the identity number is wrong: please check every digit."),
            code="checksum",
        )
    return IdNumberInfo(
        number=number,
        region_code=number[:6],
        birth_date=birth,
        sex="M" if int(number[16]) % 2 else "F",
    )


def mask_id_number(value: str | None) -> str:
    """Show the region code and the last four characters only: 370402********1234."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def make_id_number(region_code: str, birth: datetime.date, sequence: int, sex: str) -> str:
    """Build a valid number (for demo data, tests and benchmarks)."""
    # The last sequence digit is odd for men, even for women: 500 numbers per place, day and sex.
    seq = (sequence % 500) * 2 + (1 if sex == "M" else 0)
    first17 = f"{region_code[:6]}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)
