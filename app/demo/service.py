"""Build the demo metro: 3 brands, 20 dealers, 100 installers, 500 jobs across the lifecycle."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from shapely.geometry import Polygon
from sqlalchemy import select

from app.auth.enums import Role
from app.auth.service import create_api_key
from app.db import Base, utcnow
from app.demo.field import seed_field
from app.demo.jobs import seed_jobs
from app.demo.orders import seed_orders
from app.extensions import db
from app.network import service as network
from app.network.models import Brand, Dealer, Installer

CENTER = (31.23, 121.47)
TIMEZONE = "Asia/Shanghai"
DEMO_ADMIN_KEY = "fwt_demo_admin"


@dataclass(frozen=True)
class BrandSpec:
    code: str
    name: str
    category: str
    assignment_mode: str
    skills: dict[str, list[str]]  # job kind -> required skills
    item_names: list[str]


BRANDS = [
    BrandSpec(
        "oakline",
        "Oakline Doors 橡木门业",
        "door",
        "auto",
        {
            "delivery": ["delivery"],
            "install": ["door_install"],
            "delivery_install": ["delivery", "door_install"],
            "repair": ["door_install"],
        },
        ["橡木室内门 Oak interior door", "防盗门 Security door", "推拉门 Sliding door"],
    ),
    BrandSpec(
        "nordhaus",
        "Nordhaus Furniture 北屋家具",
        "furniture",
        "manual",
        {
            "delivery": ["delivery"],
            "install": ["furniture_assembly"],
            "delivery_install": ["delivery", "furniture_assembly"],
            "repair": ["furniture_assembly"],
        },
        ["三人沙发 3-seat sofa", "衣柜 Wardrobe", "餐桌 Dining table", "床架 Bed frame"],
    ),
    BrandSpec(
        "zhiyun",
        "Zhiyun Appliances 智云电器",
        "appliance",
        "auto",
        {
            "delivery": ["delivery"],
            "install": ["appliance_install", "electrical"],
            "delivery_install": ["delivery", "appliance_install"],
            "repair": ["appliance_install", "electrical"],
        },
        ["滚筒洗衣机 Washing machine", "对开门冰箱 Fridge", "洗碗机 Dishwasher"],
    ),
]
SKILL_SETS = [
    ["delivery", "door_install"],
    ["delivery", "furniture_assembly"],
    ["delivery", "appliance_install", "electrical"],
    ["door_install", "furniture_assembly"],
    ["delivery", "appliance_install", "plumbing"],
    ["delivery", "door_install", "furniture_assembly", "appliance_install", "electrical"],
]
DEALER_NAMES = [
    "静安安装服务",
    "徐汇家居服务",
    "浦东送装中心",
    "长宁快装",
    "虹口到家",
    "杨浦匠心安装",
    "普陀家装服务",
    "闵行送装",
    "宝山安装中心",
    "黄浦上门服务",
    "陆家嘴家居",
    "张江安装",
    "金桥送装",
    "莘庄安装服务",
    "五角场到家",
    "中山公园快装",
    "徐家汇匠人",
    "真如送装",
    "世纪公园安装",
    "外滩家居服务",
]
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
]


def _km_to_deg(lat: float, north_km: float, east_km: float) -> tuple[float, float]:
    return north_km / 111.32, east_km / (111.32 * math.cos(math.radians(lat)))


def area_polygon(rng: random.Random, lat: float, lon: float, radius_km: float) -> Polygon:
    """Draw an irregular star-shaped service area (30 vertices) around a centre."""
    radii = [radius_km * (0.75 + 0.4 * rng.random()) for _ in range(30)]
    smooth = [(radii[i - 1] + 2 * radii[i] + radii[(i + 1) % 30]) / 4 for i in range(30)]
    ring = []
    for i, r in enumerate(smooth):
        angle = 2 * math.pi * i / 30
        dlat, dlon = _km_to_deg(lat, r * math.sin(angle), r * math.cos(angle))
        ring.append((round(lon + dlon, 6), round(lat + dlat, 6)))
    return Polygon(ring)


def demo_keys(brands: list[Brand], dealers: list[Dealer]) -> dict[str, str]:
    """Name the deterministic demo keys (documented in the README; demo data only)."""
    keys = {"admin": DEMO_ADMIN_KEY}
    keys.update({f"brand {b.code}": f"fwt_demo_brand_{b.code}" for b in brands})
    keys.update({f"dealer {d.id} {d.name}": f"fwt_demo_dealer_{d.id}" for d in dealers})
    return keys


def is_empty() -> bool:
    """Tell whether the database has no brands yet."""
    return db.session.scalar(select(Brand.id).limit(1)) is None


def reset() -> None:
    """Delete every row of every table."""
    for table in reversed(Base.metadata.sorted_tables):
        db.session.execute(table.delete())


def seed(
    *,
    seed: int = 2026,
    now: datetime | None = None,
    progress: Callable[[Iterator[Any]], Iterator[Any]] = iter,
) -> dict[str, str]:
    """Create the demo metro and return the demo API keys."""
    rng = random.Random(seed)
    now = now or utcnow()  # the app clock (tests freeze it), so a moment gives one metro
    brands = [
        network.create_brand(name=b.name, code=b.code, assignment_mode=b.assignment_mode)
        for b in BRANDS
    ]
    dealers, areas = _dealers(rng)
    for brand, spec in zip(brands, BRANDS, strict=True):
        for dealer in rng.sample(dealers, 12):
            network.authorize_dealer(brand, dealer, [spec.category, "other"])
    _installers(rng, dealers, areas, now)
    _sla(brands, now)
    keys = demo_keys(brands, dealers)
    _users(brands, dealers)
    create_api_key(role=Role.ADMIN, name="demo admin", raw_key=DEMO_ADMIN_KEY)
    for brand in brands:
        create_api_key(
            role=Role.BRAND, name="demo", brand_id=brand.id, raw_key=f"fwt_demo_brand_{brand.code}"
        )
    for dealer in dealers:
        create_api_key(
            role=Role.DEALER,
            name="demo",
            dealer_id=dealer.id,
            raw_key=f"fwt_demo_dealer_{dealer.id}",
        )
    seed_jobs(rng, brands, BRANDS, now, progress)
    seed_field(rng, now)
    # Orders of several visits come last, from their own random stream, so the metro above
    # stays the same one as before orders had visits.
    seed_orders(random.Random(seed + 1), brands[0], BRANDS[0], now)
    return keys


# West and east of the Huangpu river, for the SLA breakdown by region.
REGIONS = {
    "浦西 Puxi": [
        [121.30, 31.05],
        [121.49, 31.05],
        [121.49, 31.45],
        [121.30, 31.45],
        [121.30, 31.05],
    ],
    "浦东 Pudong": [
        [121.49, 31.05],
        [121.70, 31.05],
        [121.70, 31.45],
        [121.49, 31.45],
        [121.49, 31.05],
    ],
}


def _sla(brands: list[Brand], now: datetime) -> None:
    """Give each brand regions and an SLA policy in force since well before the demo's history."""
    from app.sla import policies

    since = now - timedelta(days=60)
    for brand in brands:
        for name, ring in REGIONS.items():
            policies.create_region(brand.id, name, {"type": "Polygon", "coordinates": [ring]})
        business = brand.code == "nordhaus"
        if business:
            hours = {str(day): [["09:00", "18:00"]] for day in range(1, 7)}
            policies.set_calendar(brand.id, TIMEZONE, hours, ["2027-01-01"])
        policy = policies.create_policy(
            brand.id,
            {
                "assign_minutes": 120,
                "contact_minutes": 240,
                "schedule_minutes": 48 * 60,
                "complete_minutes": 7 * 24 * 60,
                "arrival_tolerance_minutes": 15,
                "business_hours": business,
            },
        )
        policy.created_at = since


DEMO_PASSWORD = "demo-password"  # demo data only, documented in the README


def _users(brands: list[Brand], dealers: list[Dealer]) -> None:
    """People who sign in to the dashboard and the day plans (demo data only)."""
    from app.auth.users import create_user

    create_user(
        email="admin@demo.fuwutong.cn", name="平台管理员", password=DEMO_PASSWORD, role=Role.ADMIN
    )
    for brand in brands:
        create_user(
            email=f"{brand.code}@demo.fuwutong.cn",
            name=f"{brand.name} 运营",
            password=DEMO_PASSWORD,
            role=Role.BRAND,
            brand_id=brand.id,
        )
    create_user(
        email="dealer1@demo.fuwutong.cn",
        name=f"{dealers[0].name} 调度",
        password=DEMO_PASSWORD,
        role=Role.DEALER,
        dealer_id=dealers[0].id,
    )


def _dealers(rng: random.Random) -> tuple[list[Dealer], dict[int, Polygon]]:
    dealers, areas = [], {}
    for i, name in enumerate(DEALER_NAMES):
        row, col = divmod(i, 5)
        lat = 31.12 + row * 0.075 + rng.uniform(-0.02, 0.02)
        lon = 121.36 + col * 0.065 + rng.uniform(-0.02, 0.02)
        dealer = network.create_dealer(
            name=name, timezone=TIMEZONE, phone=f"+8621{62000000 + i * 1111}"
        )
        polygon = area_polygon(rng, lat, lon, rng.uniform(7, 11))
        network.set_service_area(dealer, polygon.__geo_interface__)
        dealers.append(dealer)
        areas[dealer.id] = polygon
    return dealers, areas


def _installers(
    rng: random.Random, dealers: list[Dealer], areas: dict[int, Polygon], now: datetime
) -> list[Installer]:
    installers = []
    for d_index, dealer in enumerate(dealers):
        centre = areas[dealer.id].centroid
        for i in range(5):
            n = d_index * 5 + i
            dlat, dlon = _km_to_deg(centre.y, rng.uniform(-3, 3), rng.uniform(-3, 3))
            weekdays = [1, 2, 3, 4, 5] + ([6] if i % 2 else [7])
            start = time(8) if i % 3 else time(9)
            end = time(18) if i % 3 else time(19)
            installer = network.create_installer(
                dealer,
                {
                    "name": rng.choice(FAMILY) + "".join(rng.sample(GIVEN, 2)),
                    "phone": f"+86139{10000000 + n * 7919 % 89999999:08d}",
                    "skills": SKILL_SETS[(d_index + i) % len(SKILL_SETS)],
                    "home_lat": round(centre.y + dlat, 6),
                    "home_lon": round(centre.x + dlon, 6),
                    "timezone": TIMEZONE,
                    "max_jobs_per_day": rng.choice([4, 5, 6, 6, 8]),
                    "shifts": [
                        {"weekday": w, "start_time": start, "end_time": end} for w in weekdays
                    ],
                },
            )
            if rng.random() < 0.2:
                day = (now + timedelta(days=rng.randint(1, 12))).replace(
                    hour=0, minute=0, second=0, microsecond=0
                )
                network.add_time_off(
                    installer,
                    {
                        "starts_at": day,
                        "ends_at": day + timedelta(days=1),
                        "reason": "年假 annual leave",
                    },
                )
            installers.append(installer)
    return installers
