"""factory_boy factories for the whole suite."""

import datetime
import itertools

import factory

from cases.checks.models import Check
from cases.children.models import CategoryMembership, Child, Guardian
from institutions.models import Institution, Staff
from welfare.idnumber import make_id_number
from welfare.models import Region, User
from welfare.roles import Role

_seq = itertools.count(1)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{990000 + n}")
    name = factory.Sequence(lambda n: f"Region {n}")
    level = Region.Level.COUNTY
    parent = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.VILLAGE_DIRECTOR
    region = None
    password = factory.PostGenerationMethodCall("set_password", "Pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def id_number_for(region: Region, birth: datetime.date, sex: str = "M") -> str:
    return make_id_number(region.code[:6], birth, next(_seq), sex)


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    name = factory.Sequence(lambda n: f"Child {n}")
    sex = "M"
    birth_date = datetime.date(2015, 3, 14)
    region = None
    household_region = factory.SelfAttribute("region")
    registered_on = datetime.date(2024, 1, 10)
    id_number = factory.LazyAttribute(lambda o: id_number_for(o.region, o.birth_date, o.sex))


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    child = factory.SubFactory(ChildFactory)
    name = factory.Sequence(lambda n: f"Guardian {n}")
    relation = Guardian.Relation.GRANDPARENT
    phone = "13800000000"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CategoryMembership

    child = factory.SubFactory(ChildFactory)
    category = "left_behind"
    start_date = datetime.date(2024, 1, 10)


class CheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Check

    child = factory.SubFactory(ChildFactory)
    checked_on = datetime.date(2024, 6, 1)
    kind = Check.Kind.ROUTINE
    risk_level = Check.RiskLevel.LOW


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"Institution {n}")
    kind = Institution.Kind.WELFARE
    capacity = 100


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    name = factory.Sequence(lambda n: f"Staff {n}")
    position = Staff.Position.CHILD_DIRECTOR
