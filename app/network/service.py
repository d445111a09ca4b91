"""Rules of the service network: brands, dealers, areas, authorizations, installers."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from app.auth.enums import Role
from app.auth.scoping import get_visible, visible
from app.auth.service import Principal
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.extensions import db
from app.geo.geometry import parse_area, to_geojson
from app.network.models import (
    Brand,
    BrandDealer,
    Dealer,
    Installer,
    InstallerShift,
    InstallerTimeOff,
    ServiceArea,
)
from app.network.signals import crew_changed

# Fields the day planner uses: changing one re-plans the installer's booked days.
PLANNED_FIELDS = frozenset(
    {"active", "skills", "home_lat", "home_lon", "max_jobs_per_day", "timezone"}
)


def get_brand(brand_id: int) -> Brand:
    """Load a brand or raise NotFound."""
    brand = db.session.get(Brand, brand_id)
    if brand is None:
        raise NotFound(f"Brand {brand_id} not found.")
    return brand


def get_dealer(dealer_id: int) -> Dealer:
    """Load a dealer or raise NotFound."""
    dealer = db.session.get(Dealer, dealer_id)
    if dealer is None:
        raise NotFound(f"Dealer {dealer_id} not found.")
    return dealer


def _ensure_unique(model: type, field: str, value: Any, *, exclude_id: int | None = None) -> None:
    stmt: Select[Any] = select(model).where(getattr(model, field) == value)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)  # type: ignore[attr-defined]
    existing = db.session.scalar(stmt)
    if existing is not None:
        raise Conflict(
            f"A {model.__name__.lower()} with this {field} already exists.",
            code=f"duplicate_{field}",
            fields={field: ["already used"]},
            existing_id=existing.id,
        )


def create_brand(*, name: str, code: str, assignment_mode: str = "auto") -> Brand:
    """Create a brand with a unique name and code."""
    _ensure_unique(Brand, "name", name)
    _ensure_unique(Brand, "code", code)
    brand = Brand(name=name, code=code, assignment_mode=assignment_mode)
    db.session.add(brand)
    db.session.flush()
    return brand


def update_brand(brand: Brand, changes: dict[str, Any]) -> Brand:
    """Apply allowed changes to a brand."""
    if "name" in changes:
        _ensure_unique(Brand, "name", changes["name"], exclude_id=brand.id)
    url = changes.get("sla_webhook_url", brand.sla_webhook_url)
    if url and not changes.get("sla_webhook_secret", brand.sla_webhook_secret):
        # Alerts are signed with the secret: without one the receiver cannot trust them.
        raise Unprocessable(
            "An sla_webhook_url needs an sla_webhook_secret (16–200 characters) to sign alerts.",
            fields={"sla_webhook_secret": ["required with sla_webhook_url"]},
        )
    for field, value in changes.items():
        setattr(brand, field, value)
    db.session.flush()
    return brand


def create_dealer(**fields: Any) -> Dealer:
    """Create a dealer."""
    _ensure_unique(Dealer, "name", fields["name"])
    dealer = Dealer(**fields)
    db.session.add(dealer)
    db.session.flush()
    return dealer


ADMIN_ONLY_DEALER_FIELDS = frozenset({"active", "name"})


def update_dealer(dealer: Dealer, changes: dict[str, Any], *, by: Role = Role.ADMIN) -> Dealer:
    """Apply allowed changes to a dealer (only an admin renames or (de)activates one)."""
    kept = sorted(ADMIN_ONLY_DEALER_FIELDS & changes.keys())
    if by is not Role.ADMIN and kept:
        raise Forbidden(
            f"Only an admin may change {', '.join(kept)}.",
            code="admin_only_field",
            fields={name: ["admin only"] for name in kept},
        )
    if "name" in changes:
        _ensure_unique(Dealer, "name", changes["name"], exclude_id=dealer.id)
    for field, value in changes.items():
        setattr(dealer, field, value)
    db.session.flush()
    return dealer


def area_km2(geojson: dict[str, Any]) -> float:
    """Approximate a WGS84 polygon's area in km² (local equirectangular projection)."""
    geometry = parse_area(geojson)
    lat = geometry.centroid.y
    return round(geometry.area * 111.32 * 111.32 * math.cos(math.radians(lat)), 3)


def set_service_area(dealer: Dealer, geojson: Any) -> ServiceArea:
    """Replace a dealer's service area with a validated GeoJSON (Multi)Polygon."""
    geometry = to_geojson(parse_area(geojson))
    area = dealer.area
    if area is None:
        area = ServiceArea(dealer=dealer, geometry=geometry)
        db.session.add(area)
    else:
        area.geometry = geometry
    db.session.flush()
    return area


def get_service_area(dealer: Dealer) -> ServiceArea:
    """Return the dealer's service area or raise NotFound."""
    if dealer.area is None:
        raise NotFound(f"Dealer {dealer.id} has no service area yet.")
    return dealer.area


def authorize_dealer(brand: Brand, dealer: Dealer, categories: Iterable[str]) -> BrandDealer:
    """Allow a dealer to serve a brand's jobs in the given categories (replaces earlier ones)."""
    link = db.session.scalar(
        select(BrandDealer).where(
            BrandDealer.brand_id == brand.id, BrandDealer.dealer_id == dealer.id
        )
    )
    if link is None:
        link = BrandDealer(brand_id=brand.id, dealer_id=dealer.id, categories=[])
        db.session.add(link)
    link.categories = sorted(set(categories))
    db.session.flush()
    return link


def revoke_authorization(brand: Brand, dealer: Dealer) -> None:
    """Stop a dealer serving a brand."""
    link = db.session.scalar(
        select(BrandDealer).where(
            BrandDealer.brand_id == brand.id, BrandDealer.dealer_id == dealer.id
        )
    )
    if link is None:
        raise NotFound(f"Dealer {dealer.id} is not authorized for brand {brand.id}.")
    db.session.delete(link)
    db.session.flush()


def list_authorizations(brand: Brand) -> list[BrandDealer]:
    """List the dealers authorized for a brand."""
    stmt = (
        select(BrandDealer).where(BrandDealer.brand_id == brand.id).order_by(BrandDealer.dealer_id)
    )
    return list(db.session.scalars(stmt))


def installers_of(dealer: Dealer, *, active: bool | None = None) -> Select[Installer]:
    """Select a dealer's installers."""
    stmt = select(Installer).where(Installer.dealer_id == dealer.id).order_by(Installer.id)
    if active is not None:
        stmt = stmt.where(Installer.active.is_(active))
    return stmt


def known_skills() -> list[str]:
    """Every skill code some installer of the network has, sorted: the network's vocabulary."""
    skills: set[str] = set()
    for held in db.session.scalars(select(Installer.skills)):
        skills.update(held or [])
    return sorted(skills)


def check_skills(skills: Iterable[str], *, field: str = "required_skills") -> None:
    """Refuse (422) skill codes no installer of the network has, naming the known ones."""
    known = known_skills()
    unknown = [skill for skill in skills if skill not in known]
    if not unknown:
        return
    hints = [
        f"{skill} (did you mean {close[0]}?)" if close else skill
        for skill in unknown
        for close in [difflib.get_close_matches(skill, known, n=1)]
    ]
    listed = ", ".join(known) if known else "none yet (add installers with skills first)"
    message = f"Unknown skill: {', '.join(hints)}. Skills installers have: {listed}."
    raise Unprocessable(
        message,
        code="unknown_skill",
        fields={field: [message]},
        unknown_skills=unknown,
        known_skills=known,
    )


def get_installer(principal: Principal, installer_id: int) -> Installer:
    """Load an installer the principal may see."""
    return get_visible(Installer, installer_id, principal)


def visible_installers(principal: Principal) -> Select[Installer]:
    """Select the installers a principal may see."""
    return visible(Installer, principal).order_by(Installer.id)


def _shift_rows(shifts: Iterable[dict[str, Any]]) -> list[InstallerShift]:
    # In the relationship's order, so a fresh installer reads like one loaded from the database.
    ordered = sorted(shifts, key=lambda s: (s["weekday"], s["start_time"]))
    return [
        InstallerShift(weekday=s["weekday"], start_time=s["start_time"], end_time=s["end_time"])
        for s in ordered
    ]


def create_installer(dealer: Dealer, fields: dict[str, Any]) -> Installer:
    """Add an installer with their weekly shifts to a dealer."""
    fields = dict(fields)
    _ensure_unique(Installer, "phone", fields["phone"])
    shifts = fields.pop("shifts", [])
    installer = Installer(dealer_id=dealer.id, **fields)
    installer.shifts = _shift_rows(shifts)
    db.session.add(installer)
    db.session.flush()
    return installer


def _changed(
    installer: Installer,
    what: str,
    *,
    period: tuple[datetime, datetime] | None = None,
    weekdays: frozenset[int] | None = None,
) -> None:
    crew_changed.send(
        installer.dealer_id,
        installer_id=installer.id,
        period=period,
        weekdays=weekdays,
        reason=f"{what} installer {installer.id}",
    )


def update_installer(installer: Installer, changes: dict[str, Any]) -> Installer:
    """Apply allowed changes to an installer."""
    if "phone" in changes:
        _ensure_unique(Installer, "phone", changes["phone"], exclude_id=installer.id)
    planned = sorted(
        f for f in PLANNED_FIELDS & changes.keys() if getattr(installer, f) != changes[f]
    )
    for field, value in changes.items():
        setattr(installer, field, value)
    db.session.flush()
    if planned:
        _changed(installer, "+".join(planned))
    return installer


def replace_shifts(installer: Installer, shifts: list[dict[str, Any]]) -> Installer:
    """Replace an installer's weekly shifts."""
    before = {(s.weekday, s.start_time, s.end_time) for s in installer.shifts}
    installer.shifts = _shift_rows(shifts)
    db.session.flush()
    after = {(s.weekday, s.start_time, s.end_time) for s in installer.shifts}
    if before != after:
        _changed(installer, "shifts", weekdays=frozenset(w for w, _, _ in before ^ after))
    return installer


def add_time_off(installer: Installer, fields: dict[str, Any]) -> InstallerTimeOff:
    """Record an absence."""
    absence = InstallerTimeOff(installer_id=installer.id, **fields)
    installer.time_off.append(absence)
    db.session.flush()
    _changed(installer, "time_off", period=(absence.starts_at, absence.ends_at))
    return absence


def delete_time_off(installer: Installer, time_off_id: int) -> None:
    """Remove an absence."""
    for absence in installer.time_off:
        if absence.id == time_off_id:
            installer.time_off.remove(absence)
            db.session.flush()
            period = (absence.starts_at, absence.ends_at)
            _changed(installer, "time_off_removed", period=period)
            return
    raise NotFound(f"Time off {time_off_id} not found for installer {installer.id}.")
