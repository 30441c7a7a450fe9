"""Standards: effective dating, refers-to, resolution on the path, minimums, raises (DOMAIN.md figures)."""

import datetime
from decimal import Decimal

import pytest

from benefits.standards.models import WelfareStandard
from benefits.standards.resolve import standard_resolve
from benefits.standards.services import standard_create, standard_raise
from tests.benefits.helpers import std
from tests.factories import RegionFactory
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import Region

D = datetime.date


def amount(region, category, on):
    return standard_resolve(region=region, category=category, on=on).amount


@pytest.fixture
def zaozhuang(regions):
    """Zaozhuang's 2020 standards at the city: de facto and HIV-affected refer to scattered orphans."""
    city = regions.city
    std(city, "orphan_institution", 1760, on="2020-01-01", document="枣民发〔2019〕")
    std(city, "orphan_scattered", 1400, on="2020-01-01")
    std(city, "key_difficulty", 980, on="2020-01-01")
    std(city, "de_facto_unsupported", refers_to="orphan_scattered", on="2020-01-01")
    std(city, "hiv_affected", refers_to="orphan_scattered", on="2020-01-01")
    return city


def test_it_raises_zaozhuang_2021_and_refers_to_categories_follow(zaozhuang, regions, city_official):
    for category, step in (("orphan_institution", 240), ("orphan_scattered", 200), ("key_difficulty", 120)):
        standard_raise(
            by=city_official, regions=[zaozhuang], categories=[category], amount=step,
            effective_from=D(2021, 1, 1), rounding="yuan", document="枣民发〔2020〕",
        )
    village = regions.village
    assert amount(village, "orphan_institution", D(2020, 12, 1)) == Decimal("1760.00")
    assert amount(village, "orphan_institution", D(2021, 1, 1)) == Decimal("2000.00")
    assert amount(village, "orphan_scattered", D(2021, 1, 1)) == Decimal("1600.00")
    assert amount(village, "de_facto_unsupported", D(2020, 12, 1)) == Decimal("1400.00")
    assert amount(village, "de_facto_unsupported", D(2021, 1, 1)) == Decimal("1600.00")
    assert amount(village, "hiv_affected", D(2021, 6, 1)) == Decimal("1600.00")
    assert amount(village, "key_difficulty", D(2021, 1, 1)) == Decimal("1100.00")
    # Old versions are never edited; refers-to versions are not copied.
    assert WelfareStandard.objects.filter(region=zaozhuang).count() == 8
    assert WelfareStandard.objects.get(region=zaozhuang, category="orphan_scattered", effective_from=D(2020, 1, 1)).monthly_amount == 1400


def test_it_applies_a_raise_effective_mid_year_from_that_month(zaozhuang, regions, city_official):
    standard_raise(by=city_official, regions=[zaozhuang], categories=["orphan_scattered"], percent="10",
                   effective_from=D(2021, 7, 1), rounding="yuan")
    assert amount(regions.village, "orphan_scattered", D(2021, 6, 1)) == Decimal("1400.00")
    assert amount(regions.village, "orphan_scattered", D(2021, 7, 1)) == Decimal("1540.00")
    # A date inside the month counts from the first day of that month.
    assert amount(regions.village, "orphan_scattered", D(2021, 7, 31)) == Decimal("1540.00")


def test_it_raises_ningxia_by_fixed_amounts(db):
    nx = RegionFactory(code="640000", name="宁夏回族自治区", level=Region.Level.PROVINCE)
    admin = None
    std(nx, "orphan_institution", 1500, on="2024-01-01")
    std(nx, "orphan_scattered", 1000, on="2024-01-01")
    std(nx, "de_facto_unsupported", 1000, on="2024-01-01")
    standard_raise(by=admin, regions=[nx], categories=["orphan_institution"], amount=100, effective_from=D(2025, 1, 1))
    new = standard_raise(by=admin, regions=[nx], categories=["orphan_scattered", "de_facto_unsupported"], amount=200, effective_from=D(2025, 1, 1))
    assert len(new) == 2
    assert amount(nx, "orphan_institution", D(2025, 1, 1)) == Decimal("1600.00")
    assert amount(nx, "orphan_scattered", D(2025, 1, 1)) == Decimal("1200.00")
    assert amount(nx, "de_facto_unsupported", D(2025, 1, 1)) == Decimal("1200.00")


def test_it_reproduces_the_national_average_of_scattered_orphans_with_a_percent_raise_to_the_jiao(db):
    cn = RegionFactory(code="110000", name="Average", level=Region.Level.PROVINCE)
    std(cn, "orphan_scattered", "1439.9", on="2023-07-01")
    std(cn, "orphan_institution", "1885.4", on="2023-07-01")
    std(cn, "de_facto_unsupported", "1428.9", on="2023-07-01")
    standard_raise(by=None, regions=[cn], categories=["orphan_scattered"], percent="5.0", effective_from=D(2024, 7, 1), rounding="jiao")
    assert amount(cn, "orphan_scattered", D(2024, 7, 1)) == Decimal("1511.90")
    # The reported averages, as fixed-amount raises, and their rounded growth rates (4.5 % / 5.0 % / 5.1 %
    # in the report: the average of many local raises, so rates are shown to one decimal, truncated).
    standard_raise(by=None, regions=[cn], categories=["orphan_institution"], amount="86.0", effective_from=D(2024, 7, 1), rounding="jiao")
    standard_raise(by=None, regions=[cn], categories=["de_facto_unsupported"], amount="71.8", effective_from=D(2024, 7, 1), rounding="jiao")
    assert amount(cn, "orphan_institution", D(2024, 7, 1)) == Decimal("1971.40")
    assert amount(cn, "de_facto_unsupported", D(2024, 7, 1)) == Decimal("1500.70")
    growth = (Decimal("1971.4") / Decimal("1885.4") - 1) * 100
    assert growth.quantize(Decimal("0.1"), rounding="ROUND_DOWN") == Decimal("4.5")


def test_it_rounds_a_percent_raise_to_the_yuan(db):
    p = RegionFactory(code="120000", name="P", level=Region.Level.PROVINCE)
    std(p, "orphan_institution", "1885.4", on="2023-01-01")
    [new] = standard_raise(by=None, regions=[p], categories=["orphan_institution"], percent="4.5", effective_from=D(2024, 1, 1), rounding="yuan")
    assert new.monthly_amount == Decimal("1970.00")  # 1970.243 → 1970


@pytest.fixture
def guangdong(db):
    gd = RegionFactory(code="440000", name="广东省", level=Region.Level.PROVINCE)
    gz = RegionFactory(code="440100", name="广州市", level=Region.Level.CITY, parent=gd)
    county = RegionFactory(code="440103", name="荔湾区", level=Region.Level.COUNTY, parent=gz)
    std(gd, "orphan_institution", 1685, on="2019-01-01", minimum=True, document="粤民发〔2019〕")
    std(gd, "orphan_scattered", 1025, on="2019-01-01", minimum=True)
    return gd, gz, county


def test_it_raises_guangdong_minimums_2019_to_2020_and_refuses_lower_standards(guangdong):
    gd, gz, county = guangdong
    standard_raise(by=None, regions=[gd], categories=["orphan_institution"], amount=135, effective_from=D(2020, 1, 1))
    standard_raise(by=None, regions=[gd], categories=["orphan_scattered"], amount=85, effective_from=D(2020, 1, 1))
    assert amount(county, "orphan_institution", D(2019, 12, 1)) == Decimal("1685.00")
    assert amount(county, "orphan_institution", D(2020, 1, 1)) == Decimal("1820.00")
    assert amount(county, "orphan_scattered", D(2020, 1, 1)) == Decimal("1110.00")
    with pytest.raises(ApplicationError) as exc:
        standard_create(by=None, region=gz, category="orphan_institution", monthly_amount="1700", effective_from=D(2020, 1, 1))
    assert "1820" in str(exc.value.message)
    assert not WelfareStandard.objects.filter(region=gz).exists()
    # At or above the minimum is accepted, and the more specific region wins.
    standard_create(by=None, region=gz, category="orphan_institution", monthly_amount="1900", effective_from=D(2020, 1, 1))
    assert amount(county, "orphan_institution", D(2020, 3, 1)) == Decimal("1900.00")
    # From 2020 de facto unsupported children get the local scattered-orphan standard.
    standard_create(by=None, region=gd, category="de_facto_unsupported", refers_to="orphan_scattered", effective_from=D(2020, 1, 1))
    assert amount(county, "de_facto_unsupported", D(2020, 1, 1)) == Decimal("1110.00")


def test_it_never_pays_below_a_minimum_raised_later(guangdong):
    gd, gz, county = guangdong
    standard_create(by=None, region=county, category="orphan_scattered", monthly_amount="1050", effective_from=D(2019, 6, 1))
    standard_raise(by=None, regions=[gd], categories=["orphan_scattered"], amount=85, effective_from=D(2020, 1, 1))
    resolved = standard_resolve(region=county, category="orphan_scattered", on=D(2020, 1, 1))
    assert resolved.amount == Decimal("1110.00")
    assert resolved.standard.is_minimum


def test_it_resolves_the_most_specific_region_on_the_path(regions):
    std(regions.province, "orphan_scattered", 1000)
    std(regions.city, "orphan_scattered", 1200)
    std(regions.county, "orphan_scattered", 1300)
    assert amount(regions.village, "orphan_scattered", D(2024, 1, 1)) == Decimal("1300.00")
    assert amount(regions.other_village, "orphan_scattered", D(2024, 1, 1)) == Decimal("1200.00")


def test_it_refuses_a_refers_to_cycle_and_changes_nothing(regions, city_official):
    std(regions.city, "orphan_scattered", refers_to="de_facto_unsupported", on="2020-01-01")
    std(regions.city, "de_facto_unsupported", 1400, on="2020-01-01")
    before = WelfareStandard.objects.count()
    with pytest.raises(ApplicationError) as exc:
        standard_create(by=city_official, region=regions.city, category="de_facto_unsupported",
                        refers_to="orphan_scattered", effective_from=D(2021, 1, 1))
    assert "circle" in str(exc.value.message)
    assert WelfareStandard.objects.count() == before


def test_it_refuses_a_cycle_formed_with_a_county_standard_below(regions, city_official):
    std(regions.county, "de_facto_unsupported", refers_to="orphan_scattered", on="2020-01-01")
    with pytest.raises(ApplicationError):
        standard_create(by=city_official, region=regions.city, category="orphan_scattered",
                        refers_to="de_facto_unsupported", effective_from=D(2021, 1, 1))


@pytest.mark.parametrize("value", ["-1", "abc", "NaN"])
def test_it_refuses_a_bad_amount_with_a_clear_message(regions, city_official, value):
    with pytest.raises(ApplicationError) as exc:
        standard_create(by=city_official, region=regions.city, category="orphan_scattered", monthly_amount=value, effective_from=D(2024, 1, 1))
    assert "monthly_amount" in exc.value.field_errors
    assert not WelfareStandard.objects.exists()


def test_it_refuses_standards_outside_ones_area(regions, outsider):
    with pytest.raises(PermissionDeniedError):
        standard_create(by=outsider, region=regions.county, category="orphan_scattered", monthly_amount="1600", effective_from=D(2024, 1, 1))


def test_it_refuses_a_second_version_on_the_same_date(regions, city_official):
    std(regions.city, "orphan_scattered", 1400, on="2024-01-01")
    with pytest.raises(ApplicationError):
        standard_create(by=city_official, region=regions.city, category="orphan_scattered", monthly_amount="1500", effective_from=D(2024, 1, 1))


def test_it_pays_adopted_disabled_orphans_the_scattered_standard_by_default(regions):
    std(regions.city, "orphan_scattered", 1600)
    assert amount(regions.village, "adopted_disabled_orphan", D(2024, 1, 1)) == Decimal("1600.00")
