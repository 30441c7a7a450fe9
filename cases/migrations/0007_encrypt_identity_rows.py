"""Identity and phone numbers encrypted at rest, step 2: encrypt the existing rows (children,
guardians and their history) in batches, each batch committed on its own (the migration is not
atomic), so that a large caseload is not one long transaction and an interrupted run resumes where
it stopped: a value already encrypted (`<key id>:...`) is left alone. Then the unique index of
identity numbers on their blind index, and the index of the tail search.

Works on SQLite (the embedded default) and PostgreSQL. Needs the keys of the settings in force
(FIELD_ENCRYPTION_KEY, FIELD_INDEX_KEY). Reversible: going back decrypts."""

from django.db import migrations, models, transaction

BATCH = 2000

# (model, primary key column, [(encrypted column, {index column: (purpose, tail)})])
TABLES = [
    ("child", "id", [("id_number", {"id_number_index": ("id_number", 0), "id_number_tail": ("id_number_tail", 4)})]),
    ("guardian", "id", [("id_number", {"id_number_index": ("id_number", 0)}), ("phone", {"phone_index": ("phone", 0)})]),
    ("historicalchild", "history_id", [("id_number", {})]),
    ("historicalguardian", "history_id", [("id_number", {}), ("phone", {})]),
]


def _rows(cursor, table, pk, columns, after):
    cols = ", ".join([pk, *columns])
    cursor.execute(f"SELECT {cols} FROM {table} WHERE {pk} > %s ORDER BY {pk} LIMIT %s", [after, BATCH])  # noqa: S608 - fixed names
    return cursor.fetchall()


def _convert(apps, schema_editor, *, forward: bool):
    from welfare import crypto
    from welfare.fields import index_of

    connection = schema_editor.connection
    quote = connection.ops.quote_name
    for model_name, pk, specs in TABLES:
        table = quote(apps.get_model("cases", model_name)._meta.db_table)
        columns = [column for column, _indexes in specs]
        after = -1
        while True:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                rows = _rows(cursor, table, quote(pk), [quote(c) for c in columns], after)
                if not rows:
                    break
                after = rows[-1][0]
                updates = []
                for row in rows:
                    values: dict[str, object] = {}
                    for (column, indexes), value in zip(specs, row[1:], strict=True):
                        if not value:
                            continue
                        encrypted = crypto.key_id_of(value) is not None
                        if forward and not encrypted:
                            values[column] = crypto.encrypt(value)
                            for index_column, (purpose, tail) in indexes.items():
                                plain = value[-tail:] if tail else value
                                values[index_column] = index_of(
                                    plain, purpose=purpose, length=crypto.TAIL_HEX if tail else crypto.INDEX_HEX
                                )
                        elif not forward and encrypted:
                            values[column] = crypto.decrypt(value)
                    if values:
                        updates.append((values, row[0]))
                for values, key in updates:
                    assignments = ", ".join(f"{quote(c)} = %s" for c in values)
                    cursor.execute(
                        f"UPDATE {table} SET {assignments} WHERE {quote(pk)} = %s",  # noqa: S608 - fixed names
                        [*values.values(), key],
                    )


def encrypt_rows(apps, schema_editor):
    _convert(apps, schema_editor, forward=True)


def decrypt_rows(apps, schema_editor):
    _convert(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0006_encrypt_identity"),
    ]

    operations = [
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
        migrations.AddIndex(
            model_name="child",
            index=models.Index(fields=["id_number_tail"], name="child_id_number_tail"),
        ),
        migrations.AddConstraint(
            model_name="child",
            constraint=models.UniqueConstraint(
                condition=models.Q(("id_number_index__isnull", False)), fields=("id_number_index",), name="child_id_number_unique"
            ),
        ),
    ]
