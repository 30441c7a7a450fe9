"""Model fields for personal numbers encrypted at rest (welfare/crypto.py).

- `EncryptedCharField`: plain text in Python, SM4-GCM ciphertext (`k1:...`) in the database. It
  answers no lookup but `isnull`: a filter on ciphertext would silently match nothing, so
  `.filter(id_number=...)` raises FieldError and points to the blind index.
- `BlindIndexField(source=..., purpose=...)`: the keyed HMAC-SM3 of the source field's plain
  value (or of its last `tail` characters), computed from the source on every save, bulk create,
  bulk update (`derived_update_fields`) and COPY (`copy_values`): never set by hand.
- A stored value that cannot be decrypted (a key id no longer configured, an altered value) is
  read as `Unreadable`: a masked placeholder that keeps the stored ciphertext, so pages show
  asterisks instead of failing, a save writes the original ciphertext back unchanged, and the
  failure is logged (without the value).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldError
from django.db import models

from welfare import crypto

logger = logging.getLogger("welfare.crypto")


class Unreadable(str):
    """A stored value the configured keys cannot decrypt: reads as asterisks, saves as it was."""

    stored: str
    key_id: str | None

    def __new__(cls, stored: str, *, length: int = 18) -> Unreadable:
        value = super().__new__(cls, "*" * length)
        value.stored = stored
        value.key_id = crypto.key_id_of(stored)
        return value


def read_encrypted(value: str | None, *, length: int = 18, where: str = "") -> str | None:
    """The plain text of a stored value (None and "" as they are), or `Unreadable` (logged)."""
    if not value:
        return value
    try:
        return crypto.decrypt(value)
    except crypto.FieldDecryptionError as exc:
        logger.error(
            "field_decrypt_failed where=%s key_id=%s error=%s", where, crypto.key_id_of(value), type(exc).__name__
        )
        return Unreadable(value, length=length)


class EncryptedCharField(models.CharField):
    """A short text (an identity or phone number) stored encrypted. `max_length` is the plain
    text's; the column is `text`."""

    description = "A short text stored SM4-GCM encrypted"

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection) -> str | None:
        return connection.data_types["TextField"]

    def from_db_value(self, value, expression, connection):
        return read_encrypted(value, length=self.max_length or 18, where=f"{self.model.__name__}.{self.name}")

    def to_python(self, value):
        if isinstance(value, Unreadable):
            return value
        return super().to_python(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        if isinstance(value, Unreadable):
            return value.stored
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.model.__name__}.{self.name} is stored encrypted: it cannot be filtered by '{lookup_name}'. "
            f"Look it up by its blind index (the model's lookup helpers, e.g. with_id_number())."
        )

    def get_transform(self, lookup_name):
        raise FieldError(f"{self.model.__name__}.{self.name} is stored encrypted: no '{lookup_name}' on it.")


class BlindIndexField(models.CharField):
    """The keyed HMAC-SM3 of another field's plain value (its last `tail` characters when `tail`),
    kept up to date from that field. Empty when the source is empty; NULL when the source is NULL
    (or empty, for a nullable index: a unique index then ignores it)."""

    def __init__(self, *args, source: str, purpose: str, tail: int = 0, **kwargs):
        self.source, self.purpose, self.tail = source, purpose, tail
        kwargs.setdefault("max_length", crypto.TAIL_HEX if tail else crypto.INDEX_HEX)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, purpose=self.purpose)
        if self.tail:
            kwargs["tail"] = self.tail
        if kwargs.get("editable") is False:
            del kwargs["editable"]
        if kwargs.get("max_length") == (crypto.TAIL_HEX if self.tail else crypto.INDEX_HEX):
            del kwargs["max_length"]
        return name, path, args, kwargs

    def compute(self, plain: str | None) -> str | None:
        """The index of a plain value."""
        if not plain:
            return None if self.null else ""
        if self.tail:
            return index_of(plain[-self.tail :], purpose=self.purpose, length=crypto.TAIL_HEX)
        return index_of(plain, purpose=self.purpose)

    def pre_save(self, model_instance, add):
        plain = getattr(model_instance, self.source)
        if isinstance(plain, Unreadable):  # keep the index of the value we cannot read
            return getattr(model_instance, self.attname)
        value = self.compute(plain)
        setattr(model_instance, self.attname, value)
        return value


def index_of(plain: str, *, purpose: str, length: int = crypto.INDEX_HEX) -> str:
    """The blind index of `plain` (what a BlindIndexField of that purpose stores): use it to look
    a value up, e.g. `filter(id_number_index=index_of(number, purpose="id_number"))`."""
    return crypto.blind_index(plain, purpose=purpose, length=length)


def _index_fields(meta) -> list[BlindIndexField]:
    return [f for f in meta.concrete_fields if isinstance(f, BlindIndexField)]


def derived_update_fields(meta, fields: Iterable[str]) -> list[str]:
    """`fields` (of a save(update_fields=...) or bulk_update) plus the index fields derived from them."""
    names = list(fields)
    names += [f.name for f in _index_fields(meta) if f.source in names and f.name not in names]
    return names


def refresh_indexes(obj: models.Model) -> None:
    """Compute obj's index fields from its plain values (before a bulk_update)."""
    for field in _index_fields(obj._meta):
        field.pre_save(obj, False)


def copy_values(meta, values: dict[str, Any], connection) -> dict[str, Any]:
    """A row of attname → plain value made ready for COPY: index fields computed from their
    sources, encrypted fields encrypted (the fast path of the roster import)."""
    for field in _index_fields(meta):
        values[field.attname] = field.compute(values.get(field.source))
    for field in meta.concrete_fields:
        if isinstance(field, EncryptedCharField) and field.attname in values:
            values[field.attname] = field.get_db_prep_save(values[field.attname], connection)
    return values
