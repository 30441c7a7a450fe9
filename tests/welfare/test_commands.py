"""Provisioning commands: import_regions and create_user."""

import pytest
from django.core.management import CommandError, call_command

from institutions.models import Institution
from welfare.models import AuditLog, Region, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their English source form."""
    from django.utils import translation

    with translation.override("en"):
        yield


GOOD = """code,name,level,parent
370402001001,青檀路社区,village,370402001
370402001,中心街道,township,370402
370000,山东省,province,
370400,枣庄市,city,370000
370402,市中区,county,370400
370402100201,税郭村,village,370402100
370402100,税郭镇,township,370402
"""


def write(tmp_path, text, *, bom=False, name="regions.csv"):
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return str(path)


def test_it_imports_regions_with_parents_after_children_and_a_bom(tmp_path, capsys):
    call_command("import_regions", write(tmp_path, GOOD, bom=True))
    assert Region.objects.count() == 7
    village = Region.objects.get(code="370402001001")
    assert village.path == "370000/370400/370402/370402001/370402001001/"
    assert village.parent.code == "370402001" and village.level == "village"
    assert "7 created" in capsys.readouterr().out


def test_it_imports_the_same_file_twice_without_duplicates_and_updates_names(tmp_path, capsys):
    call_command("import_regions", write(tmp_path, GOOD))
    call_command("import_regions", write(tmp_path, GOOD.replace("青檀路社区", "青檀社区"), name="renamed.csv"))
    assert Region.objects.count() == 7
    assert Region.objects.get(code="370402001001").name == "青檀社区"
    assert "1 updated, 6 unchanged" in capsys.readouterr().out


def test_it_adds_to_regions_already_in_the_database(regions, tmp_path):
    call_command("import_regions", write(tmp_path, "code,name,level,parent\n370402001003,新村社区,village,370402001\n"))
    new = Region.objects.get(code="370402001003")
    assert new.path == regions.township.path + "370402001003/"


def test_it_moves_a_subtree_when_a_parent_changes(regions, tmp_path):
    # Township 370402002 moves from Shizhong to Xuecheng, with its village.
    call_command("import_regions", write(tmp_path, "code,name,level,parent\n370402002,光明街道,township,370403\n"))
    assert Region.objects.get(code="370402002001").path == "370000/370400/370403/370402002/370402002001/"


def test_it_reports_every_bad_line_and_writes_nothing(tmp_path):
    bad = (
        "code,name,level,parent\n"
        "370000,山东省,province,\n"  # fine
        "37040X,枣庄市,city,370000\n"  # line 3: not digits
        "370402,,county,370400\n"  # line 4: no name, unknown parent 370400 (line 3 was bad)
        "370402001,中心街道,hamlet,370402\n"  # line 5: unknown level
        "370402001001,青檀路社区,village,999999001\n"  # line 6: parent nowhere
    )
    with pytest.raises(CommandError) as exc:
        call_command("import_regions", write(tmp_path, bad))
    message = str(exc.value)
    for line in ("line 3", "line 4", "line 5", "line 6"):
        assert line in message
    assert "line 2" not in message
    assert Region.objects.count() == 0
    assert not AuditLog.objects.exists()


def test_it_refuses_a_file_without_the_header(tmp_path):
    with pytest.raises(CommandError, match="code,name,level,parent"):
        call_command("import_regions", write(tmp_path, "370000,山东省,province,\n"))
    assert Region.objects.count() == 0


def test_it_refuses_a_region_inside_a_lower_level(tmp_path):
    text = "code,name,level,parent\n370000,山东省,province,\n370400,枣庄市,city,370000\n370401,某区,county,370402\n370402,市中区,county,370400\n"
    with pytest.raises(CommandError, match="line 4"):
        call_command("import_regions", write(tmp_path, text))
    assert Region.objects.count() == 0


def test_it_reports_a_missing_file():
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_regions", "/nonexistent/regions.csv")


# -- create_user ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("village_director", "370402001001"),
        ("township_supervisor", "370402001"),
        ("county_official", "370402"),
        ("city_official", "370400"),
        ("province_official", "370000"),
    ],
)
def test_it_creates_a_user_bound_to_a_region_of_the_right_level(regions, role, code, capsys):
    call_command("create_user", "wang", "--role", role, "--region", code, "--password", "Qingtan-2024!")
    user = User.objects.get(username="wang")
    assert (user.role, user.region.code, user.institution) == (role, code, None)
    assert user.check_password("Qingtan-2024!")
    assert user.is_staff == (role == "county_official")
    assert "Created user wang" in capsys.readouterr().out


def test_it_binds_institution_staff_to_their_institution(regions):
    home = Institution.objects.create(name="枣庄市儿童福利院", kind="welfare", region=regions.city)
    call_command(
        "create_user",
        "carer",
        "--role",
        "institution_staff",
        "--institution",
        str(home.pk),
        "--password",
        "Fuliyuan-2024!",
    )
    user = User.objects.get(username="carer")
    assert user.institution == home and user.region is None


def test_it_makes_an_administrator_a_superuser_without_a_binding(regions):
    call_command("create_user", "root", "--role", "admin", "--password", "Guanli-2024!x")
    user = User.objects.get(username="root")
    assert user.is_superuser and user.is_staff and user.region is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "mayor", "--region", "370402"], "Unknown role"),
        (["--role", "county_official"], "region"),
        (["--role", "county_official", "--region", "370402001"], "(?i)must be bound to a county"),
        (["--role", "village_director", "--region", "999999999999"], "no region"),
        (["--role", "institution_staff", "--region", "370402"], "institution"),
        (["--role", "admin", "--region", "370402"], "not bound"),
        (["--role", "institution_staff", "--institution", "999999"], "no institution"),
    ],
)
def test_it_refuses_a_wrong_binding_with_a_clear_message(regions, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_user", "li", *args, "--password", "Qingtan-2024!")
    assert not User.objects.filter(username="li").exists()


def test_it_runs_the_password_validators(regions):
    with pytest.raises(CommandError, match="password"):
        call_command("create_user", "li", "--role", "county_official", "--region", "370402", "--password", "12345678")
    assert not User.objects.filter(username="li").exists()


def test_it_updates_an_existing_user_instead_of_creating_a_second(regions, capsys):
    call_command(
        "create_user", "zhao", "--role", "village_director", "--region", "370402001001", "--password", "Qingtan-2024!"
    )
    call_command(
        "create_user", "zhao", "--role", "township_supervisor", "--region", "370402001", "--password", "Zhongxin-2025!"
    )
    user = User.objects.get(username="zhao")
    assert User.objects.filter(username="zhao").count() == 1
    assert (user.role, user.region.code) == ("township_supervisor", "370402001")
    assert user.check_password("Zhongxin-2025!")
    assert "already existed" in capsys.readouterr().out


def test_it_imports_a_large_tree_in_one_go(tmp_path):
    lines = [
        "code,name,level,parent",
        "370000,山东省,province,",
        "370400,枣庄市,city,370000",
        "370402,市中区,county,370400",
    ]
    for t in range(1, 101):
        township = f"370402{t:03d}"
        lines.append(f"{township},乡镇{t},township,370402")
        lines += [f"{township}{v:03d},村{t}-{v},village,{township}" for v in range(1, 41)]
    # Children before their parents: the file is reversed.
    call_command("import_regions", write(tmp_path, "\n".join([lines[0], *reversed(lines[1:])])))
    assert Region.objects.count() == 3 + 100 + 4000
    assert Region.objects.get(code="370402100040").path == "370000/370400/370402/370402100/370402100040/"
