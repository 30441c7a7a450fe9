"""Region codes in every form the official lists publish them, made canonical by one function.

Canonical (how `Region.code` is stored): 6 digits for a province, a city and a county (GB/T 2260:
`520000`, `520300`, `520324`), 9 for a township (`520324100`), 12 for a village (`520324100200`).
Also accepted, and normalised to the canonical form:

- the 12-digit statistical division codes of every level (统计用区划代码: `520000000000`,
  `520300000000`, `520324000000`, `520324100000`),
- the short codes of the widely used open datasets of China's divisions: 2 digits for a province
  (`52`), 4 for a city (`5203`).

The level follows from the trailing zeros (a city's last two digits of six are 00, a province's
last four); a township directly under a city without counties (Dongguan: `441900003`) is a
township. Full-width digits and spaces are tolerated. `region_code_normalize` is the one rule:
`import_regions`, the API's region fields and filters, the forms, `create_user`, the dashboards'
`?region=`, the payout runs and the roster import all reach it — the lookups through the `code`
field of `welfare.models.Region` (`RegionCodeModelField.get_prep_value`), the imports directly,
for their line-numbered messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from welfare.errors import ApplicationError

# Full-width digits as typed with a Chinese input method.
_WIDE = str.maketrans("０１２３４５６７８９", "0123456789", " \u3000\t-")

LEVELS = ("province", "city", "county", "township", "village")
# The labels of welfare.models.Region.Level (the same messages), for the refusals.
_LEVEL_LABELS = {
    "province": gettext_lazy("Province"),
    "city": gettext_lazy("City"),
    "county": gettext_lazy("County / district"),
    "township": gettext_lazy("Township / street"),
    "village": gettext_lazy("Village / community"),
}


class RegionCodeError(ApplicationError):
    """A code that is malformed (not digits, a length no list uses) or ambiguous (its form and
    the level given disagree)."""


@dataclass(frozen=True)
class RegionCode:
    code: str  # canonical
    level: str  # province, city, county, township, village


def _level_of_twelve(digits: str) -> str:
    if digits[2:] == "0" * 10:
        return "province"
    if digits[4:] == "0" * 8:
        return "city"
    if digits[6:] == "0" * 6:
        return "county"
    if digits[9:] == "000":
        return "township"
    return "village"


_CANONICAL_LENGTH = {"province": 6, "city": 6, "county": 6, "township": 9, "village": 12}


def region_code_normalize(raw: str | int | None, *, level: str | None = None) -> RegionCode:
    """The canonical code and level of `raw` (see the module's text), or RegionCodeError with a
    message that says why. `level` (optional, English): the level the caller was told; a code
    whose form says another level is refused as ambiguous."""
    text = str(raw if raw is not None else "").translate(_WIDE).strip()
    shown = text[:20]
    if not text:
        raise RegionCodeError(_("The region code is empty."))
    if not text.isascii() or not text.isdigit():
        raise RegionCodeError(_("The region code %(code)s must be digits only.") % {"code": shown})
    if len(text) == 2:
        padded = text + "0" * 10
        if text == "00":
            raise RegionCodeError(_("%(code)s is not a province code.") % {"code": shown})
    elif len(text) == 4:
        if text.endswith("00"):
            raise RegionCodeError(
                _("%(code)s is ambiguous: a 4-digit code is a city's, and a city's last two digits are not 00.") % {"code": shown}
            )
        padded = text + "0" * 8
    elif len(text) == 6:
        padded = text + "0" * 6
    elif len(text) == 9:
        if text.endswith("000"):
            raise RegionCodeError(
                _("%(code)s is ambiguous: a 9-digit code is a township's, and a township's last three digits are not 000.") % {"code": shown}
            )
        padded = text + "000"
    elif len(text) == 12:
        padded = text
    else:
        raise RegionCodeError(
            _("The region code %(code)s has %(n)d digits: a region code has 2 (province), 4 (city), 6 (down to a county), 9 (township) or 12 digits.")
            % {"code": shown, "n": len(text)}
        )
    if padded.startswith("00"):
        raise RegionCodeError(_("%(code)s is not a region code: no province code starts with 00.") % {"code": shown})
    inferred = _level_of_twelve(padded)
    if level and level in LEVELS and level != inferred:
        raise RegionCodeError(
            _("%(code)s is ambiguous: it is written as a %(inferred)s code, but the level given is %(level)s.")
            % {"code": shown, "inferred": _LEVEL_LABELS[inferred], "level": _LEVEL_LABELS[level]}
        )
    return RegionCode(code=padded[: _CANONICAL_LENGTH[inferred]], level=inferred)


def region_code_canonical(raw: str | int | None) -> str:
    """The canonical form of `raw` for a lookup; a code that cannot be read is answered as typed
    (stripped), so that it matches nothing."""
    try:
        return region_code_normalize(raw).code
    except RegionCodeError:
        return str(raw if raw is not None else "").strip()
