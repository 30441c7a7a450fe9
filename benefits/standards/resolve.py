"""Resolution of allowance standards (pure reads, used by services and the payout run).

A standard applies on the first day of a month at the most specific region on a path
(village → township → county → city → province). "Refers to" another category is resolved on the
same path and month. Provincial (or city) minimums act as a floor and as the fallback when no
ordinary standard exists on the path.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from benefits.standards.models import WelfareStandard
from cases.children.categories import Category
from welfare.batch import CompiledQuery
from welfare.months import month_start

# Adopted disabled orphans keep support at the scattered-orphan standard (Anhui) when no
# standard of their own is set.
DEFAULT_REFERS: dict[str, str] = {Category.ADOPTED_DISABLED_ORPHAN: Category.ORPHAN_SCATTERED}


class StandardMissing(Exception):
    pass


class StandardCycle(Exception):
    pass


@dataclass(frozen=True)
class Resolved:
    amount: Decimal
    standard: WelfareStandard  # the version whose amount is paid
    via: WelfareStandard | None = None  # the category's own "refers to" version, when there is one


def path_codes(path: str) -> list[str]:
    return [c for c in path.split("/") if c]


def _standards(codes: list[str], on: datetime.date, below: str | None = None):
    """The standards set for the regions of `codes` (and, given `below`, a path, for any region
    under it) in force from `on` or earlier, oldest first, with their region."""
    where = Q(region__code__in=codes)
    if below is not None:
        where |= Q(region__path__startswith=below)
    return WelfareStandard.objects.filter(where, effective_from__lte=on).select_related("region").order_by("effective_from", "id")


# Composed once per process (the payout run reads them once per county: welfare.batch.CompiledQuery).
_ROWS = CompiledQuery(_standards)


class StandardBook:
    """The standards in force on one date for a set of region paths, loaded in one query."""

    def __init__(
        self,
        *,
        on: datetime.date,
        paths: Iterable[str],
        below: str | None = None,
        rows: Iterable[WelfareStandard] | None = None,
    ):
        """`below`, a region's path: also load the standards in force set for regions under it, and
        say in `below_found` whether there is one (the payout run's test of whether one amount per
        category serves the whole county), in the same query. `rows`: the standards of the paths
        already read (`_rows`, for a date on or after `on`)."""
        self.on = on
        if rows is None:
            rows = self._rows(on=on, paths=paths, below=below)
        self.latest: dict[tuple[str, str, bool], WelfareStandard] = {}
        self.below_found = False
        for s in rows:  # later versions overwrite earlier ones
            if s.effective_from <= on:
                self.latest[(s.region.code, s.category, s.is_minimum)] = s
                if below is not None and s.region.path != below and s.region.path.startswith(below):
                    self.below_found = True

    @staticmethod
    def _rows(*, on: datetime.date, paths: Iterable[str], below: str | None = None) -> list[WelfareStandard]:
        codes: set[str] = set()
        for p in paths:
            codes.update(path_codes(p))
        return _ROWS.rows(sorted(codes), on, below)

    @classmethod
    def on_dates(cls, *, dates: Iterable[datetime.date], paths: Iterable[str]) -> list["StandardBook"]:
        """A book for each of `dates`, loaded in one query."""
        dates, paths = list(dates), list(paths)
        rows = cls._rows(on=max(dates), paths=paths)
        return [cls(on=day, paths=paths, rows=rows) for day in dates]

    def _nearest(self, codes: list[str], category: str, minimum: bool) -> WelfareStandard | None:
        for code in reversed(codes):
            s = self.latest.get((code, category, minimum))
            if s is not None:
                return s
        return None

    def floor(self, codes: list[str], category: str) -> WelfareStandard | None:
        """The highest minimum in force on the path ("not lower than")."""
        best: WelfareStandard | None = None
        for code in codes:
            s = self.latest.get((code, category, True))
            if s is None or s.monthly_amount is None:
                continue
            if best is None or best.monthly_amount is None or s.monthly_amount > best.monthly_amount:
                best = s
        return best

    def resolve(self, codes: list[str], category: str, *, apply_floor: bool = True, _seen: tuple = ()) -> Resolved:
        if category in _seen:
            chain = " → ".join(str(Category(c).label) for c in (*_seen, category))
            raise StandardCycle(_("The standards refer to each other in a circle: %(chain)s.") % {"chain": chain})
        own = self._nearest(codes, category, False) or self._nearest(codes, category, True)
        if own is None:
            target = DEFAULT_REFERS.get(category)
            if target is None:
                raise StandardMissing(
                    _("No standard for %(category)s is in force on %(date)s.")
                    % {"category": Category(category).label, "date": self.on.isoformat()}
                )
            result = self.resolve(codes, target, apply_floor=apply_floor, _seen=(*_seen, category))
        elif own.refers_to:
            inner = self.resolve(codes, own.refers_to, apply_floor=apply_floor, _seen=(*_seen, category))
            result = Resolved(inner.amount, inner.standard, own)
        else:
            assert own.monthly_amount is not None
            result = Resolved(own.monthly_amount, own, None)
        if apply_floor:
            floor = self.floor(codes, category)
            if floor is not None and floor.monthly_amount is not None and floor.monthly_amount > result.amount:
                result = Resolved(floor.monthly_amount, floor, result.via)
        return result


def standard_resolve(*, region, category: str, on: datetime.date) -> Resolved:
    """The standard paid for a child of `region` in the month of `on` (first day of the month)."""
    first = month_start(on)
    book = StandardBook(on=first, paths=[region.path])
    return book.resolve(path_codes(region.path), category)
