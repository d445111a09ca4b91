"""`flask demo seed|reset`: the demo metro."""

import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from app.auth.models import ApiKey
from app.extensions import db
from app.jobs.enums import JobStatus
from app.jobs.models import Job, JobEvent
from app.jobs.service import TRANSITIONS
from app.network.models import Brand, BrandDealer, Dealer, Installer, ServiceArea
from tests import factories


def _snapshot(app):
    """What the same seed must reproduce: every job's order id, place, status and dealer."""
    with app.app_context():
        dealers = {d.id: d.name for d in db.session.scalars(select(Dealer))}
        return sorted(
            (j.external_id, j.lat, j.lon, j.status, dealers.get(j.dealer_id), j.address)
            for j in db.session.scalars(select(Job))
        )


# The metro's 100 installers and 500 jobs, plus the field app's 2 installers with 7 jobs each,
# plus 9 door orders of two visits (delivery, then install).
INSTALLERS, JOBS = 100 + 2, 500 + 2 * 7 + 9 * 2


def _check_metro(app):
    counts = {m.__name__: factories.count(app, m) for m in (Brand, Dealer, Installer, Job)}
    assert counts == {"Brand": 3, "Dealer": 20, "Installer": INSTALLERS, "Job": JOBS}
    with app.app_context():
        areas = {a.dealer_id: shape(a.geometry) for a in db.session.scalars(select(ServiceArea))}
        assert len(areas) == 20
        assert all(area.is_valid and area.area > 0 for area in areas.values())
        authorized = {(a.brand_id, a.dealer_id) for a in db.session.scalars(select(BrandDealer))}
        jobs = list(db.session.scalars(select(Job)))
        events = {}
        for event in db.session.scalars(select(JobEvent).order_by(JobEvent.id)):
            events.setdefault(event.job_id, []).append(event)

        statuses = Counter(j.status for j in jobs)
        assert len(statuses) >= 8, statuses
        covering = [sum(a.covers(Point(j.lon, j.lat)) for a in areas.values()) for j in jobs]
        assert sum(n >= 2 for n in covering) >= 50  # service areas overlap
        for job in jobs:
            chain = events[job.id]
            assert (chain[0].type, chain[0].to_status) == ("created", "created")
            current = JobStatus.CREATED
            for event in chain[1:]:
                if event.to_status is None:  # a note on the job (SMS, plan, booking moved)
                    continue
                assert event.from_status == current, job.external_id
                assert JobStatus(event.to_status) in TRANSITIONS[current], job.external_id
                current = JobStatus(event.to_status)
            assert current == job.status
            if job.dealer_id is not None:
                assert (job.brand_id, job.dealer_id) in authorized
                assert areas[job.dealer_id].covers(Point(job.lon, job.lat))
            else:
                assert job.status == "created"
            if job.status in {"dispatched", "en_route", "on_site", "in_progress", "completed"}:
                assert job.installer_id is not None
        installers = list(db.session.scalars(select(Installer)))
        # Six working days a week; the field-app installers work every day (any day is a demo).
        assert sorted(Counter(len(i.shifts) for i in installers).items()) == [(6, 100), (7, 2)]


def _check_sla_history(app):
    """The replayed past stays in the past, and a delivered invitation is the consumer's contact."""
    from app.db import utcnow
    from app.notify.models import OutboundMessage
    from app.sla.metrics import state
    from app.sla.models import JobSla

    with app.app_context():
        now = utcnow()
        future = db.session.scalar(
            select(func.count()).select_from(JobEvent).where(JobEvent.occurred_at > now)
        )
        assert future == 0
        delivered = select(OutboundMessage.job_id).where(
            OutboundMessage.template == "invitation", OutboundMessage.status == "delivered"
        )
        rows = db.session.execute(
            select(JobSla.contacted_at, JobSla.contact_due, state("contact", now)).where(
                JobSla.job_id.in_(delivered)
            )
        ).all()
        assert len(rows) > 50
        assert all(contacted is not None for contacted, _, _ in rows)
        # Breached only when the delivery itself was late: a night-time order's invitation
        # waits for the end of SMS quiet hours (08:00 local) past a 24/7 four-hour target.
        for contacted, due, contact in rows:
            assert contact == ("met" if contacted <= due else "breached")
            if contact == "breached":
                assert contacted.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M") == "08:00"


def _printed_keys(output):
    return re.findall(r"fwt_demo_\w+", output)


@pytest.mark.slow
def test_seed_if_empty_and_reset_give_the_same_metro(app, as_key, clock):
    # Seed and reset at the same moment of loading: the same metro (README "The demo metro").
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output
    _check_metro(app)
    _check_sla_history(app)
    first = _snapshot(app)
    # The keys the command prints all work.
    printed = [key for key in _printed_keys(seeded.output) if not key.endswith("_N")]
    assert len(printed) == 1 + 3 + 1
    for key in printed:
        assert as_key(key).get("/api/v1/jobs").status_code == 200, key
    admin = as_key("fwt_demo_admin")
    assert admin.get("/api/v1/jobs").json["total"] == JOBS
    # Door orders of two visits: 6 wait for goods (3 not announced, 3 on their way); the other
    # 3 have their goods, and their delivery is booked where a crew had room.
    waiting = admin.get("/api/v1/orders", query_string={"waiting": "goods"}).json
    assert waiting["total"] == 6
    assert {o["goods"]["status"] for o in waiting["items"]} == {"unknown", "expected"}
    doors = admin.get("/api/v1/orders", query_string={"per_page": 200}).json["items"]
    two = [o for o in doors if len(o["visits"]) == 2]
    assert len(two) == 9
    received = [o for o in two if o["goods"]["status"] == "received"]
    booked = [o for o in received if o["visits"][0]["status"] in ("scheduled", "dispatched")]
    assert booked
    assert all(len({v["dealer_id"] for v in o["visits"]}) == 1 for o in two)  # one dealer
    brand = as_key("fwt_demo_brand_oakline").get("/api/v1/jobs").json
    assert 0 < brand["total"] < JOBS

    skipped = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert skipped.exit_code == 0
    assert "skipped" in skipped.output
    refused = runner.invoke(args=["demo", "seed"])
    assert refused.exit_code == 1
    assert "already has data" in refused.output
    assert factories.count(app, Job) == JOBS

    reset = runner.invoke(args=["demo", "reset", "--yes"])
    assert reset.exit_code == 0, reset.output
    _check_metro(app)
    assert _snapshot(app) == first
    assert factories.count(app, ApiKey) == 1 + 3 + 20
    # Every dealer's demo key, as the output names them, works after a reset too.
    dealers = factories.rows(app, Dealer)
    hint = re.search(r"fwt_demo_dealer_N\s+\(N = (\d+) … (\d+)\)", reset.output)
    assert hint is not None, reset.output
    assert (int(hint[1]), int(hint[2])) == (dealers[0].id, dealers[-1].id)
    for dealer in dealers:
        api = as_key(f"fwt_demo_dealer_{dealer.id}")
        assert api.get(f"/api/v1/dealers/{dealer.id}").status_code == 200


def test_reset_asks_first(app):
    factories.brand(app)
    result = app.test_cli_runner().invoke(args=["demo", "reset"], input="n\n")
    assert result.exit_code == 1
    assert "Aborted" in result.output
    assert factories.count(app, Brand) == 1
    assert factories.count(app, Job) == 0
