"""Re-encrypting the encrypted fields under the current key (`manage.py rotate_field_key`).

Every table with an `EncryptedCharField` (found through the app registry, history tables
included) is read in primary-key order, `batch` rows at a time; the values under another key id
are decrypted and encrypted again under the current key, each batch in its own transaction, so
the system keeps running meanwhile (both keys are configured while it runs) and a stopped run
resumes where it stopped (values under the current key are left alone). A row changed meanwhile
is not overwritten: its UPDATE names the old ciphertext, and the save that changed it encrypted
under the current key already. The blind indexes do not change: the index key is not rotated.

A value under a key id that FIELD_ENCRYPTION_KEY does not hold, or one that cannot be decrypted,
is left as it is and reported; nothing else about that row is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, transaction

from welfare import crypto
from welfare.fields import EncryptedCharField


@dataclass
class RotationReport:
    current_key_id: str
    rotated: dict[str, int] = field(default_factory=dict)  # table -> values re-encrypted
    unreadable: list[tuple[str, object, str, str]] = field(default_factory=list)  # (table, pk, column, reason)


def encrypted_tables() -> list[tuple[str, str, list[str]]]:
    """(table, primary-key column, encrypted columns) of every model with an encrypted field."""
    found = []
    for model in apps.get_models():
        opts = model._meta
        if opts.proxy or not opts.managed:
            continue
        columns = [str(f.column) for f in opts.concrete_fields if isinstance(f, EncryptedCharField)]
        if columns:
            found.append((opts.db_table, str(opts.pk.column), columns))
    return sorted(found)


def field_key_rotate(*, batch: int = 2000, progress: Callable[[str, int], None] | None = None) -> RotationReport:
    """Re-encrypt under the current key every value under an older key (see the module)."""
    ring = crypto.keyring()
    report = RotationReport(current_key_id=ring.current_id)
    quote = connection.ops.quote_name
    for table, pk, columns in encrypted_tables():
        count, after = 0, None
        cols = ", ".join(quote(c) for c in columns)
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                where = f"WHERE {quote(pk)} > %s " if after is not None else ""
                cursor.execute(
                    f"SELECT {quote(pk)}, {cols} FROM {quote(table)} {where}ORDER BY {quote(pk)} LIMIT %s",  # noqa: S608 - names from the models
                    ([after] if after is not None else []) + [batch],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                after = rows[-1][0]
                for key, *values in rows:
                    for column, value in zip(columns, values, strict=True):
                        if not value or crypto.key_id_of(value) == ring.current_id:
                            continue
                        try:
                            plain = crypto.decrypt(value, ring=ring)
                        except crypto.FieldDecryptionError as exc:
                            report.unreadable.append((table, key, column, str(exc)))
                            continue
                        cursor.execute(
                            f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE {quote(pk)} = %s AND {quote(column)} = %s",  # noqa: S608
                            [crypto.encrypt(plain, ring=ring), key, value],
                        )
                        count += cursor.rowcount
            if progress is not None:
                progress(table, count)
        report.rotated[table] = count
    return report
