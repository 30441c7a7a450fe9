"""Several statements in one round trip to PostgreSQL, for the few hot paths where a round trip
(Django building the statement, the network, the backend's work around it) costs more than the
statement itself. Reads: `read_together` (the snapshot refresh's grouped counts in one round trip).
Writes: `execute_batch` with `insert_statement` / `update_statement` / `history_statement` (the
monthly payout run sends a county's lines, then its bookkeeping, in one round trip each:
benefits/payouts/services.py).

Reads. The figures of a dashboard section are a handful of small grouped counts, each cheap for
the database; what they pay for is the statements themselves (a round trip each, and the work
around it). `read_together` sends `.values()` querysets, each its own SQL (the ORM's, scoping and
rules included), in one round trip on PostgreSQL (execute_batch) and answers what `list(queryset)`
would for each, Django's converters applied as on any query; elsewhere it runs them one by one.

Writes. The INSERT and UPDATE statements are the ORM's own SQL (Django's compilers: the same
columns, `pre_save` values such as auto_now, and adapted parameters that `Model.save()` and
`QuerySet.update()` send), so no column list is written twice. No signal is sent: a caller that
relies on one (a history row, say) writes that row itself in the same batch.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, cast

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesIterable
from django.db.models.sql import InsertQuery, UpdateQuery


def _names(qs: QuerySet) -> list[str]:
    """The keys of a row of `qs`, as django.db.models.query.ValuesIterable names them."""
    query = qs.query
    if query.selected:
        return list(query.selected)
    return [*query.extra_select, *query.values_select, *query.annotation_select]


def read_together(querysets: Mapping[str, QuerySet]) -> dict[str, list[dict]]:
    """{name: rows} for {name: a `.values()` queryset}, every row a dict as `list(queryset)` gives
    it (Django's converters applied to the driver's values); one round trip on PostgreSQL
    (execute_batch), one query each elsewhere."""
    if not querysets:
        return {}
    for qs in querysets.values():
        if not issubclass(qs._iterable_class, ValuesIterable):
            raise TypeError("read_together reads .values() querysets")
    if connection.vendor != "postgresql" or {qs.db for qs in querysets.values()} != {connection.alias}:
        return {name: list(qs) for name, qs in querysets.items()}
    statements: list[tuple[str, list]] = []
    shapes: dict[str, tuple | None] = {}
    for name, qs in querysets.items():
        compiler = qs.query.get_compiler(using=qs.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # .none(), an empty `__in`: no rows, as list() gives
            shapes[name] = None
            continue
        shapes[name] = (compiler, _names(qs), len(statements))
        statements.append((sql, list(params)))
    answers = execute_batch(statements) if statements else []
    out: dict[str, list[dict]] = {}
    for name, shape in shapes.items():
        if shape is None:
            out[name] = []
            continue
        compiler, names, index = shape
        width = compiler.col_count
        rows: Any = [row[:width] for row in answers[index][1]]
        converters = compiler.get_converters([expr for expr, _sql, _alias in compiler.select[:width]])
        if converters:
            rows = compiler.apply_converters(rows, converters)
        out[name] = [dict(zip(names, row, strict=True)) for row in rows]
    return out


def execute_batch(statements: list[tuple[str, list]]) -> list[tuple[int, list]]:
    """Send the statements in ONE round trip and answer each one's row count and rows (none for a
    statement that returns no rows), in the current transaction. An error in one stops the rest
    and raises it (as Django's own database error).

    On PostgreSQL through psycopg's pipeline mode with server-side binding and prepared
    statements: a statement sent again on the same connection (the next county of the payout
    run) is neither parsed nor planned again. Statements must therefore be preparable (no SET:
    use set_config(); placeholders whose types PostgreSQL can infer). On other databases (SQLite,
    the embedded demo) the statements are sent one at a time, with the same answers."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            answers = []
            for sql, params in statements:
                cursor.execute(sql, params)
                answers.append((cursor.rowcount, cursor.fetchall() if cursor.description else []))
            return answers
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    cursors: list[psycopg.Cursor] = []
    start = time.monotonic()
    with connection.wrap_database_errors, raw.pipeline():
        for sql, params in statements:
            bound = psycopg.Cursor(raw)  # server-side binding (Django's own cursors bind client-side)
            bound.execute(sql, params, prepare=True)
            cursors.append(bound)
    if connection.queries_logged:  # as Django's debug cursor logs its statements
        connection.queries_log.append({"sql": ";\n".join(sql for sql, _params in statements), "time": f"{time.monotonic() - start:.3f}"})
    return [(bound.rowcount, bound.fetchall() if bound.description else []) for bound in cursors]


def insert_statement(obj: Model) -> tuple[str, list]:
    """The INSERT that `obj.save()` would send for a new row (its primary key drawn by the database
    when unset). The instance's pk stays unset."""
    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if not (f is meta.auto_field and obj.pk is None)]
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    ((sql, params),) = query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


def history_statement(obj: Model, *, when, history_type: str = "~") -> tuple[str, list]:
    """The INSERT of the history row django-simple-history writes after `obj.save()` (its tracked
    fields, with `when` as the history date and no user: a job's change), for a caller that saves
    `obj` with update_statement() in the same batch."""
    meta = obj._meta
    # The registered historical model (the `history` descriptor would build a manager class on
    # every access, a millisecond of the payout run's per-county Python).
    history = meta.apps.get_model(meta.app_label, f"Historical{meta.object_name}")
    row = history(
        history_date=when,
        history_type=history_type,
        history_user=None,
        history_change_reason=None,
        **{field.attname: getattr(obj, field.attname) for field in history.tracked_fields},
    )
    return insert_statement(row)


def update_statement(queryset: QuerySet, **values) -> tuple[str, list]:
    """The UPDATE that `queryset.update(**values)` would send (one table, no related updates)."""
    query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
    query.add_update_values(values)
    sql, params = query.get_compiler(connection=connection).as_sql()
    return sql, list(params)
