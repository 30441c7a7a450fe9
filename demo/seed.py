"""Demo data for `manage.py seed_demo`: Shizhong district of Zaozhuang (Shandong) with its real
townships, plausible villages and communities, a second county (Xuecheng) so that scoping is
visible, one user per role, the allowance standards of DOMAIN.md, institutions with staff and
about 300 children across all categories.

Deterministic (fixed random seeds) and idempotent: regions, users, institutions, staff and
standards are matched on their codes, user names and names; a child is matched on its identity
number (or name, birth date and village when it has none) and its guardians, memberships,
enrollments, checks, applications and placements are created only together with the child.
Running it twice creates nothing the second time.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from benefits.enrollments.models import Enrollment
from benefits.standards.models import WelfareStandard
from cases.applications.models import Application
from cases.checks.models import Check
from cases.children.categories import PAID_CATEGORIES, Category
from cases.children.models import CategoryMembership, Child, Guardian
from institutions.models import Inspection, Institution, Placement, Staff, Training
from welfare.idnumber import make_id_number
from welfare.models import Region, User
from welfare.months import add_months, month_start
from welfare.roles import Role
from welfare.services import region_import, user_provision
from welfare.workdays import add_working_days

DEMO_PASSWORD = "Demo-pass-2024"  # noqa: S105 - printed at the end of seed_demo, demo only


SEED = 20210101


PROVINCE = ("370000", "山东省")


CITY = ("370400", "枣庄市")


COUNTY = ("370402", "市中区")


OTHER_COUNTY = ("370403", "薛城区")


# Townships of Shizhong district (real names and statistical codes); villages and communities
# are plausible names: communities (居委会, 001–199) under street offices, villages (村委会,
# 201–399) under towns.
TOWNSHIPS: list[tuple[str, str, list[str]]] = [
    ("370402001", "中心街道", ["青檀路社区", "建设路社区", "振兴路社区", "君山路社区"]),
    ("370402002", "光明路街道", ["光明路社区", "民生路社区", "华山路社区", "枣庄路社区", "新华社区"]),
    ("370402003", "龙山路街道", ["龙山路社区", "金山路社区", "东湖社区"]),
    ("370402004", "文化路街道", ["文化路社区", "青年路社区", "西昌路社区", "孟庄路社区"]),
    ("370402005", "矿区街道", ["矿区社区", "陶庄社区", "安城社区", "北井社区", "东井社区"]),
    ("370402100", "税郭镇", ["税郭村", "大北庄村", "刘庄村", "南安城村", "北安城村", "泥沟村"]),
    ("370402101", "孟庄镇", ["孟庄村", "鲍沟村", "前良村", "后良村"]),
    ("370402102", "齐村镇", ["齐村", "沙沟村", "渴口村", "小坊上村", "李庄村"]),
    ("370402103", "永安镇", ["永安村", "傅庄村", "王庄村", "峨山口村"]),
    ("370402104", "西王庄镇", ["西王庄村", "吴庄村", "庙山村", "孙庄村", "尤庄村", "张山子村"]),
]


OTHER_TOWNSHIPS: list[tuple[str, str, list[str]]] = [
    ("370403001", "临城街道", ["临山社区", "永福社区"]),
]


# Villages left without a child director, so "villages without a director" shows something.
NO_DIRECTOR = {"北井社区", "王庄村", "尤庄村"}


# Villages with a children's home (儿童之家).
CHILDRENS_HOMES = {
    "青檀路社区",
    "光明路社区",
    "龙山路社区",
    "税郭村",
    "孟庄村",
    "齐村",
    "永安村",
    "西王庄村",
    "临山社区",
}


SOCIAL_WORK_STATIONS = {"370402002", "370402100"}


DIRECTOR_VILLAGE = "370402001001"  # 青檀路社区


SUPERVISOR_TOWNSHIP = "370402001"  # 中心街道


WELFARE_HOME = "枣庄市儿童福利院"


RESCUE_CENTRE = "市中区未成年人救助保护中心"


OTHER_RESCUE_CENTRE = "薛城区未成年人救助保护中心"


SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段褚殷颜满庞"
)


BOY_NAMES = (
    "浩然 子轩 宇航 俊杰 梓豪 博文 志强 晨阳 明哲 家乐 天佑 一鸣 嘉诚 思远 泽宇 子墨 皓轩 文博 "
    "振宇 昊天 睿 鑫 磊 浩宇 俊熙 建国 子豪 锦程 雨泽 旭东 凯 瑞 晨 冠宇 安康 明轩"
).split()


GIRL_NAMES = (
    "欣怡 梓涵 诗涵 雨桐 佳怡 子涵 可馨 思琪 语嫣 梦瑶 雅静 婉清 若曦 紫萱 佳琪 一诺 美琳 晓雪 "
    "慧敏 静怡 悦 婷 颖 雨欣 嘉欣 心怡 晨曦 思雨 梓萱 欣悦 依诺 玥 雪 丹 书瑶 安琪"
).split()


ADULT_MEN = "建国 卫东 志刚 海涛 红军 永强 德明 国庆 振华 立新 庆林 长江 保国 明亮 广学 兆祥 传福 宝山".split()


ADULT_WOMEN = "秀英 桂兰 玉梅 淑珍 丽娟 春梅 秀兰 美玲 翠萍 红霞 凤英 素芳 玉兰 海燕 冬梅 慧芳 金凤".split()


WORK_CITIES = ("宁波", "苏州", "广州", "深圳", "上海", "杭州", "无锡", "青岛", "东莞", "北京", "天津", "济南")


SCHOOLS = (
    "枣庄市市中区实验小学",
    "市中区第二实验小学",
    "枣庄市第十五中学",
    "市中区税郭镇中心小学",
    "齐村镇中学",
    "孟庄镇中心小学",
    "永安镇中学",
)


PHONE_PREFIXES = ("138", "139", "158", "159", "187", "135", "136", "137", "150", "151", "152", "188", "189", "177")


# The plan of the demo caseload: (primary category, extra monitoring categories, how many).
COUNTY_PLAN: list[tuple[str, tuple[str, ...], int]] = [
    (Category.ORPHAN_INSTITUTION, (), 14),
    (Category.ORPHAN_SCATTERED, (), 26),
    (Category.ORPHAN_SCATTERED, (Category.LEFT_BEHIND,), 2),
    (Category.DE_FACTO_UNSUPPORTED, (), 38),
    (Category.DE_FACTO_UNSUPPORTED, (Category.GUARDIANSHIP_RISK,), 4),
    (Category.HIV_AFFECTED, (), 2),
    (Category.KEY_DIFFICULTY, (), 29),
    (Category.KEY_DIFFICULTY, (Category.LEFT_BEHIND,), 5),
    (Category.ADOPTED_DISABLED_ORPHAN, (), 3),
    (Category.LEFT_BEHIND, (), 124),
    (Category.LEFT_BEHIND, (Category.GUARDIANSHIP_RISK,), 4),
    (Category.MIGRANT, (), 25),
    (Category.GUARDIANSHIP_RISK, (), 14),
    (Category.STREET_MINOR, (), 10),
]


OTHER_COUNTY_PLAN: list[tuple[str, tuple[str, ...], int]] = [
    (Category.ORPHAN_SCATTERED, (), 3),
    (Category.DE_FACTO_UNSUPPORTED, (), 3),
    (Category.LEFT_BEHIND, (), 6),
]


# Zaozhuang city standards (DOMAIN.md): 2020 and from 2021-01-01 ("raised about 10 %").
CITY_STANDARDS = {
    datetime.date(2020, 1, 1): {
        Category.ORPHAN_INSTITUTION: Decimal("1760.00"),
        Category.ORPHAN_SCATTERED: Decimal("1400.00"),
        Category.KEY_DIFFICULTY: Decimal("980.00"),
    },
    datetime.date(2021, 1, 1): {
        Category.ORPHAN_INSTITUTION: Decimal("2000.00"),
        Category.ORPHAN_SCATTERED: Decimal("1600.00"),
        Category.KEY_DIFFICULTY: Decimal("1100.00"),
    },
}


REFERRING = (Category.DE_FACTO_UNSUPPORTED, Category.HIV_AFFECTED, Category.ADOPTED_DISABLED_ORPHAN)


# Shandong provincial minimums (最低养育标准), at or below the city's.
PROVINCE_MINIMUMS = {
    datetime.date(2021, 1, 1): {
        Category.ORPHAN_INSTITUTION: Decimal("1600.00"),
        Category.ORPHAN_SCATTERED: Decimal("1200.00"),
    },
}


@dataclass
class DemoUser:
    username: str
    role: str
    bound_to: str
    password: str = DEMO_PASSWORD


@dataclass
class DemoResult:
    created: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    users: list[DemoUser] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, name: str, n: int) -> None:
        self.created[name] = self.created.get(name, 0) + n

    def summary(self) -> str:
        made = ", ".join(f"{k} {v}" for k, v in self.created.items() if v) or _("nothing new (already seeded)")
        totals = ", ".join(f"{k} {v}" for k, v in self.totals.items())
        return _("Demo data ready in %(seconds).1f s. Created: %(made)s.\nIn the database: %(totals)s.") % {
            "seconds": self.seconds,
            "made": made,
            "totals": totals,
        }

    def users_table(self) -> str:
        lines = [
            _("Demo users (all with the same password):"),
            "  {:<22}{:<22}{:<30}{}".format(_("user name"), _("role"), _("bound to"), _("password")),
        ]
        for u in self.users:
            lines.append(f"  {u.username:<22}{u.role:<22}{u.bound_to:<30}{u.password}")
        return "\n".join(lines)


def _random_date(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def _adult_name(rng: random.Random, surname: str, sex: str) -> str:
    return surname + rng.choice(ADULT_MEN if sex == "M" else ADULT_WOMEN)


def _seed_regions(result: DemoResult) -> dict[str, Region]:
    rows: list[dict[str, str]] = [
        {"code": PROVINCE[0], "name": PROVINCE[1], "level": "province", "parent": ""},
        {"code": CITY[0], "name": CITY[1], "level": "city", "parent": PROVINCE[0]},
    ]
    for (county_code, county_name), townships in ((COUNTY, TOWNSHIPS), (OTHER_COUNTY, OTHER_TOWNSHIPS)):
        rows.append({"code": county_code, "name": county_name, "level": "county", "parent": CITY[0]})
        for code, name, villages in townships:
            rows.append({"code": code, "name": name, "level": "township", "parent": county_code})
            first = 1 if name.endswith("街道") else 201
            for i, village in enumerate(villages):
                rows.append({"code": f"{code}{first + i:03d}", "name": village, "level": "village", "parent": code})
    imported = region_import(rows=list(enumerate(rows, start=2)))
    result.add("regions", imported.created)
    return {r.code: r for r in Region.objects.filter(code__in=[row["code"] for row in rows])}


def _seed_institutions(regions: dict[str, Region], result: DemoResult) -> dict[str, Institution]:
    wanted: list[dict] = [
        dict(name=WELFARE_HOME, kind=Institution.Kind.WELFARE, region=regions[CITY[0]], capacity=300,
             is_rehabilitation_centre=True, address="枣庄市市中区光明西路", phone="0632-3311001"),
        dict(name=RESCUE_CENTRE, kind=Institution.Kind.RESCUE, region=regions[COUNTY[0]], capacity=40,
             address="枣庄市市中区振兴路", phone="0632-3311002"),
        dict(name=OTHER_RESCUE_CENTRE, kind=Institution.Kind.RESCUE, region=regions[OTHER_COUNTY[0]], capacity=30,
             address="枣庄市薛城区临城街道", phone="0632-4411002"),
    ]  # fmt: skip
    for code, name, villages in TOWNSHIPS + OTHER_TOWNSHIPS:
        wanted.append(
            dict(name=f"{name}未成年人保护工作站", kind=Institution.Kind.WORKSTATION, region=regions[code], capacity=0)
        )
        if code in SOCIAL_WORK_STATIONS:
            wanted.append(
                dict(name=f"{name}社会工作服务站", kind=Institution.Kind.SOCIAL_WORK, region=regions[code], capacity=0)
            )
        first = 1 if name.endswith("街道") else 201
        for i, village in enumerate(villages):
            if village in CHILDRENS_HOMES:
                wanted.append(
                    dict(
                        name=f"{village}儿童之家",
                        kind=Institution.Kind.CHILDRENS_HOME,
                        region=regions[f"{code}{first + i:03d}"],
                        capacity=30,
                    )
                )
    out: dict[str, Institution] = {}
    for spec in wanted:
        inst, created = Institution.objects.get_or_create(
            region=spec["region"],
            name=spec["name"],
            defaults={k: v for k, v in spec.items() if k not in ("region", "name")},
        )
        result.add("institutions", int(created))
        out[inst.name] = inst
    return out


def _seed_users(
    regions: dict[str, Region], institutions: dict[str, Institution], result: DemoResult
) -> dict[str, User]:
    plan = [
        ("village_director", Role.VILLAGE_DIRECTOR, DIRECTOR_VILLAGE, None, "孙", "丽娟"),
        ("township_supervisor", Role.TOWNSHIP_SUPERVISOR, SUPERVISOR_TOWNSHIP, None, "刘", "海涛"),
        ("county_official", Role.COUNTY_OFFICIAL, COUNTY[0], None, "王", "建国"),
        ("city_official", Role.CITY_OFFICIAL, CITY[0], None, "张", "卫东"),
        ("province_official", Role.PROVINCE_OFFICIAL, PROVINCE[0], None, "李", "红霞"),
        ("institution_staff", Role.INSTITUTION_STAFF, None, WELFARE_HOME, "周", "美玲"),
        ("admin", Role.ADMIN, None, None, "系统", "管理员"),
        # A county official of the neighbouring county: sees none of Shizhong's children.
        ("xuecheng_official", Role.COUNTY_OFFICIAL, OTHER_COUNTY[0], None, "赵", "志刚"),
    ]
    users: dict[str, User] = {}
    password_hash: str | None = None
    for username, role, region_code, institution_name, last, first in plan:
        institution = institutions[institution_name] if institution_name else None
        region = regions[region_code] if region_code else None
        user = User.objects.filter(username=username).first()
        bound = (
            user is not None
            and user.role == role
            and user.region_id == (region.pk if region else None)
            and user.institution_id == (institution.pk if institution else None)
        )
        if not bound:
            # Hashing a password is slow on purpose: once, and only for new or re-bound users.
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user, created = user_provision(
                username=username,
                role=role,
                password=DEMO_PASSWORD,
                region_code=region_code,
                institution_id=institution.pk if institution else None,
                first_name=first,
                last_name=last,
                password_hash=password_hash,
            )
            result.add("users", int(created))
        assert user is not None
        users[username] = user
        result.users.append(DemoUser(username, role, str(institution or region or "-")))
    return users


def _seed_standards(regions: dict[str, Region], result: DemoResult) -> None:
    city, province = regions[CITY[0]], regions[PROVINCE[0]]
    rows: list[tuple[Region, str, Decimal | None, str | None, datetime.date, bool, str]] = []
    for effective, amounts in CITY_STANDARDS.items():
        document = f"枣民发〔{effective.year}〕（演示）"
        for category, amount in amounts.items():
            rows.append((city, category, amount, None, effective, False, document))
        for category in REFERRING:
            rows.append((city, category, None, Category.ORPHAN_SCATTERED, effective, False, document))
    for effective, amounts in PROVINCE_MINIMUMS.items():
        for category, amount in amounts.items():
            rows.append((province, category, amount, None, effective, True, f"鲁民〔{effective.year}〕（演示）"))
    for region, category, amount, refers_to, effective, is_minimum, document in rows:  # type: ignore[assignment]
        _standard, created = WelfareStandard.objects.get_or_create(
            region=region,
            category=category,
            effective_from=effective,
            is_minimum=is_minimum,
            defaults={"monthly_amount": amount, "refers_to": refers_to, "document": document},
        )
        result.add("standards", int(created))


def _seed_staff(
    regions: dict[str, Region], institutions: dict[str, Institution], users: dict[str, User], result: DemoResult
) -> None:
    rng = random.Random(SEED + 1)
    specs: list[dict] = []

    def person(
        position: str, region: Region, institution: Institution | None = None, user: User | None = None, sex: str = ""
    ):
        sex = sex or rng.choice("MF")
        name = f"{user.last_name}{user.first_name}" if user else _adult_name(rng, rng.choice(SURNAMES), sex)
        specs.append(
            dict(
                name=name, position=position, region=region, institution=institution, user=user, phone=_phone(rng),
                appointed_on=_random_date(rng, datetime.date(2019, 3, 1), datetime.date(2024, 9, 30)),
            )
        )  # fmt: skip

    for code, name, villages in TOWNSHIPS + OTHER_TOWNSHIPS:
        person(
            Staff.Position.SUPERVISOR,
            regions[code],
            user=users["township_supervisor"] if code == SUPERVISOR_TOWNSHIP else None,
        )
        first = 1 if name.endswith("街道") else 201
        for i, village in enumerate(villages):
            vcode = f"{code}{first + i:03d}"
            if village in NO_DIRECTOR:
                continue
            person(
                Staff.Position.CHILD_DIRECTOR,
                regions[vcode],
                user=users["village_director"] if vcode == DIRECTOR_VILLAGE else None,
            )
    home, centre, other = institutions[WELFARE_HOME], institutions[RESCUE_CENTRE], institutions[OTHER_RESCUE_CENTRE]
    person(Staff.Position.DIRECTOR, home.region, home)
    person(Staff.Position.CARER, home.region, home, user=users["institution_staff"])
    for _i in range(3):
        person(Staff.Position.CARER, home.region, home)
    for _i in range(2):
        person(Staff.Position.SOCIAL_WORKER, home.region, home)
    person(Staff.Position.DIRECTOR, centre.region, centre)
    person(Staff.Position.SOCIAL_WORKER, centre.region, centre)
    person(Staff.Position.DIRECTOR, other.region, other)
    person(Staff.Position.OFFICIAL, regions[COUNTY[0]], user=users["county_official"])

    existing = {
        (s.region_id, s.position, s.name): s for s in Staff.objects.filter(region__in=[s["region"] for s in specs])
    }
    new = [Staff(**s) for s in specs if (s["region"].pk, s["position"], s["name"]) not in existing]
    Staff.objects.bulk_create(new)
    result.add("staff", len(new))
    # Trainings of the newly created staff (about four in five child directors, every supervisor).
    trainings = []
    for staff in new:
        if staff.position == Staff.Position.CHILD_DIRECTOR and rng.random() > 0.8:
            continue
        trainings.append(
            Training(
                staff=staff,
                title="儿童主任、儿童督导员业务能力提升培训",
                held_on=datetime.date(2024, 5, 16),
                hours=Decimal("8.0"),
            )
        )
        if rng.random() < 0.5:
            trainings.append(
                Training(
                    staff=staff,
                    title="《未成年人保护法》专题培训",
                    held_on=datetime.date(2025, 3, 20),
                    hours=Decimal("4.0"),
                )
            )
    Training.objects.bulk_create(trainings)
    result.add("trainings", len(trainings))

    inspections = [
        (home, datetime.date(2025, 3, 18), True, "四不两直暗访：消防通道畅通，值班记录完整。"),
        (home, datetime.date(2025, 9, 25), False, "季度安全管理检查：食品留样规范，建议加强夜间巡查。"),
        (centre, datetime.date(2025, 6, 12), True, "汛期安全检查：应急预案已更新。"),
        (other, datetime.date(2025, 6, 13), False, "季度安全管理检查：无问题。"),
    ]
    have = set(
        Inspection.objects.filter(institution__in=[home, centre, other]).values_list("institution_id", "inspected_on")
    )
    new_inspections = [
        Inspection(institution=i, inspected_on=d, unannounced=u, findings=f)
        for i, d, u, f in inspections
        if (i.pk, d) not in have
    ]
    Inspection.objects.bulk_create(new_inspections)
    result.add("inspections", len(new_inspections))


@dataclass
class _ChildPlan:
    child: Child
    primary: str
    extra: tuple[str, ...]
    county: Region
    township: Region


def _villages_of(regions: dict[str, Region], townships) -> list[tuple[Region, Region]]:
    out = []
    for code, name, villages in townships:
        first = 1 if name.endswith("街道") else 201
        for i in range(len(villages)):
            out.append((regions[f"{code}{first + i:03d}"], regions[code]))
    return out


def _plan_children(regions: dict[str, Region], users: dict[str, User]) -> list[_ChildPlan]:
    rng = random.Random(SEED)
    plans: list[_ChildPlan] = []
    seq = 0
    for county_code, townships, plan in (
        (COUNTY[0], TOWNSHIPS, COUNTY_PLAN),
        (OTHER_COUNTY[0], OTHER_TOWNSHIPS, OTHER_COUNTY_PLAN),
    ):
        villages = _villages_of(regions, townships)
        for primary, extra, count in plan:
            for _i in range(count):
                seq += 1
                sex = rng.choice("MF")
                name = rng.choice(SURNAMES) + rng.choice(BOY_NAMES if sex == "M" else GIRL_NAMES)
                if Category.LEFT_BEHIND in (primary, *extra):
                    birth = _random_date(rng, datetime.date(2011, 1, 1), datetime.date(2024, 6, 30))
                    # Left-behind children live in the villages of the towns more than in the city.
                    rural = [v for v in villages if v[1].name.endswith("镇")] or villages
                    village, township = rng.choice(rural if rng.random() < 0.8 else villages)
                elif primary in PAID_CATEGORIES:
                    birth = _random_date(rng, datetime.date(2009, 1, 1), datetime.date(2024, 6, 30))
                    village, township = rng.choice(villages)
                else:
                    birth = _random_date(rng, datetime.date(2008, 1, 1), datetime.date(2024, 12, 31))
                    village, township = rng.choice(villages)
                # About one child in ten has no number yet (most often an abandoned infant).
                no_number = rng.random() < (0.5 if primary == Category.ORPHAN_INSTITUTION else 0.07)
                id_number = None if no_number else make_id_number(county_code, birth, seq, sex)
                registered = _random_date(rng, max(birth, datetime.date(2019, 1, 1)), datetime.date(2025, 10, 31))
                age = (registered - birth).days // 365
                child = Child(
                    name=name,
                    id_number=id_number,
                    sex=sex,
                    birth_date=birth,
                    region=village,
                    household_region=village,
                    school=rng.choice(SCHOOLS) if age >= 6 else "",
                    health_notes=rng.choice(["", "", "", "体弱，需定期复查", "先天性心脏病术后"])
                    if primary != Category.LEFT_BEHIND
                    else "",
                    disability_notes="肢体残疾二级" if primary == Category.ADOPTED_DISABLED_ORPHAN else "",
                    registered_on=registered,
                    review_status=Child.ReviewStatus.APPROVED,
                    created_by=users["village_director"] if village.code == DIRECTOR_VILLAGE else None,
                )
                plans.append(_ChildPlan(child, primary, extra, regions[county_code], township))
    return plans


def _guardians_for(rng: random.Random, plan: _ChildPlan, seq: int) -> list[Guardian]:
    child, primary = plan.child, plan.primary
    surname = child.name[0]
    out: list[Guardian] = []

    def add(relation: str, sex: str, *, migrant: bool = False, can_act: bool = True, same_surname: bool = True):
        name = _adult_name(rng, surname if same_surname else rng.choice(SURNAMES), sex)
        number = ""
        if rng.random() < 0.6:
            born = _random_date(rng, datetime.date(1955, 1, 1), datetime.date(1996, 12, 31))
            number = make_id_number(plan.county.code, born, seq * 3 + len(out), sex)
        out.append(
            Guardian(
                child=child, name=name, relation=relation, id_number=number, phone=_phone(rng),
                is_migrant_worker=migrant, work_place=rng.choice(WORK_CITIES) if migrant else "",
                can_act_as_guardian=can_act,
            )
        )  # fmt: skip

    categories = (primary, *plan.extra)
    if primary == Category.ORPHAN_INSTITUTION:
        add(Guardian.Relation.ENTRUSTED, "F", same_surname=False)
    elif primary in (Category.ORPHAN_SCATTERED, Category.HIV_AFFECTED, Category.ADOPTED_DISABLED_ORPHAN):
        add(Guardian.Relation.GRANDPARENT, rng.choice("MF"))
        if rng.random() < 0.5:
            add(Guardian.Relation.RELATIVE, rng.choice("MF"))
    elif primary == Category.DE_FACTO_UNSUPPORTED:
        # Parents dead, missing, imprisoned or severely disabled: they cannot act as guardians.
        add(Guardian.Relation.FATHER, "M", can_act=False)
        if rng.random() < 0.5:
            add(Guardian.Relation.MOTHER, "F", can_act=False, same_surname=False)
        add(Guardian.Relation.GRANDPARENT, rng.choice("MF"))
    elif Category.LEFT_BEHIND in categories:
        # Both parents work away, or one works away and the other cannot act as guardian.
        add(Guardian.Relation.FATHER, "M", migrant=True)
        if rng.random() < 0.75:
            add(Guardian.Relation.MOTHER, "F", migrant=True, same_surname=False)
        else:
            add(Guardian.Relation.MOTHER, "F", can_act=False, same_surname=False)
        add(Guardian.Relation.GRANDPARENT, rng.choice("MF"))
    elif primary == Category.GUARDIANSHIP_RISK:
        add(Guardian.Relation.MOTHER, "F", can_act=False, same_surname=False)
        add(Guardian.Relation.GRANDPARENT, rng.choice("MF"))
    elif primary == Category.STREET_MINOR:
        add(rng.choice([Guardian.Relation.FATHER, Guardian.Relation.RELATIVE]), "M")
    else:  # key difficulty, migrant
        add(Guardian.Relation.FATHER, "M")
        if rng.random() < 0.7:
            add(Guardian.Relation.MOTHER, "F", same_surname=False)
    return out[:3]


def _seed_children(
    regions: dict[str, Region], institutions: dict[str, Institution], users: dict[str, User], result: DemoResult
) -> None:
    plans = _plan_children(regions, users)
    numbers = [p.child.id_number for p in plans if p.child.id_number]
    have_numbers = set(Child.objects.filter(id_number__in=numbers).values_list("id_number", flat=True))
    have_unnumbered = set(
        Child.objects.filter(id_number__isnull=True, region__in={p.child.region for p in plans}).values_list(
            "name", "birth_date", "region_id"
        )
    )
    new_plans = [
        p
        for p in plans
        if (p.child.id_number and p.child.id_number not in have_numbers)
        or (not p.child.id_number and (p.child.name, p.child.birth_date, p.child.region_id) not in have_unnumbered)
    ]
    # Two unnumbered children drawn with the same name, birth date and village would be one.
    seen: set = set()
    unique_plans = []
    for p in new_plans:
        key = p.child.id_number or (p.child.name, p.child.birth_date, p.child.region_id)
        if key not in seen:
            seen.add(key)
            unique_plans.append(p)
    new_plans = unique_plans
    if not new_plans:
        return
    bulk_create_with_history([p.child for p in new_plans], Child, batch_size=500)
    result.add("children", len(new_plans))

    rng = random.Random(SEED + 2)
    today = timezone.localdate()
    director, supervisor = users["village_director"], users["township_supervisor"]
    home, centre = institutions[WELFARE_HOME], institutions[RESCUE_CENTRE]
    guardians: list[Guardian] = []
    memberships: list[CategoryMembership] = []
    enrollments: list[Enrollment] = []
    checks: list[Check] = []
    placements: list[Placement] = []
    applications: list[Application] = []
    application_wanted = 6
    for seq, plan in enumerate(new_plans, start=1):
        child = plan.child
        guardians += _guardians_for(rng, plan, seq)
        for category in (plan.primary, *plan.extra):
            memberships.append(
                CategoryMembership(
                    child=child, category=category, start_date=child.registered_on, reason="摸底排查认定"
                )
            )
        if plan.primary in PAID_CATEGORIES:
            enrollments.append(
                Enrollment(
                    child=child, category=plan.primary, county=plan.county,
                    start_month=add_months(month_start(child.registered_on), 1), status=Enrollment.Status.ACTIVE,
                )
            )  # fmt: skip
        if plan.primary == Category.ORPHAN_INSTITUTION:
            placements.append(
                Placement(child=child, institution=home, placed_on=child.registered_on, reason="孤儿集中养育")
            )
        if plan.primary == Category.STREET_MINOR and plan.county.code == COUNTY[0]:
            returned = rng.random() < 0.6
            placed = child.registered_on
            placements.append(
                Placement(
                    child=child, institution=centre, placed_on=placed,
                    left_on=placed + datetime.timedelta(days=rng.randint(5, 40)) if returned else None,
                    reason="救助保护" + ("，已护送返乡" if returned else ""),
                )
            )  # fmt: skip
        if Category.LEFT_BEHIND in (plan.primary, *plan.extra) and rng.random() < 0.88:
            checks += _checks_for(rng, plan, today, director)
        elif plan.primary == Category.GUARDIANSHIP_RISK and rng.random() < 0.6:
            checks.append(
                Check(
                    child=child, checked_on=today - datetime.timedelta(days=rng.randint(10, 60)), kind=Check.Kind.FOLLOW_UP,
                    caregiver="祖父母", risk_level=Check.RiskLevel.MEDIUM, guardianship_risk="母亲长期患病，监护能力不足",
                    notes="一案一策：联系镇社工站定期探访。", checked_by=director if child.region.code == DIRECTOR_VILLAGE else None,
                )
            )  # fmt: skip
        if (
            application_wanted
            and plan.county.code == COUNTY[0]
            and plan.primary in (Category.GUARDIANSHIP_RISK, Category.LEFT_BEHIND)
            and rng.random() < 0.15
        ):
            application_wanted -= 1
            submitted = today - datetime.timedelta(days=rng.randint(2, 20) if application_wanted else 30)
            reviewed = application_wanted % 2 == 0
            applications.append(
                Application(
                    child=child,
                    category=Category.DE_FACTO_UNSUPPORTED
                    if plan.primary == Category.GUARDIANSHIP_RISK
                    else Category.KEY_DIFFICULTY,
                    received_region=plan.township,
                    county=plan.county,
                    status=Application.Status.REVIEWED if reviewed else Application.Status.SUBMITTED,
                    reason="父亲服刑、母亲重病，无人抚养"
                    if plan.primary == Category.GUARDIANSHIP_RISK
                    else "家庭重大变故，生活困难",
                    submitted_on=submitted,
                    due_on=add_working_days(submitted, settings.APPLICATION_TIME_LIMIT_WORKING_DAYS),
                    submitted_by=director,
                    reviewed_by=supervisor if reviewed else None,
                    reviewed_on=submitted + datetime.timedelta(days=1) if reviewed else None,
                    review_comment="材料齐全，情况属实。" if reviewed else "",
                )
            )
    for model, rows, name in (
        (Guardian, guardians, "guardians"),
        (CategoryMembership, memberships, "memberships"),
        (Enrollment, enrollments, "enrollments"),
        (Check, checks, "checks"),
        (Placement, placements, "placements"),
        (Application, applications, "applications"),
    ):
        bulk_create_with_history(rows, model, batch_size=500)
        result.add(name, len(rows))


def _checks_for(rng: random.Random, plan: _ChildPlan, today: datetime.date, director: User) -> list[Check]:
    """One to three three-monthly checks; the last one recent for most children, due soon for
    some and more than three months old (overdue) for about one in five."""
    roll = rng.random()
    if roll < 0.65:
        last = today - datetime.timedelta(days=rng.randint(3, 75))
    elif roll < 0.8:
        last = today - datetime.timedelta(days=rng.randint(76, 90))
    else:
        last = today - datetime.timedelta(days=rng.randint(95, 200))
    child = plan.child
    out = []
    day = last
    for _i in range(rng.randint(1, 3)):
        if day < child.registered_on:
            break
        father_place, mother_away = rng.choice(WORK_CITIES), rng.random() < 0.75
        risk = rng.choices([Check.RiskLevel.LOW, Check.RiskLevel.MEDIUM, Check.RiskLevel.HIGH], weights=[85, 12, 3])[0]
        out.append(
            Check(
                child=child,
                checked_on=day,
                kind=Check.Kind.SAFETY if day.month in (6, 7, 8) and rng.random() < 0.4 else Check.Kind.ROUTINE,
                caregiver=rng.choice(["祖父母", "祖母", "外祖父母", "伯父"]),
                father_away=True,
                father_work_place=father_place,
                mother_away=mother_away,
                mother_work_place=rng.choice(WORK_CITIES) if mother_away else "",
                attends_school=(day - child.birth_date).days >= 6 * 365,
                health=rng.choice(["良好", "良好", "良好", "近视", "感冒已愈"]),
                safety_risk="" if risk == Check.RiskLevel.LOW else rng.choice(["家附近有河塘", "独自上下学"]),
                risk_level=risk,
                notes=rng.choice(
                    ["走访正常，照料良好。", "学习成绩稳定，与父母每周视频通话。", "已开展防溺水安全教育。"]
                ),
                checked_by=director if child.region.code == DIRECTOR_VILLAGE else None,
            )
        )
        day -= datetime.timedelta(days=rng.randint(85, 95))
    return out


def _recompute_check_due_dates() -> None:
    """next_check_due / check_state come from the checks (cases.checks), set-wise: the same
    computation as the daily `flag_overdue_checks` job, without its notifications."""
    try:
        from cases.checks.services import checks_states_update
    except ImportError:  # pragma: no cover - the checks module is part of the project
        # TODO(integrator): the daily flag_overdue_checks job sets them on its first run.
        return
    checks_states_update(today=timezone.localdate(), recompute=True)


# Education-grant students (孤儿助学工程): orphans recognised as children, now 18+ and studying.
# (name, sex, birth date, category, school, study level, approved?)
GRANT_STUDENTS = [
    ("刘雨晴", "F", datetime.date(2006, 4, 12), Category.ORPHAN_SCATTERED, "山东大学", "university", True),
    ("张浩然", "M", datetime.date(2007, 9, 20), Category.ORPHAN_INSTITUTION, "枣庄职业学院", "vocational", False),
]


def _seed_grants(regions: dict[str, Region], users: dict[str, User], result: DemoResult) -> None:
    """Two grant students in the director's village: one approved for the current school year
    (paid with the county's runs), one filed and waiting for the county. Through the services;
    idempotent (a student and school year already filed is left as it is)."""
    from benefits.grants.models import Grant
    from benefits.grants.schedule import school_year_containing
    from benefits.grants.services import GrantInput, grant_apply, grant_approve

    village, county = regions[DIRECTOR_VILLAGE], regions[COUNTY[0]]
    today = timezone.localdate()
    school_year = school_year_containing(today)
    for seq, (name, sex, birth, category, school, level, approve) in enumerate(GRANT_STUDENTS, start=480):
        number = make_id_number(COUNTY[0], birth, seq, sex)
        child = Child.objects.filter(name=name, birth_date=birth, region=village).first()  # not by number: encrypted at rest
        if child is None:
            since = datetime.date(2015, 3, 1)
            eighteen = month_start(birth.replace(year=birth.year + 18))
            child = Child.objects.create(
                name=name, id_number=number, sex=sex, birth_date=birth, region=village, household_region=village,
                school=school, registered_on=since, review_status=Child.ReviewStatus.APPROVED,
            )
            CategoryMembership.objects.create(
                child=child, category=category, start_date=since, end_date=eighteen, reason="孤儿认定", end_reason="年满18周岁"
            )
            Guardian.objects.create(child=child, name=name[0] + "桂兰", relation=Guardian.Relation.RELATIVE, phone="13800009999")
            Enrollment.objects.create(
                child=child, category=category, county=county, start_month=since, end_month=eighteen,
                end_reason=Enrollment.EndReason.AGE, status=Enrollment.Status.ENDED,
            )
            result.add("children", 1)
        if Grant.objects.filter(child=child, school_year=school_year).exists():
            continue
        grant = grant_apply(
            by=users["village_director"],
            data=GrantInput(
                received_region=regions[SUPERVISOR_TOWNSHIP], school_year=school_year, school=school, study_level=level,
                enrolment_proof="学生证（演示）", child=child, bank_account_holder=name, bank_account="6222020000009999",
            ),
            today=today,
        )
        if approve:
            grant_approve(by=users["county_official"], grant_id=grant.id, today=today)
        result.add("grants", 1)


@transaction.atomic
def demo_seed() -> DemoResult:
    """Create (or complete) the demo data; see the module docstring."""
    import time

    started = time.monotonic()
    result = DemoResult()
    regions = _seed_regions(result)
    institutions = _seed_institutions(regions, result)
    users = _seed_users(regions, institutions, result)
    _seed_standards(regions, result)
    _seed_staff(regions, institutions, users, result)
    _seed_children(regions, institutions, users, result)
    _seed_grants(regions, users, result)
    _recompute_check_due_dates()
    result.totals = {
        "regions": Region.objects.count(),
        "children": Child.objects.count(),
        "guardians": Guardian.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "checks": Check.objects.count(),
        "institutions": Institution.objects.count(),
        "staff": Staff.objects.count(),
    }
    result.seconds = time.monotonic() - started
    return result
