"""A complete set of records for one region, every one with the same primary key.

Path parameters of any URL can then be filled with that one key (900001 for the other county,
900002 for our own): whatever model a URL is about, the key names a record of the wanted
region. Models added later are filled in by introspection (required fields get plain values,
foreign keys point at the records made before), so new endpoints are covered automatically.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from tests.factories import ChildFactory, GuardianFactory, UserFactory, id_number_for
from welfare.idnumber import mask_id_number
from welfare.models import AuditLog, Region, User
from welfare.roles import Role

APPS = ("welfare", "cases", "benefits", "institutions")
# Not people's records, or written only by the machinery itself.
SKIP_MODELS = {Region, AuditLog}


@dataclass
class World:
    pk: int
    marker: str
    child: object = None
    guardian: object = None
    user: object = None
    objects: dict = field(default_factory=dict)  # model -> instance
    money: list = field(default_factory=list)  # figures of the region's budget (benefits/budget)
    skipped: dict = field(default_factory=dict)  # model -> reason

    def secrets(self) -> list[str]:
        """Strings that must never reach someone outside this region."""
        out = [
            self.marker,
            self.child.name,
            self.child.id_number,
            mask_id_number(self.child.id_number),
            self.guardian.name,
        ]
        if self.guardian.id_number:
            out.append(self.guardian.id_number)
        return out + self.money


def _region_for(fld: models.ForeignKey, regions) -> Region:
    name = fld.name
    if name == "county" or name.endswith("_county"):
        return regions["county"]
    if name in ("received_region",):
        return regions["township"]
    return regions["village"]


def _value_for(fld, world: World, regions, marker: str):
    if isinstance(fld, models.ForeignKey):
        target = fld.related_model
        if target is Region:
            return _region_for(fld, regions)
        if target is User or issubclass(target, User):
            return world.user
        if target in world.objects:
            return world.objects[target]
        raise LookupError(f"needs a {target.__name__} first")
    if fld.choices:
        return fld.choices[0][0]
    if fld.name == "school_year":  # grants (benefits/grants): two consecutive years holding 2024-06-01
        return "2023-2024"
    if isinstance(fld, models.GenericIPAddressField):
        return "10.9.9.9"
    if isinstance(fld, models.EmailField):
        return "other@example.org"
    if isinstance(fld, (models.CharField, models.TextField)):
        text = marker
        return text[: fld.max_length] if fld.max_length else text
    if isinstance(fld, models.DateTimeField):
        return timezone.now()
    if isinstance(fld, models.DateField):
        return datetime.date(2024, 6, 1)
    if isinstance(fld, models.DecimalField):
        return Decimal("100.00")
    if isinstance(fld, models.BooleanField):
        return False
    if isinstance(fld, (models.IntegerField, models.FloatField)):
        return 1
    if isinstance(fld, models.UUIDField):
        import uuid

        return uuid.uuid5(uuid.NAMESPACE_URL, marker)
    if isinstance(fld, models.JSONField):
        return {}
    if isinstance(fld, models.BinaryField):
        return marker.encode()
    raise LookupError(f"no value for {type(fld).__name__}")


def _derived_key(model) -> bool:
    """Models whose primary key is their guarantee, derived from their own columns (a payout's
    child and month, a grant line's student, school year and instalment: save() computes it, a
    CHECK constraint holds it): made under that key, not the world's."""
    from benefits.grants.models import GrantPayout
    from benefits.payouts.models import Payout

    return model in (Payout, GrantPayout)


def _generic_create(model, world: World, regions, marker: str):
    kwargs = {} if _derived_key(model) else {"pk": world.pk}
    for fld in model._meta.concrete_fields:
        if fld.primary_key or fld.auto_created:
            continue
        required = (
            not fld.null
            and not fld.has_default()
            and not getattr(fld, "auto_now", False)
            and not getattr(fld, "auto_now_add", False)
        )
        is_text = isinstance(fld, (models.CharField, models.TextField)) and not fld.choices and not fld.unique
        is_text = is_text or isinstance(fld, models.DecimalField)  # amounts: fills "amount or refers to"
        if isinstance(fld, models.ForeignKey):
            try:
                kwargs[fld.name] = _value_for(fld, world, regions, marker)
            except LookupError:
                if required:
                    raise
        elif required or is_text:
            kwargs[fld.name] = _value_for(fld, world, regions, marker)
    with transaction.atomic():
        return model.objects.create(**kwargs)


def build_world(*, regions: dict, pk: int, marker: str, child_name: str, username: str) -> World:
    """Records of every model in `regions` ({"county", "township", "village"}), all with `pk`."""
    world = World(pk=pk, marker=marker)
    world.user = UserFactory(
        id=pk, username=username, role=Role.VILLAGE_DIRECTOR, region=regions["village"], first_name=marker[:30]
    )
    world.child = ChildFactory(
        id=pk,
        region=regions["village"],
        name=child_name,
        health_notes=f"{marker} health",
        disability_notes=marker,
        school=marker,
    )
    world.guardian = GuardianFactory(
        id=pk,
        child=world.child,
        name=f"{child_name}的外婆",
        id_number=id_number_for(regions["village"], datetime.date(1960, 5, 5), "F"),
    )
    world.objects[type(world.child)] = world.child
    world.objects[type(world.guardian)] = world.guardian
    world.objects[User] = world.user
    pending = [
        m
        for label in APPS
        for m in apps.get_app_config(label).get_models()
        if m not in SKIP_MODELS and m not in world.objects and not m.__name__.startswith("Historical")
    ]
    # Models whose foreign keys point at other pending models are made after them.
    for _round in range(6):
        still = []
        for model in pending:
            try:
                world.objects[model] = _generic_create(model, world, regions, f"{marker}-{model.__name__}")
            except LookupError as exc:
                world.skipped[model] = str(exc)
                still.append(model)
            except (IntegrityError, ValueError, TypeError) as exc:
                world.skipped[model] = f"{type(exc).__name__}: {exc}"[:200]
        if not still or len(still) == len(pending):
            break
        pending = still
    for model in world.objects:
        world.skipped.pop(model, None)
    _budget_marker(world)
    return world


# The monthly amount of the world's standard: its enrollment is paid (and projected by the
# budget, benefits/budget) at this figure, which must never show outside the region.
MONEY_MARKER = Decimal("8765.43")


def _budget_marker(world: World) -> None:
    from benefits.standards.models import WelfareStandard

    standard = world.objects.get(WelfareStandard)
    if standard is not None and standard.monthly_amount is not None:
        WelfareStandard.objects.filter(pk=standard.pk).update(monthly_amount=MONEY_MARKER)
        standard.monthly_amount = MONEY_MARKER
        world.money = [str(MONEY_MARKER), f"{MONEY_MARKER:,}"]


def other_regions(regions) -> dict:
    return {"county": regions.other_county, "township": regions.other_township, "village": regions.other_village}


def own_regions(regions) -> dict:
    return {"county": regions.county, "township": regions.township, "village": regions.village}
