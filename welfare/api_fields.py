"""Serializer fields shared by the API: months (`YYYY-MM`) and, for what it takes about people,
identity numbers, phone numbers and personal names. Every `id_number`, `child_id_number` and
`phone` field the API writes is one of these, so a JSON number is refused there with a clear
message instead of being turned into text: 18 digits are past the integers a JavaScript client
keeps exactly (520324201201010011 arrives as 520324201201010000), a number cannot carry the check
character X, and a phone number's leading 0 is lost."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from welfare.errors import ApplicationError
from welfare.months import parse_month
from welfare.validators import person_name_clean, phone_clean


class TextOnlyField(serializers.CharField):
    """A CharField that takes a JSON string only: a number (or anything else) is a 400."""

    default_error_messages = {
        "not_text": _('Send this value as text in quotes (e.g. "{example}"), not as a number.'),
    }
    example = "…"

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text", example=self.example)
        return super().to_internal_value(data)


class IdNumberField(TextOnlyField):
    """An identity number as typed (18 characters; the services check it)."""

    example = "370402201503140011"

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)


class PhoneField(TextOnlyField):
    """A Chinese mobile or landline number (welfare.validators.phone_clean), kept in one form."""

    example = "13800000000"

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)  # as typed, with spaces and hyphens
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return phone_clean(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code=exc.code) from None


class PersonNameField(serializers.CharField):
    """A personal name (welfare.validators.person_name_clean): stripped, refused with invisible
    or control characters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not value and self.allow_blank:
            return value
        try:
            return person_name_clean(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code=exc.code) from None


ERRORS = {400: OpenApiResponse(description="field errors"), 403: OpenApiResponse(description="outside scope or role")}


class MonthField(serializers.Field):
    """A month as "YYYY-MM" (stored as the first day of the month)."""

    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, for example 2025-03.")}

    def to_representation(self, value):
        return value.strftime("%Y-%m") if value else None

    def to_internal_value(self, data):
        try:
            return parse_month(data)
        except ApplicationError:
            self.fail("invalid")
