"""Several reads in one statement: the figures of a dashboard section are a handful of small
grouped counts, each cheap for the database; what a page pays for is the statements themselves
(a round trip each, and the work around it in Django and in the database backend). `read_together`
runs `.values()` querysets as ONE statement on PostgreSQL and answers what `list(queryset)` would
for each; on another database it runs them one by one.

How: each queryset's own SQL (the ORM's, scoping and rules included) becomes a scalar subquery
`(SELECT json_agg(t) FROM (<its SQL>) t)`, all of them in one `SELECT json_build_array(…)`. The rows
come back as JSON and take again the types the driver gives (numbers, text and booleans as JSON has
them; dates, timestamps and decimals by the queryset's output fields: a decimal never passes
through a float), then Django's converters run on them as on any query. Columns of other types
(JSON, time, interval, binary, UUID) are refused. Row order within a queryset is
not promised: a caller that needs an order sorts.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ValuesIterable

# PostgreSQL takes at most 100 arguments in a function call (json_build_array).
MAX_READS = 100


def _temporal(v):
    """A date or timestamp as JSON writes it, as the driver gives it (a timestamp with a time zone
    aware, one without naive)."""
    if not isinstance(v, str):
        return v
    return datetime.datetime.fromisoformat(v) if "T" in v else datetime.date.fromisoformat(v)


def _restorer(field) -> Callable[[Any], Any] | None:
    """How a JSON value of a column with this output field becomes what the driver would give
    (Django's own converters then run, as for any query)."""
    kind = field.get_internal_type()
    if kind in ("DateField", "DateTimeField"):
        return _temporal
    if kind == "DecimalField":
        return lambda v: Decimal(v) if isinstance(v, int) and not isinstance(v, bool) else v
    if kind == "FloatField":
        return lambda v: float(v) if v is not None else v
    if kind in ("JSONField", "TimeField", "DurationField", "BinaryField", "UUIDField"):
        raise TypeError(f"read_together does not read a {kind} column")
    return None


def _names(qs: QuerySet) -> list[str]:
    """The keys of a row of `qs`, as django.db.models.query.ValuesIterable names them."""
    query = qs.query
    if query.selected:
        return list(query.selected)
    return [*query.extra_select, *query.values_select, *query.annotation_select]


def read_together(querysets: Mapping[str, QuerySet]) -> dict[str, list[dict]]:
    """{name: rows} for {name: a `.values()` queryset}, every row a dict as `list(queryset)` gives
    it; one statement on PostgreSQL (all querysets of one database, at most MAX_READS)."""
    if not querysets:
        return {}
    for qs in querysets.values():
        if not issubclass(qs._iterable_class, ValuesIterable):
            raise TypeError("read_together reads .values() querysets")
    aliases = {qs.db for qs in querysets.values()}
    connection = connections[next(iter(aliases))]
    if connection.vendor != "postgresql" or len(aliases) > 1 or len(querysets) > MAX_READS:
        return {name: list(qs) for name, qs in querysets.items()}
    parts: list[str] = []
    params: list[Any] = []
    shapes: dict[str, tuple | None] = {}
    for name, qs in querysets.items():
        compiler = qs.query.get_compiler(using=qs.db)
        try:
            sql, sql_params = compiler.as_sql(with_col_aliases=True)
        except EmptyResultSet:  # .none(), an empty `__in`: no rows, as list() gives
            shapes[name] = None
            continue
        select = compiler.select[: compiler.col_count]
        columns = [(alias, _restorer(expr.output_field)) for expr, _sql, alias in select]
        converters = compiler.get_converters([expr for expr, _sql, _alias in select])
        shapes[name] = (compiler, _names(qs), columns, converters)
        parts.append(f"(SELECT coalesce(json_agg(t), '[]'::json) FROM ({sql}) t)")  # noqa: S608 - the ORM's SQL
        params.extend(sql_params)
    out: dict[str, list[dict]] = {name: [] for name, shape in shapes.items() if shape is None}
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT json_build_array({', '.join(parts)})::text", params)  # noqa: S608 - the ORM's SQL and %s placeholders only
            results = iter(json.loads(cursor.fetchone()[0], parse_float=Decimal))
        for name, shape in shapes.items():
            if shape is None:
                continue
            compiler, names, columns, converters = shape
            rows = [[restore(row[alias]) if restore else row[alias] for alias, restore in columns] for row in next(results)]
            if converters:
                rows = list(compiler.apply_converters(rows, converters))
            out[name] = [dict(zip(names, row, strict=True)) for row in rows]
    return {name: out[name] for name in querysets}
