"""Validators for what people type about people: personal names and phone numbers. One rule
each, called by the services (cases/children/services.py), the API fields (welfare/api_fields.py), the
page and admin forms and the roster import, so every way in refuses the same input with the
same message.

Personal names (`person_name_clean`): stripped; not blank; no character of the Unicode
categories Cc (control: tabs, line breaks, NUL), Cf (format: bidirectional overrides such as
U+202E, zero-width spaces and joiners, the byte-order mark), Co (private use), Cs (surrogates),
Zl and Zp (line and paragraph separators). Such characters are invisible and let a name pass
for another one on a page or in a spreadsheet. Everything else is left alone: Chinese
characters of any extension (also those newer than Python's Unicode tables), the middle dot of
minority and foreign names (阿卜杜拉·买买提), Latin letters, spaces inside a name.

Phone numbers (`phone_clean`): a Chinese mobile number (11 digits, 1[3-9]…, an optional +86 or
0086 before it) or a landline with its area code (010 and 02x have three digits, every other
area code four; the local number has 7 or 8 digits and does not start with 0), with an optional
extension after `-`, `转`, `#`, `ext` or `x` (1 to 6 digits). Spaces and hyphens between the
digits are tolerated, full-width digits too. The number is kept in one form: `13800000000`,
`0851-12345678`, `010-12345678-123`. Blank stays blank (every phone field is optional).
"""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Unicode categories a personal name may not contain (see the module docstring).
FORBIDDEN_NAME_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})

_FULL_WIDTH = str.maketrans("０１２３４５６７８９－＋＃　", "0123456789-+# ")
_MOBILE = re.compile(r"(?:\+86|0086)?(1[3-9]\d{9})")
_LANDLINE = re.compile(r"(0\d{2,3})-?(\d{7,8})(?:(?:-|转|分机|#|ext\.?|x)(\d{1,6}))?", re.IGNORECASE)


def _forbidden(character: str) -> bool:
    return unicodedata.category(character) in FORBIDDEN_NAME_CATEGORIES


def person_name_clean(value: str | None) -> str:
    """The name stripped, or ValidationError (code `blank` or `invisible_character`)."""
    if value is not None and not isinstance(value, str):
        raise ValidationError(_("Enter the name as text."), code="invalid")
    name = (value or "").strip()
    bad = next((c for c in name if _forbidden(c)), None)
    if bad is not None:
        raise ValidationError(
            _("The name contains an invisible or control character (%(char)s): type the name again without it."),
            code="invisible_character",
            params={"char": f"U+{ord(bad):04X}"},
        )
    if not name:
        raise ValidationError(_("Enter the name."), code="blank")
    return name


def phone_clean(value: str | None) -> str:
    """The phone number in its one stored form ("" for blank), or ValidationError (code `phone`)."""
    if value is not None and not isinstance(value, str):
        raise ValidationError(_("Enter the phone number as text."), code="invalid")
    text = (value or "").translate(_FULL_WIDTH).strip()
    if not text:
        return ""
    compact = re.sub(r"\s+", "", text)
    mobile = _MOBILE.fullmatch(compact.replace("-", ""))
    if mobile:
        return mobile[1]
    landline = _LANDLINE.fullmatch(compact)
    if landline:
        digits = landline[1] + landline[2]
        area_length = 3 if digits[1] in "12" else 4
        area, local, extension = digits[:area_length], digits[area_length:], landline[3]
        if len(local) in (7, 8) and local[0] != "0":
            return f"{area}-{local}" + (f"-{extension}" if extension else "")
    raise ValidationError(
        _(
            "This is not a phone number: enter a mobile number (11 digits, e.g. 13800000000) or a landline "
            "with its area code (e.g. 0851-12345678, an extension after it: 0851-12345678-123)."
        ),
        code="phone",
    )


def validate_person_name(value: str | None) -> None:
    """`person_name_clean` as a Django validator (form and model fields)."""
    person_name_clean(value)


def validate_phone(value: str | None) -> None:
    """`phone_clean` as a Django validator (form and model fields)."""
    phone_clean(value)


class PersonNameFormField(forms.CharField):
    """A form field for a personal name: stripped, refused with invisible characters."""

    def clean(self, value):
        value = super().clean(value)
        if not value and not self.required:
            return value
        return person_name_clean(value)


class PhoneFormField(forms.CharField):
    """A form field for a phone number, cleaned to its one stored form."""

    def __init__(self, **kwargs):
        kwargs["max_length"] = 32  # as typed, with spaces and hyphens; the stored form has at most 20
        super().__init__(**kwargs)

    def clean(self, value):
        return phone_clean(super().clean(value))


class PersonFieldsAdminMixin:
    """For a ModelAdmin or an inline: model fields named in `person_name_fields` get
    PersonNameFormField, those in `phone_fields` PhoneFormField (the same rules as the services)."""

    person_name_fields: tuple[str, ...] = ("name",)
    phone_fields: tuple[str, ...] = ("phone",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.phone_fields:
            kwargs.setdefault("form_class", PhoneFormField)
        elif db_field.name in self.person_name_fields:
            kwargs.setdefault("form_class", PersonNameFormField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


def mask_person_name(value: str | None) -> str:
    """A name shown masked, like an identity number (who reported a child, for instance): the
    first character only, one star for each of the others — 王**, A****."""
    text = (value or "").strip()
    if not text:
        return ""
    return text[0] + "*" * max(len(text) - 1, 1)


def mask_phone(value: str | None) -> str:
    """A phone number shown masked: its first three and last four digits (138****0000); a short
    number (or an extension) keeps its last two only."""
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) <= 7:
        return "*" * (len(text) - 2) + text[-2:]
    return text[:3] + "*" * (len(text) - 7) + text[-4:]
