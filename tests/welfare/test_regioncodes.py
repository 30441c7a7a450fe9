"""Region codes as the official lists publish them (welfare.regioncodes): canonical, 12-digit
statistical and short 2- and 4-digit codes, made canonical by one function, in import_regions
and everywhere a code is taken."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from welfare.models import Region, User
from welfare.regioncodes import RegionCodeError, region_code_normalize

# Guizhou, Liupanshui, Zunyi's Suiyang county: the examples of the issue.
STATISTICAL = """code,name,level,parent
520000000000,贵州省,,
520300000000,遵义市,,520000000000
520324000000,正安县,,520300000000
520324100000,凤仪镇,,520324000000
520324100200,五星村,,520324100000
"""

SHORT = """code,name,level,parent
52,贵州省,province,
5203,遵义市,city,52
520324,正安县,county,5203
520324100,凤仪镇,township,520324
520324100200,五星村,village,520324100
"""


@pytest.mark.parametrize(
    ("raw", "code", "level"),
    [
        ("52", "520000", "province"),
        ("5203", "520300", "city"),
        ("520000", "520000", "province"),
        ("520300", "520300", "city"),
        ("520324", "520324", "county"),
        ("520324100", "520324100", "township"),
        ("520324100200", "520324100200", "village"),
        ("520000000000", "520000", "province"),
        ("520300000000", "520300", "city"),
        ("520324000000", "520324", "county"),
        ("520324100000", "520324100", "township"),
        ("４４１９００００３", "441900003", "township"),  # full-width; a township straight under Dongguan
        (" 5203 ", "520300", "city"),
    ],
)
def test_it_makes_every_published_form_canonical_and_infers_the_level(raw, code, level):
    assert (region_code_normalize(raw).code, region_code_normalize(raw).level) == (code, level)


@pytest.mark.parametrize(
    ("raw", "level", "words"),
    [
        ("5", None, "has 1 digits"),
        ("5203241", None, "has 7 digits"),
        ("52032410020012", None, "has 14 digits"),
        ("5200", None, "ambiguous"),
        ("520324000", None, "ambiguous"),
        ("00", None, "not a province"),
        ("52x3", None, "digits only"),
        ("520300", "county", "ambiguous"),
        ("", None, "empty"),
    ],
)
def test_it_refuses_a_malformed_or_ambiguous_code_with_a_reason(raw, level, words):
    with translation.override("en"), pytest.raises(RegionCodeError) as exc:
        region_code_normalize(raw, level=level)
    assert words in str(exc.value.message)


@pytest.mark.django_db
@pytest.mark.parametrize("text", [STATISTICAL, SHORT])
def test_import_regions_takes_statistical_and_short_codes_and_infers_levels(tmp_path, text):
    path = tmp_path / "regions.csv"
    path.write_text(text, encoding="utf-8")
    call_command("import_regions", str(path))
    assert dict(Region.objects.values_list("code", "level")) == {
        "520000": "province", "520300": "city", "520324": "county", "520324100": "township", "520324100200": "village",
    }
    assert Region.objects.get(code="520324100200").path == "520000/520300/520324/520324100/520324100200/"
    # Importing the other form of the same list changes nothing.
    other = tmp_path / "other.csv"
    other.write_text(SHORT if text == STATISTICAL else STATISTICAL, encoding="utf-8")
    call_command("import_regions", str(other))
    assert Region.objects.count() == 5


@pytest.mark.django_db
def test_import_regions_refuses_bad_lengths_and_unknown_parents_with_line_numbers_and_writes_nothing(tmp_path):
    bad = (
        "code,name,level,parent\n"
        "520000000000,贵州省,,\n"  # line 2: fine
        "5203000,遵义市,,520000\n"  # line 3: 7 digits
        "520324,正安县,,530300\n"  # line 4: parent nowhere
        "5200,某市,,52\n"  # line 5: ambiguous 4 digits
        "520324100,凤仪镇,county,520324\n"  # line 6: the form says township
    )
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    with translation.override("zh-hans"), pytest.raises(CommandError) as exc:
        call_command("import_regions", str(path))
    message = str(exc.value)
    for line in ("第 3 行", "第 4 行", "第 5 行", "第 6 行"):
        assert line in message, message
    assert "第 2 行" not in message
    assert "7 位" in message
    assert not Region.objects.exists()


@pytest.mark.django_db
def test_every_lookup_by_code_finds_a_region_in_each_published_form(regions):
    assert Region.objects.get(code="370000000000") == regions.province
    assert Region.objects.get(code="37") == regions.province
    assert Region.objects.get(code="3704") == regions.city
    assert Region.objects.get(code="370402001000") == regions.township
    assert set(Region.objects.filter(code__in=["370402000000", "370403"])) == {regions.county, regions.other_county}
    assert regions.village.children.model.objects.filter(region__code="370402001001").count() == 0


@pytest.mark.django_db
def test_the_api_takes_statistical_and_short_codes_in_filters_and_fields(api_client, county_official, regions, child):
    api_client.force_authenticate(county_official)
    assert api_client.get("/api/regions/370402000000/").json()["code"] == "370402"
    assert api_client.get("/api/children/?region=370402001000").json()["count"] == 1
    assert api_client.get("/api/children/?region=3704").json()["count"] == 1
    summary = api_client.get("/api/dashboard/summary/?region=370402000000")
    assert summary.status_code == 200 and summary.json()["region"] == "370402"
    run = api_client.post("/api/payout-runs/", {"region": "370402000000", "month": "2025-01"}, format="json")
    assert run.status_code in (201, 202) and run.json()["region"] == "370402"


@pytest.mark.django_db
def test_the_api_refuses_a_malformed_code_with_a_message_in_chinese(api_client, county_official, regions):
    api_client.force_authenticate(county_official)
    response = api_client.post("/api/payout-runs/", {"region": "3704020", "month": "2025-01"}, format="json")
    assert response.status_code == 400
    assert "7 位" in str(response.json()["region"])


@pytest.mark.django_db
def test_the_dashboard_page_and_create_user_take_a_statistical_code(client, county_official, regions):
    client.force_login(county_official)
    page = client.get("/cases/dashboard/?region=370402001000")
    assert page.status_code == 200 and "中心街道" in page.content.decode()
    call_command("create_user", "newdirector", "--role", "township_supervisor", "--region", "370402001000", "--password", "Zz-long-enough-9")
    assert User.objects.get(username="newdirector").region == regions.township


@pytest.mark.django_db
def test_a_region_saved_with_a_statistical_code_is_stored_canonical(regions):
    region = Region(code="370402003000", name="新街道", level="township", parent=regions.county)
    region.save()
    assert region.code == "370402003" and region.path == "370000/370400/370402/370402003/"
