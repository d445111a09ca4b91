"""The demo has day plans for today and tomorrow, made by the real planner."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import utcnow
from app.dispatch.models import DayPlan, PlanRequest
from app.extensions import db
from app.jobs.models import Job
from app.network.models import Dealer
from app.scheduling.models import Booking
from app.scheduling.windows import local_today


def test_seed_plans_every_booked_dealer_day_of_today_and_tomorrow(app, as_key, client, clock):
    # Loaded at 10:00 in Shanghai on today's date: today's visits are still ahead, so its
    # plan has jobs to route (at 23:50 every window of today is behind, and none would be).
    zone = ZoneInfo("Asia/Shanghai")
    clock.set(datetime.combine(datetime.now(UTC).astimezone(zone).date(), time(10), zone))
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "planning today and tomorrow" in result.output
    with app.app_context():
        booked = set()
        for dealer in db.session.scalars(select(Dealer)):
            today = local_today(dealer.timezone, utcnow())
            rows = db.session.execute(
                select(Booking.local_date)
                .join(Job, Job.id == Booking.job_id)
                .where(
                    Booking.dealer_id == dealer.id,
                    Booking.local_date.in_([today, today + timedelta(days=1)]),
                    Job.status.in_(["scheduled", "dispatched"]),
                )
            )
            booked |= {(dealer.id, day) for (day,) in rows}
        planned = {
            tuple(row) for row in db.session.execute(select(DayPlan.dealer_id, DayPlan.local_date))
        }
        waiting = db.session.scalar(
            select(PlanRequest.id).where(PlanRequest.status.in_(["pending", "running"]))
        )
    assert len({day for _, day in booked}) == 2, booked  # the demo books both days
    assert booked <= planned
    assert waiting is None  # the seed's own requests ran (past days expired)

    admin = as_key("fwt_demo_admin")
    for dealer_id, day in sorted(booked):
        plan = admin.get(f"/api/v1/dealers/{dealer_id}/plans/{day.isoformat()}")
        assert plan.status_code == 200, plan.json
        assert plan.json["status"] == "ready"
        assert plan.json["totals"]["jobs_planned"] >= 1
