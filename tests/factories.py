"""Test data, built through the services the API uses; every helper commits its own unit of work."""

from __future__ import annotations

import itertools
import logging
import math
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.auth.enums import Role
from app.auth.service import Actor, create_api_key
from app.db import transaction
from app.extensions import db
from app.jobs import service as jobs
from app.jobs.enums import JobStatus
from app.jobs.models import Job
from app.jobs.schemas import JobCreateSchema
from app.jobs.service import TRANSITIONS
from app.network import service as network
from app.network.models import Brand, Dealer, Installer

_seq = itertools.count(1)
PEOPLES_SQUARE = (31.2304, 121.4737)  # lat, lon


def square(
    lat: float = PEOPLES_SQUARE[0], lon: float = PEOPLES_SQUARE[1], km: float = 10.0
) -> dict[str, Any]:
    """A GeoJSON square `km` wide around a point."""
    dlat = km / 2 / 111.32
    dlon = km / 2 / (111.32 * math.cos(math.radians(lat)))
    ring = [
        [lon - dlon, lat - dlat],
        [lon + dlon, lat - dlat],
        [lon + dlon, lat + dlat],
        [lon - dlon, lat + dlat],
        [lon - dlon, lat - dlat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def brand(
    app: Flask, code: str | None = None, name: str | None = None, assignment_mode: str = "manual"
) -> Brand:
    """A brand; manual assignment by default so a test decides when a job gets its dealer."""
    n = next(_seq)
    with app.app_context(), transaction():
        return network.create_brand(
            name=name or f"Brand {n}", code=code or f"brand-{n}", assignment_mode=assignment_mode
        )


def dealer(
    app: Flask,
    *,
    area: dict[str, Any] | bool | None = None,
    timezone: str = "Asia/Shanghai",
    name: str | None = None,
) -> Dealer:
    n = next(_seq)
    with app.app_context(), transaction():
        row = network.create_dealer(name=name or f"Dealer {n}", timezone=timezone, phone=None)
        if area is not False:
            network.set_service_area(row, area or square())
        return row


def authorize(
    app: Flask,
    brand_: Brand,
    dealer_: Dealer,
    categories: tuple[str, ...] = ("door", "furniture", "appliance", "other"),
) -> None:
    with app.app_context(), transaction():
        network.authorize_dealer(
            network.get_brand(brand_.id), network.get_dealer(dealer_.id), categories
        )


def installer(app: Flask, dealer_: Dealer, **fields: Any) -> Installer:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Installer {n}",
        "phone": f"+86139{n:08d}",
        "skills": ["delivery", "door_install"],
        "home_lat": PEOPLES_SQUARE[0],
        "home_lon": PEOPLES_SQUARE[1],
        "timezone": "Asia/Shanghai",
        "max_jobs_per_day": 6,
        "shifts": [],
    }
    values.update(fields)
    with app.app_context(), transaction():
        return network.create_installer(network.get_dealer(dealer_.id), values)


def known_skills(app: Flask, skills: tuple[str, ...] = ("delivery", "door_install")) -> Installer:
    """Make skills known to the network (jobs may require them) without changing matching:
    an installer of a dealer with no service area, who can take no job."""
    return installer(app, dealer(app, area=False), skills=list(skills))


def api_key(
    app: Flask, role: str, *, brand: Brand | None = None, dealer: Dealer | None = None
) -> str:
    with app.app_context(), transaction():
        _, raw = create_api_key(
            role=Role(role),
            name="test",
            brand_id=brand.id if brand else None,
            dealer_id=dealer.id if dealer else None,
        )
    return raw


def job_payload(**overrides: Any) -> dict[str, Any]:
    """A valid POST /api/v1/jobs body near People's Square."""
    n = next(_seq)
    body: dict[str, Any] = {
        "external_id": f"ORD-{n}",
        "category": "door",
        "kind": "install",
        "required_skills": ["door_install"],
        "duration_minutes": 60,
        "items": [{"sku": "DOOR-1", "name": "Oak door", "quantity": 1}],
        "consumer": {"name": "王芳", "phone": "+8613812345678", "locale": "zh-CN"},
        "address": "上海市南京西路1266号",
        "lat": PEOPLES_SQUARE[0],
        "lon": PEOPLES_SQUARE[1],
    }
    body.update(overrides)
    return body


ALL_WEEK = [{"weekday": d, "start_time": time(8), "end_time": time(19)} for d in range(1, 8)]


class Metro:
    """A brand, a dealer covering People's Square with installers, and keys for each role."""

    def __init__(
        self,
        app: Flask,
        *,
        installers: int = 2,
        max_jobs: int = 4,
        skills: tuple[str, ...] = ("delivery", "door_install"),
        timezone: str = "Asia/Shanghai",
        assignment_mode: str = "auto",
        center: tuple[float, float] = PEOPLES_SQUARE,
        dealer_settings: dict[str, Any] | None = None,
    ) -> None:
        from app.network.service import update_dealer

        self.app = app
        n = next(_seq)
        with app.app_context(), transaction():
            self.brand = network.create_brand(
                name=f"Brand {n}", code=f"brand-{n}", assignment_mode=assignment_mode
            )
        self.dealer = dealer(app, timezone=timezone, area=square(*center, km=20))
        if dealer_settings:
            with app.app_context(), transaction():
                update_dealer(network.get_dealer(self.dealer.id), dealer_settings)
        authorize(app, self.brand, self.dealer)
        self.installers = [
            installer(
                app,
                self.dealer,
                skills=list(skills),
                max_jobs_per_day=max_jobs,
                timezone=timezone,
                home_lat=center[0],
                home_lon=center[1],
                shifts=ALL_WEEK,
            )
            for _ in range(installers)
        ]
        self.brand_key = api_key(app, "brand", brand=self.brand)
        self.dealer_key = api_key(app, "dealer", dealer=self.dealer)
        self.center = center

    def job(self, client: Any, **overrides: Any) -> dict[str, Any]:
        """Create a job through the API as the brand; return its JSON."""
        body = job_payload(**{"lat": self.center[0], "lon": self.center[1], **overrides})
        response = client.post(
            "/api/v1/jobs", json=body, headers={"Authorization": f"Bearer {self.brand_key}"}
        )
        assert response.status_code == 201, response.json
        return response.json


def _shortest_paths() -> dict[JobStatus, list[JobStatus]]:
    """Walk the lifecycle from created: the shortest legal path to every status."""
    paths: dict[JobStatus, list[JobStatus]] = {JobStatus.CREATED: []}
    queue = [JobStatus.CREATED]
    while queue:
        current = queue.pop(0)
        for nxt in sorted(TRANSITIONS[current]):
            if nxt not in paths:
                paths[nxt] = [*paths[current], nxt]
                queue.append(nxt)
    return paths


PATH_TO = _shortest_paths()
ADMIN_ACTOR = Actor("admin", "test")


def job(
    app: Flask,
    brand_: Brand,
    *,
    status: str = "created",
    dealer_: Dealer | None = None,
    installer_: Installer | None = None,
    **overrides: Any,
) -> Job:
    """Take an order through the intake service and walk it along the lifecycle to `status`."""
    fields = JobCreateSchema().load(job_payload(**overrides))
    with app.app_context(), transaction():
        row = jobs.create_job(brand_.id, fields, Actor("brand", f"{brand_.id}/test"))
        for step in PATH_TO[JobStatus(status)]:
            if step is JobStatus.ASSIGNED and dealer_ is not None:
                row.dealer_id = dealer_.id
            if step is JobStatus.DISPATCHED and installer_ is not None:
                row.installer_id = installer_.id
            jobs.transition(row, step, ADMIN_ACTOR)
        return row


def rows(app: Flask, model: type) -> list[Any]:
    """Return every row of a model (to check what was, or was not, written)."""
    with app.app_context():
        return list(db.session.scalars(select(model).order_by(model.id)))  # type: ignore[attr-defined]


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def time_off(app: Flask, installer_: Installer, *, days: int = 1, reason: str = "") -> Any:
    starts = datetime(2026, 12, 1, tzinfo=UTC)
    with app.app_context(), transaction():
        row = db.session.get(Installer, installer_.id)
        assert row is not None
        return network.add_time_off(
            row, {"starts_at": starts, "ends_at": starts + timedelta(days=days), "reason": reason}
        )


def installer_payload(**overrides: Any) -> dict[str, Any]:
    """A valid POST /api/v1/dealers/<id>/installers body."""
    n = next(_seq)
    body: dict[str, Any] = {
        "name": f"师傅 {n}",
        "phone": f"+86137{n:08d}",
        "skills": ["delivery", "door_install"],
        "home_lat": 31.2304,
        "home_lon": 121.4737,
        "timezone": "Asia/Shanghai",
        "max_jobs_per_day": 5,
        "shifts": [{"weekday": 1, "start": "08:00", "end": "12:00"}],
    }
    body.update(overrides)
    return body


def block(app: Flask, dealer_: Dealer, *, days_ahead: int = 30) -> Any:
    """Hold back a dealer's whole day some weeks ahead."""
    from app.scheduling.blocks import add_block

    starts = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(days=days_ahead)
    with app.app_context(), transaction():
        return add_block(
            network.get_dealer(dealer_.id),
            {
                "installer_id": None,
                "starts_at": starts,
                "ends_at": starts + timedelta(days=1),
                "reason": "test",
            },
        )


# The field app's day: Wednesday 2 December 2026 in Shanghai, booked on Tuesday morning.
BOOKED_AT = "2026-12-01T00:00:00+00:00"  # Tue 08:00 local
FIELD_DAY = "2026-12-02"
FIELD_MORNING = "2026-12-02T00:30:00+00:00"  # Wed 08:30 local


def datetime_of(text: str) -> Any:
    """Parse an ISO 8601 instant."""
    from datetime import datetime

    return datetime.fromisoformat(text)


def book(client: Any, metro: Metro, job_id: int, window: int = 0, day: str = FIELD_DAY) -> Any:
    """Book a job into the n-th window of a day as the brand; return the booking JSON."""
    auth = {"Authorization": f"Bearer {metro.brand_key}"}
    found = client.get(
        f"/api/v1/jobs/{job_id}/windows", query_string={"from": day, "days": 1}, headers=auth
    ).json["windows"]
    booked = client.post(
        f"/api/v1/jobs/{job_id}/booking",
        json={"window_start": found[window]["start"]},
        headers=auth,
    )
    assert booked.status_code == 201, booked.json
    return booked.json


def dispatch(client: Any, metro: Metro, day: str = FIELD_DAY) -> Any:
    """Dispatch the dealer's day as the dealer; return the answer."""
    response = client.post(
        f"/api/v1/dealers/{metro.dealer.id}/dispatch",
        query_string={"date": day},
        headers={"Authorization": f"Bearer {metro.dealer_key}"},
    )
    assert response.status_code == 200, response.json
    return response.json


def field_day(
    app: Flask, client: Any, clock: Any, *, jobs: int = 3, dispatched: bool = True, **metro: Any
) -> tuple[Metro, list[dict[str, Any]]]:
    """A metro with one installer whose Wednesday holds `jobs` booked jobs; the clock stands on
    Wednesday 08:30 local, and the day is dispatched unless asked otherwise."""
    clock.set(datetime_of(BOOKED_AT))
    city = Metro(app, installers=metro.pop("installers", 1), max_jobs=6, **metro)
    made = [city.job(client, duration_minutes=30) for _ in range(jobs)]
    for n, job in enumerate(made):
        book(client, city, job["id"], window=n % 5)
    clock.set(datetime_of(FIELD_MORNING))
    if dispatched:
        dispatch(client, city)
    return city, made


def device_token(app: Flask, installer: Installer) -> str:
    """Sign an installer in on a phone (without the SMS round trip); return the raw token."""
    from app.extensions import db
    from app.field.signin import issue_token

    with app.app_context(), transaction():
        row = db.session.get(Installer, installer.id)
        assert row is not None
        return issue_token(row, "test phone", via="code").raw_token


def image(fmt: str = "PNG", size: tuple[int, int] = (8, 8), color: Any = (200, 30, 30)) -> bytes:
    """The bytes of a small image in a format Pillow writes (PNG, JPEG, WEBP, GIF …)."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def attachment(app: Flask, job_: Job, installer_: Installer) -> Any:
    """A stored photo on a job, as if its installer had uploaded it during the visit."""
    from app.field import uploads
    from app.field.models import Attachment

    data = image()
    with app.app_context(), transaction():
        inspected = uploads.inspect_image(data, "image/png")
        uploads.store(data, inspected)
        row = Attachment(
            job_id=job_.id,
            kind="photo",
            sha256=inspected.sha256,
            content_type=inspected.content_type,
            size=inspected.size,
            width=inspected.width,
            height=inspected.height,
            installer_id=installer_.id,
        )
        db.session.add(row)
    return row


class _Texts(logging.Handler):
    """Every SMS the log backend sent in this process: what the phones received."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.sent: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "SMS to %s: %s" and isinstance(record.args, tuple):
            to, body = record.args
            self.sent.append((str(to), str(body)))

    def install(self) -> None:
        logger = logging.getLogger("app.notify.backends")
        logger.setLevel(logging.INFO)
        if self not in logger.handlers:
            logger.addHandler(self)


TEXTS = _Texts()


def texted(app: Flask, phone: str, template: str) -> str:
    """The latest `template` SMS to a phone as the phone got it (what is due to it is sent
    first, through the configured backend); the outbox keeps codes and links masked."""
    from sqlalchemy import select

    from app.extensions import db
    from app.notify import sender
    from app.notify.models import OutboundMessage

    with app.app_context():
        due = db.session.scalars(
            select(OutboundMessage.id).where(
                OutboundMessage.to == phone,
                OutboundMessage.template == template,
                OutboundMessage.status == "pending",
            )
        ).all()
        db.session.commit()
        for message_id in due:
            sender.send_one(message_id)
        sent = db.session.scalars(
            select(OutboundMessage.body)
            .where(
                OutboundMessage.to == phone,
                OutboundMessage.template == template,
                OutboundMessage.sent_at.is_not(None),
            )
            .order_by(OutboundMessage.id.desc())
        ).first()
    assert sent is not None, f"no {template} was texted to {phone}"
    # The masked outbox text, with the secret a wildcard, finds the phone's copy.
    pattern = re.compile(re.escape(sent).replace(re.escape("******"), r"(\S+?)") + "$")
    for to, body in reversed(TEXTS.sent):
        if to == phone and pattern.match(body):
            return body
    raise AssertionError(f"the {template} to {phone} was not in the SMS log")


def texted_code(app: Flask, phone: str) -> str:
    """The sign-in code most recently texted to a phone."""
    found = re.search(r"\b(\d{6})\b", texted(app, phone, "installer_code"))
    assert found
    return found.group(1)


def texted_invite_link(app: Flask, phone: str) -> str:
    """The invite link most recently texted to a phone."""
    found = re.search(
        r"https?://\S+/field/#invite=[A-Za-z0-9_-]+", texted(app, phone, "installer_invite")
    )
    assert found
    return found.group(0)


def user(app: Flask, role: str, *, password: str = "correct horse battery", **owner: Any) -> Any:
    """A person who signs in to the web pages."""
    from app.auth.users import create_user

    n = next(_seq)
    with app.app_context(), transaction():
        return create_user(
            email=f"user{n}@example.com",
            name=f"User {n}",
            password=password,
            role=Role(role),
            **owner,
        )


def web_login(client: Any, email: str, password: str = "correct horse battery") -> Any:
    """Sign a test client in through the login form (with its CSRF token)."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"csrf": token, "email": email, "password": password})
