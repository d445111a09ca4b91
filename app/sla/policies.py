"""SLA policies and their scope, versions, regions and business calendars."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import current_app
from shapely.geometry import Point, shape
from sqlalchemy import or_, select

from app.db import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.geo.geometry import parse_area, to_geojson
from app.sla.clock import Calendar
from app.sla.models import BusinessCalendar, SlaPolicy, SlaRegion

TARGETS = (
    "assign_minutes",
    "contact_minutes",
    "schedule_minutes",
    "complete_minutes",
    "arrival_tolerance_minutes",
    "track_first_visit",
    "business_hours",
)


def create_region(brand_id: int, name: str, geometry: Any) -> SlaRegion:
    """Add a named region (a validated GeoJSON polygon) to a brand."""
    if db.session.scalar(
        select(SlaRegion).where(SlaRegion.brand_id == brand_id, SlaRegion.name == name)
    ):
        raise Conflict(
            f"Region {name!r} already exists.",
            code="duplicate_name",
            fields={"name": ["already used"]},
        )
    region = SlaRegion(brand_id=brand_id, name=name, geometry=to_geojson(parse_area(geometry)))
    db.session.add(region)
    db.session.flush()
    return region


def regions(brand_id: int) -> list[SlaRegion]:
    """A brand's regions."""
    return list(
        db.session.scalars(
            select(SlaRegion).where(SlaRegion.brand_id == brand_id).order_by(SlaRegion.id)
        )
    )


def region_of(brand_id: int, lat: float, lon: float) -> int | None:
    """The first of the brand's regions covering a point."""
    point = Point(lon, lat)
    for region in regions(brand_id):
        if shape(region.geometry).covers(point):
            return region.id
    return None


def in_force(brand_id: int) -> list[SlaPolicy]:
    """The brand's current policy versions."""
    stmt = (
        select(SlaPolicy)
        .where(SlaPolicy.brand_id == brand_id, SlaPolicy.superseded_at.is_(None))
        .order_by(SlaPolicy.id)
    )
    return list(db.session.scalars(stmt))


def create_policy(brand_id: int, fields: dict[str, Any]) -> SlaPolicy:
    """Add a policy for a scope that has none yet."""
    category, region_id = fields.get("category"), fields.get("region_id")
    if region_id is not None:
        region = db.session.get(SlaRegion, region_id)
        if region is None or region.brand_id != brand_id:
            raise Unprocessable(f"Region {region_id} not found.", fields={"region_id": ["unknown"]})
    for policy in in_force(brand_id):
        if (policy.category, policy.region_id) == (category, region_id):
            raise Conflict(
                f"Policy {policy.id} already covers this scope; change it instead (a new version).",
                code="duplicate_scope",
                policy_id=policy.id,
            )
    _ensure_calendar(brand_id, bool(fields.get("business_hours")))
    policy = SlaPolicy(brand_id=brand_id, category=category, region_id=region_id, version=1)
    for name in TARGETS:
        if name in fields:
            setattr(policy, name, fields[name])
    db.session.add(policy)
    db.session.flush()
    return policy


def _ensure_calendar(brand_id: int, business_hours: bool) -> None:
    """Business-hours clocks need the brand's calendar, or they would silently run 24/7."""
    if business_hours and db.session.get(BusinessCalendar, brand_id) is None:
        raise Unprocessable(
            "business_hours needs the brand's business calendar: set it first with "
            f"PUT /api/v1/brands/{brand_id}/business-calendar.",
            fields={"business_hours": ["the brand has no business calendar"]},
        )


def revise_policy(policy: SlaPolicy, changes: dict[str, Any]) -> SlaPolicy:
    """Write a new version of a policy; jobs already created keep the old one."""
    if policy.superseded_at is not None:
        raise Conflict(
            f"Policy {policy.id} was superseded; change its latest version.", code="superseded"
        )
    _ensure_calendar(policy.brand_id, changes.get("business_hours", policy.business_hours))
    now = utcnow()
    revised = SlaPolicy(
        brand_id=policy.brand_id,
        category=policy.category,
        region_id=policy.region_id,
        version=policy.version + 1,
        created_at=now,
        **{name: changes.get(name, getattr(policy, name)) for name in TARGETS},
    )
    policy.superseded_at = now
    db.session.add(revised)
    db.session.flush()
    return revised


def retire_policy(policy: SlaPolicy) -> None:
    """Stop applying a policy to new jobs (history keeps it)."""
    if policy.superseded_at is None:
        policy.superseded_at = utcnow()
        db.session.flush()


def policy_for(
    brand_id: int, category: str, region_id: int | None, at: datetime
) -> SlaPolicy | None:
    """The version in force at `at` for the most specific scope matching the job."""
    stmt = select(SlaPolicy).where(
        SlaPolicy.brand_id == brand_id,
        SlaPolicy.created_at <= at,
        or_(SlaPolicy.superseded_at.is_(None), SlaPolicy.superseded_at > at),
        or_(SlaPolicy.category.is_(None), SlaPolicy.category == category),
        or_(SlaPolicy.region_id.is_(None), SlaPolicy.region_id == region_id),
    )
    found = list(db.session.scalars(stmt))
    # Category and region beat region alone, which beats category alone, which beats neither.
    found.sort(key=lambda p: (p.category is not None) + 2 * (p.region_id is not None), reverse=True)
    return found[0] if found else None


def get_policy(brand_id: int, policy_id: int) -> SlaPolicy:
    """Load one of the brand's policy versions."""
    policy = db.session.get(SlaPolicy, policy_id)
    if policy is None or policy.brand_id != brand_id:
        raise NotFound(f"SLA policy {policy_id} not found.")
    return policy


def set_calendar(
    brand_id: int, timezone: str, hours: dict[str, Any], holidays: list[str]
) -> BusinessCalendar:
    """Set a brand's business hours and holidays; running business-hours deadlines follow."""
    from app.sla.facts import recompute_open_deadlines  # facts needs this module's lookups

    row = db.session.get(BusinessCalendar, brand_id)
    if row is None:
        row = BusinessCalendar(brand_id=brand_id, timezone=timezone, hours=hours, holidays=holidays)
        db.session.add(row)
    else:
        row.timezone, row.hours, row.holidays = timezone, hours, holidays
    db.session.flush()
    recompute_open_deadlines(brand_id)
    return row


def get_calendar(brand_id: int) -> BusinessCalendar:
    """The brand's stored business calendar, or NotFound."""
    row = db.session.get(BusinessCalendar, brand_id)
    if row is None:
        raise NotFound(f"Brand {brand_id} has no business calendar.")
    return row


def calendar_of(brand_id: int) -> Calendar | None:
    """The brand's business calendar for clock arithmetic (None if it has none)."""
    row = db.session.get(BusinessCalendar, brand_id)
    if row is None:
        return None
    hours = {
        int(day): [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in periods]
        for day, periods in row.hours.items()
    }
    return Calendar(row.timezone, hours, frozenset(date.fromisoformat(d) for d in row.holidays))


def report_zone(brand_id: int | None) -> str:
    """The time zone a brand's reports use: its calendar's, else the deployment default."""
    row = db.session.get(BusinessCalendar, brand_id) if brand_id is not None else None
    return row.timezone if row is not None else current_app.config["DEFAULT_TIMEZONE"]
