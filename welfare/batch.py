"""Several statements in one round trip to PostgreSQL, for the few hot paths where a round trip
(Django building the statement, the network, the backend's work around it) costs more than the
statement itself. Reads: `read_together` (the snapshot refresh's grouped counts in one round trip).
Writes: `execute_batch` with `insert_statement` / `update_statement` / `update_row_statement` /
`update_row_with_history_statements` (the monthly payout run sends a county's lines in one round
trip, then its bookkeeping — run row, history row, audit row — in one statement:
benefits/payouts/services.py). Hot reads: `CompiledQuery` (a queryset Django composes once per
process, then run as a prepared statement with other arguments: the payout run's claim and
standards).

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

import contextlib
import datetime
import time
from collections.abc import Callable, Mapping
from typing import Any, Generic, NamedTuple, TypeVar, cast

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model, QuerySet
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
    db = connections[DEFAULT_DB_ALIAS]
    if not querysets:
        return {}
    for qs in querysets.values():
        if not issubclass(qs._iterable_class, ValuesIterable):
            raise TypeError("read_together reads .values() querysets")
    if db.vendor != "postgresql" or {qs.db for qs in querysets.values()} != {db.alias}:
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
    answers = execute_batch(statements, prepare=False) if statements else []  # a page's reads: once per connection
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


def execute_batch(statements: list[tuple[str, list]], *, prepare: bool = True) -> list[tuple[int, list]]:
    """Send the statements in ONE round trip and answer each one's row count and rows (none for a
    statement that returns no rows), in the current transaction. An error in one stops the rest
    and raises it (as Django's own database error).

    On PostgreSQL through psycopg's pipeline mode with server-side binding and, with `prepare`,
    prepared statements: a statement sent again on the same connection (the next county of the
    payout run) is neither parsed nor planned again (welfare.settings.base.prepared_statements).
    Statements must therefore be preparable (no SET: use set_config(); placeholders whose types
    PostgreSQL can infer). Preparing a statement sent alone costs one more round trip the first
    time: reads sent once per connection (a page's) pass prepare=False. On other databases (SQLite,
    the embedded demo) the statements are sent one at a time, with the same answers."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            answers = []
            for sql, params in statements:
                cursor.execute(sql, params)
                answers.append((cursor.rowcount, cursor.fetchall() if cursor.description else []))
            return answers
    import psycopg

    db.ensure_connection()
    raw = db.connection
    start = time.monotonic()
    # Server-side binding (Django's own cursors bind client-side); one statement goes without a
    # pipeline, which costs the worker about 300 µs a round trip.
    cursors = [psycopg.Cursor(raw) for _statement in statements]
    with db.wrap_database_errors, raw.pipeline() if len(statements) > 1 else contextlib.nullcontext():
        for bound, (sql, params) in zip(cursors, statements, strict=True):
            bound.execute(sql, params, prepare=prepare)
    if db.queries_logged:  # as Django's debug cursor logs its statements
        db.queries_log.append({"sql": ";\n".join(sql for sql, _params in statements), "time": f"{time.monotonic() - start:.3f}"})
    # (a result's status, not `description`, which builds the columns' descriptions)
    tuples = psycopg.pq.ExecStatus.TUPLES_OK
    return [(bound.rowcount, bound.fetchall() if bound.pgresult and bound.pgresult.status == tuples else []) for bound in cursors]


def insert_statement(obj: Model) -> tuple[str, list]:
    """The INSERT that `obj.save()` would send for a new row (its primary key drawn by the database
    when unset). The instance's pk stays unset.

    The statement's text depends only on the model and its columns: Django composes it once per
    process (as a prepared statement is parsed once per connection); each call computes only the
    parameters, as Django's insert compiler does (`pre_save`, then `get_db_prep_save`). A value that
    is an expression is compiled whole, every time."""
    db = connections[DEFAULT_DB_ALIAS]
    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if not (f is meta.auto_field and obj.pk is None)]
    values = [f.pre_save(obj, True) for f in fields]
    plain = not any(hasattr(v, "resolve_expression") for v in values)
    key = ("insert", db.alias, type(obj), tuple(f.attname for f in fields))
    sql = _TEXTS.get(key) if plain else None
    if sql is None:
        query = InsertQuery(type(obj))
        query.insert_values(fields, [obj])
        ((sql, params),) = query.get_compiler(connection=db).as_sql()
        if plain:
            _TEXTS[key] = sql
        return sql, list(params)
    return sql, [f.get_db_prep_save(v, connection=db) for f, v in zip(fields, values, strict=True)]


# The text of the statements composed by insert_statement and update_row_statement, per process.
_TEXTS: dict[tuple, str] = {}


def update_statement(queryset: QuerySet, **values) -> tuple[str, list]:
    """The UPDATE that `queryset.update(**values)` would send (one table, no related updates)."""
    db = connections[DEFAULT_DB_ALIAS]
    query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
    query.add_update_values(values)
    sql, params = query.get_compiler(connection=db).as_sql()
    return sql, list(params)


def update_row_statement(model: type[Model], pk, **values) -> tuple[str, list]:
    """The UPDATE of one row by primary key that `Model.objects.filter(pk=pk).update(**values)`
    would send, its text composed by Django once per process for the same columns (and the same
    values set to NULL, which Django writes into the text); each call computes the parameters as
    Django's update compiler does (`get_db_prep_save`). A value that is an expression (or a model
    instance) is compiled whole, every time."""
    db = connections[DEFAULT_DB_ALIAS]
    fields = [cast(Field, model._meta.get_field(name)) for name in values]
    plain = not any(hasattr(v, "resolve_expression") or hasattr(v, "prepare_database_save") for v in values.values())
    key = ("update", db.alias, model, tuple(values), tuple(v is None for v in values.values()))
    sql = _TEXTS.get(key) if plain else None
    if sql is None:
        sql, params = update_statement(model._default_manager.filter(pk=pk), **values)
        if plain:
            _TEXTS[key] = sql
        return sql, params
    params = [f.get_db_prep_save(v, connection=db) for f, v in zip(fields, values.values(), strict=True) if v is not None]
    return sql, [*params, model._meta.pk.get_db_prep_value(pk, db)]


def update_row_with_history_statements(
    model: type[Model], pk, *, when, also: tuple[str, list] | None = None, **values
) -> list[tuple[str, list]]:
    """The UPDATE of update_row_statement(model, pk, **values); the history row
    django-simple-history writes after a save (a copy of the row as updated, with `when` as the
    history date and no user: a job's change); and `also`, one more INSERT or UPDATE (the audit
    row, say), if given. On PostgreSQL these are ONE statement (the copy taken from the UPDATE's
    RETURNING), cheaper for the driver and the backend than three — the payout run writes its
    bookkeeping so, once per county; elsewhere (SQLite) three, the copy read from the table."""
    db = connections[DEFAULT_DB_ALIAS]
    update_sql, params = update_row_statement(model, pk, **values)
    key = ("history", db.alias, model)
    texts = _TEXTS_HISTORY.get(key)
    if texts is None:
        texts = _TEXTS_HISTORY[key] = _history_copy(model, db)
    returning, insert, select, history_date = texts
    when = history_date.get_db_prep_save(when, db)  # as the ORM writes it (naive UTC on SQLite)
    meta = model._meta
    if db.vendor == "postgresql":
        sql = f"WITH changed AS ({update_sql} RETURNING {returning}), history AS ({insert} SELECT {select} FROM changed) "  # noqa: S608 - names from the models' metadata
        if also is None:
            return [(sql + "SELECT 1", [*params, when])]
        return [(sql + also[0], [*params, when, *also[1]])]
    qn = db.ops.quote_name
    copy = f"{insert} SELECT {select} FROM {qn(str(meta.db_table))} WHERE {qn(str(meta.pk.column))} = %s"  # noqa: S608 - names from the models' metadata
    return [(update_sql, params), (copy, [when, meta.pk.get_db_prep_value(pk, db)]), *([also] if also else [])]


# The texts of update_row_with_history_statements per model: the columns the UPDATE returns, the
# history table's INSERT and its SELECT list (the tracked columns, the history date, type and
# user), and the history date's field.
_TEXTS_HISTORY: dict[tuple, tuple[str, str, str, Field]] = {}


def _history_copy(model: type[Model], db) -> tuple[str, str, str, Field]:
    meta = model._meta
    history = meta.apps.get_model(meta.app_label, f"Historical{meta.object_name}")
    tracked = {f.attname: f for f in history.tracked_fields}
    qn = db.ops.quote_name
    columns, sources = [], []
    for field in history._meta.concrete_fields:
        if field.primary_key:
            continue  # history_id: drawn by the database
        if field.attname in tracked:
            sources.append(qn(str(cast(Field, meta.get_field(tracked[field.attname].name)).column)))
        elif field.attname == "history_date":
            sources.append("%s")
        elif field.attname == "history_type":
            sources.append("'~'")
        elif field.attname in ("history_user_id", "history_change_reason"):
            sources.append("NULL")
        else:
            raise ValueError(f"update_row_with_history_statements: {history.__name__}.{field.attname} is not known")
        columns.append(qn(str(field.column)))
    returning = ", ".join(qn(str(f.column)) for f in meta.concrete_fields if f.attname in tracked)
    insert = f"INSERT INTO {qn(str(history._meta.db_table))} ({', '.join(columns)})"
    return returning, insert, ", ".join(sources), cast(Field, history._meta.get_field("history_date"))


M = TypeVar("M", bound=Model)


class _Shape(NamedTuple):
    """A compiled query of one shape: its text, where each parameter comes from, and what building
    its instances takes (None: nothing can match, an empty `__in`, as Django answers it)."""

    sql: str
    slots: list[tuple[str, Any, Any]]
    reading: tuple | None


class CompiledQuery(Generic[M]):
    """A model queryset whose SQL Django composes once per process and that is then run again with
    other arguments, as a prepared statement (execute_batch) — for the few hot paths where Django
    building a small query costs more than the database answering it (the payout run's claim and
    standards, once per county). `build(*args)` gives the queryset: it is the one place the query
    is written, with the ORM's scoping and rules.

    The first call per shape (the lengths of list arguments, which arguments are None) builds the
    queryset with marker
    arguments and has Django compile it; each marker's place among the compiled parameters is where
    the argument goes from then on (a marker inside a text parameter is a LIKE pattern, as
    `startswith` builds: the argument goes there escaped as Django escapes it). Arguments are
    plain values the database takes as they are: ints, texts, dates, lists of them (`__in`), and
    None (given to `build` as it is: a shape of its own).
    `rows(*args)` answers the model instances (with their select_related objects) that
    `list(build(*args))` would. Elsewhere than on PostgreSQL it is simply `list(build(*args))`."""

    def __init__(self, build: Callable[..., QuerySet[M]]):
        self.build = build
        self._shapes: dict[tuple, _Shape] = {}

    def rows(self, *args) -> list[M]:
        db = connections[DEFAULT_DB_ALIAS]
        if db.vendor != "postgresql":
            return list(self.build(*args))
        sql, params, shape = self.statement(*args)
        if shape.reading is None:
            return []
        ((_count, raw),) = execute_batch([(sql, params)])
        return self.instances(shape, raw)

    def statement(self, *args) -> tuple[str, list, _Shape]:
        """The SQL and parameters for `args`, and the shape to give instances() with the rows."""
        db = connections[DEFAULT_DB_ALIAS]
        key = (db.alias, tuple(("list", len(a)) if isinstance(a, list | tuple) else ("none",) if a is None else () for a in args))
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = self._compile(args)
        params = []
        for kind, where, constant in shape.slots:
            if kind == "const":
                params.append(constant)
            elif kind == "arg":
                i, j = where
                params.append(args[i] if j is None else args[i][j])
            else:  # "like": the marker inside a pattern
                i, j, marker = where
                value = args[i] if j is None else args[i][j]
                params.append(constant.replace(marker, db.ops.prep_for_like_query(value)))
        return shape.sql, params, shape

    def _compile(self, args) -> _Shape:
        db = connections[DEFAULT_DB_ALIAS]
        markers: dict[Any, tuple[int, int | None]] = {}
        texts: dict[str, tuple[int, int | None]] = {}
        count = 0

        def marker(value, i, j):
            nonlocal count
            count += 1
            if isinstance(value, bool | datetime.datetime) or not isinstance(value, int | str | datetime.date):
                raise TypeError(f"CompiledQuery takes ints, texts and dates (and lists of them), not {type(value).__name__}")
            if isinstance(value, int):
                m: Any = -1_999_999_000 - count  # inside any integer column's range (Django refuses others)
            elif isinstance(value, str):
                m = f"\x01marker{count}\x01"
                texts[m] = (i, j)
            else:
                m = datetime.date(1, 1, 1) + datetime.timedelta(days=count)
            markers[m] = (i, j)
            return m

        marked = [
            [marker(v, i, j) for j, v in enumerate(a)] if isinstance(a, list | tuple) else None if a is None else marker(a, i, None)
            for i, a in enumerate(args)
        ]
        compiler = self.build(*marked).query.get_compiler(connection=db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return _Shape("", [], None)
        slots: list[tuple[str, Any, Any]] = []
        seen = set()
        for p in params:
            if type(p) in (int, str, datetime.date) and p in markers:
                slots.append(("arg", markers[p], None))
                seen.add(markers[p])
                continue
            inside = [m for m in texts if isinstance(p, str) and m in p]
            if inside:
                (m,) = inside
                slots.append(("like", (*texts[m], m), p))
                seen.add(texts[m])
                continue
            slots.append(("const", None, p))
        if len(seen) != count:
            raise ValueError("CompiledQuery: an argument is not a parameter of the compiled query as given")
        return _Shape(sql, slots, _reading(compiler, db.alias))

    @staticmethod
    def instances(shape: _Shape, raw: list) -> list[Any]:
        """The rows of the statement as model instances, as django.db.models.query.ModelIterable
        builds them (converters, select_related objects)."""
        db = connections[DEFAULT_DB_ALIAS]
        assert shape.reading is not None  # rows() answers an empty shape without a statement
        model, names, start, end, populators, converters, compiler = shape.reading
        rows = compiler.apply_converters(raw, converters) if converters else raw
        out = []
        for row in rows:
            obj = model.from_db(db.alias, names, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            out.append(obj)
        return out


def _reading(compiler, alias: str) -> tuple:
    """What ModelIterable works out from a compiled query to build its instances, worked out once."""
    from django.db.models.query import get_related_populators

    select, klass_info = compiler.select, compiler.klass_info
    if klass_info is None:  # a .values() query: rows, not instances
        return (None, [], 0, 0, [], [], compiler)
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    names = [f[0].target.attname for f in select[start:end]]
    populators = get_related_populators(klass_info, select, alias)  # type: ignore[call-arg]  # (the stubs follow a later Django)
    converters = compiler.get_converters([s[0] for s in select])
    return (klass_info["model"], names, start, end, populators, converters, compiler)
