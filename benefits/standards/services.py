"""Writes of allowance standards: a new version (refused below a minimum in force or when a
"refers to" would loop) and a raise by a percentage or a fixed amount with a rounding rule.
The only place their rules live."""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from benefits.standards.models import WelfareStandard
from benefits.standards.resolve import StandardBook, StandardCycle, StandardMissing, path_codes
from cases.children.categories import PAID_CATEGORIES
from welfare.audit import audit_record
from welfare.errors import field_error
from welfare.models import Region
from welfare.roles import Action, require
from welfare.scoping import require_in_scope

STANDARD_LEVELS = (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY)


ROUNDING = {"yuan": Decimal("1"), "jiao": Decimal("0.1")}


def _money(value, *, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        raise field_error(field, _("Enter an amount in yuan, for example 1600.00.")) from None
    if not amount.is_finite() or abs(amount) >= Decimal("100000000"):
        raise field_error(field, _("Enter an amount in yuan, for example 1600.00."))
    return amount


def _check_no_cycles(*, region: Region, on: datetime.date) -> None:
    """Resolve every paid category at the region and every region beneath it that has standards,
    on `on` and on every later date a version takes effect: a circle of "refers to" is refused."""
    sub_paths = set(
        WelfareStandard.objects.filter(region__path__startswith=region.path).values_list("region__path", flat=True)
    ) | {region.path}
    codes: set[str] = set()
    for p in sub_paths:
        codes.update(path_codes(p))
    dates = {on} | set(
        WelfareStandard.objects.filter(region__code__in=codes, effective_from__gt=on).values_list("effective_from", flat=True)
    )
    for day in sorted(dates):
        book = StandardBook(on=day, paths=sub_paths)
        for p in sub_paths:
            for category in PAID_CATEGORIES:
                try:
                    book.resolve(path_codes(p), category, apply_floor=False)
                except StandardMissing:
                    pass
                except StandardCycle as exc:
                    raise field_error("refers_to", str(exc)) from None


def _check_minimum(*, standard: WelfareStandard) -> None:
    """An ordinary standard below a minimum in force on the region's path is refused."""
    if standard.is_minimum or standard.monthly_amount is None:
        return
    book = StandardBook(on=standard.effective_from, paths=[standard.region.path])
    floor = book.floor(path_codes(standard.region.path), standard.category)
    if floor is not None and floor.monthly_amount is not None and standard.monthly_amount < floor.monthly_amount:
        raise field_error(
            "monthly_amount",
            _("%(amount)s is below the minimum of %(minimum)s yuan set by %(region)s (%(document)s) in force from %(date)s.")
            % {
                "amount": standard.monthly_amount,
                "minimum": floor.monthly_amount,
                "region": floor.region.name,
                "document": floor.document or "-",
                "date": floor.effective_from.isoformat(),
            },
        )


@transaction.atomic
def standard_create(
    *,
    by,
    region: Region,
    category: str,
    effective_from: datetime.date,
    monthly_amount=None,
    refers_to: str | None = None,
    document: str = "",
    is_minimum: bool = False,
    _audit: bool = True,
) -> WelfareStandard:
    """Add a version of a standard. Old versions are never edited: a change is a new version."""
    if by is not None:
        require(by, Action.SET_STANDARDS)
        require_in_scope(by, region)
    if region.level not in STANDARD_LEVELS:
        raise field_error("region", _("Standards are set by a province, city or county."))
    if category not in PAID_CATEGORIES:
        raise field_error("category", _("Only paid categories have an allowance standard."))
    refers_to = refers_to or None
    if (monthly_amount in (None, "")) == (refers_to is None):
        raise field_error("monthly_amount", _("Give either a monthly amount or the category it refers to, not both."))
    amount = None
    if refers_to is not None:
        if refers_to not in PAID_CATEGORIES:
            raise field_error("refers_to", _("A standard can only refer to another paid category."))
        if refers_to == category:
            raise field_error("refers_to", _("A standard cannot refer to its own category."))
        if is_minimum:
            raise field_error("refers_to", _("A minimum needs an amount."))
    else:
        amount = _money(monthly_amount, field="monthly_amount")
        if amount < 0:
            raise field_error("monthly_amount", _("The monthly amount cannot be negative."))
    if is_minimum and region.level == Region.Level.COUNTY:
        raise field_error("is_minimum", _("Minimums are set by a province or city."))
    if not isinstance(effective_from, datetime.date):
        raise field_error("effective_from", _("Enter the date the standard takes effect."))
    if WelfareStandard.objects.filter(region=region, category=category, effective_from=effective_from, is_minimum=is_minimum).exists():
        raise field_error(
            "effective_from",
            _("There is already a version of this standard from %(date)s: versions are never edited, choose another date.")
            % {"date": effective_from.isoformat()},
        )
    standard = WelfareStandard(
        region=region,
        category=category,
        monthly_amount=amount,
        refers_to=refers_to,
        effective_from=effective_from,
        document=(document or "").strip()[:100],
        is_minimum=is_minimum,
        created_by=by if getattr(by, "pk", None) else None,
    )
    _check_minimum(standard=standard)
    try:
        with transaction.atomic():
            standard.save()
    except IntegrityError:
        raise field_error("effective_from", _("This version was saved a moment ago.")) from None
    if refers_to is not None:
        _check_no_cycles(region=region, on=effective_from)
    if _audit:
        audit_record(actor=by, action="standard.created", target=standard, detail={"category": category})
    return standard


def _versions_in_force(*, regions: list[Region], categories: list[str], on: datetime.date) -> dict[tuple[int, str, bool], WelfareStandard]:
    """The version in force on `on` of each region's own standard of each category, ordinary and
    minimum, by (region id, category, is_minimum): one query."""
    latest = (
        WelfareStandard.objects.filter(
            region=OuterRef("region"), category=OuterRef("category"), is_minimum=OuterRef("is_minimum"), effective_from__lte=on
        )
        .order_by("-effective_from", "-id")
        .values("id")[:1]
    )
    rows = WelfareStandard.objects.filter(
        region__in=regions, category__in=categories, effective_from__lte=on, id=Subquery(latest)
    )
    return {(s.region_id, s.category, s.is_minimum): s for s in rows}


def _round(value: Decimal, rounding: str) -> Decimal:
    return value.quantize(ROUNDING[rounding], rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def standard_raised_amount(*, current: Decimal, percent: Decimal | None = None, amount: Decimal | None = None, rounding: str = "yuan") -> Decimal:
    """The amount a raise gives a standard of `current` yuan: by `percent` (may be negative in a
    what-if, see benefits/budget) or by a fixed `amount`, rounded by `rounding` (yuan or jiao).
    The one rule of standard_raise and of the budget projection's what-if raise."""
    if percent is not None:
        return _round(current * (Decimal(1) + percent / Decimal(100)), rounding)
    assert amount is not None
    return _round(current + amount, rounding)


@transaction.atomic
def standard_raise(
    *,
    by,
    regions: list[Region],
    categories: list[str],
    effective_from: datetime.date,
    percent=None,
    amount=None,
    rounding: str = "yuan",
    document: str = "",
) -> list[WelfareStandard]:
    """Raise the standards of these regions and categories by a percentage or a fixed amount from
    a date (自然增长): a new version per standard, old versions untouched. Standards that refer
    to another category follow it automatically and are not copied. All or nothing."""
    if by is not None:
        require(by, Action.SET_STANDARDS)
    if (percent in (None, "")) == (amount in (None, "")):
        raise field_error("percent", _("Give either a percentage or an amount to raise by."))
    if rounding not in ROUNDING:
        raise field_error("rounding", _("Rounding is 'yuan' or 'jiao'."))
    if not regions:
        raise field_error("region", _("Choose at least one region."))
    if not categories:
        raise field_error("categories", _("Choose at least one category."))
    for c in categories:
        if c not in PAID_CATEGORIES:
            raise field_error("categories", _("Unknown or unpaid category: %(c)s") % {"c": c})
    step = _money(percent if amount in (None, "") else amount, field="percent" if amount in (None, "") else "amount")
    if step < 0:
        raise field_error("percent" if amount in (None, "") else "amount", _("A raise cannot be negative."))
    created: list[WelfareStandard] = []
    # The versions in force are read in one query; each new version is written by standard_create,
    # whose rules (one version per date, not below a minimum) it must pass.
    in_force = _versions_in_force(regions=regions, categories=categories, on=effective_from)
    for region in regions:
        if by is not None:
            require_in_scope(by, region)
        for category in categories:
            for minimum in (False, True):
                current = in_force.get((region.id, category, minimum))
                if current is None or current.monthly_amount is None:
                    continue  # nothing of its own here, or it refers to another category and follows it
                if amount in (None, ""):
                    new_amount = standard_raised_amount(current=current.monthly_amount, percent=step, rounding=rounding)
                else:
                    new_amount = standard_raised_amount(current=current.monthly_amount, amount=step, rounding=rounding)
                created.append(
                    standard_create(
                        by=by,
                        region=region,
                        category=category,
                        effective_from=effective_from,
                        monthly_amount=new_amount,
                        document=document,
                        is_minimum=minimum,
                        _audit=False,
                    )
                )
    if not created:
        raise field_error("categories", _("None of these regions has its own amount for these categories to raise."))
    audit_record(
        actor=by,
        action="standard.raised",
        record_count=len(created),
        detail={
            "regions": [r.code for r in regions],
            "categories": categories,
            "percent": str(percent) if percent not in (None, "") else None,
            "amount": str(amount) if amount not in (None, "") else None,
            "effective_from": effective_from.isoformat(),
        },
    )
    return created
