"""Plan requests: ask for a day to be planned, claim a request, run it. Safe to run twice.

A request ends done, superseded (the day changed while it was solved: it is queued again),
expired (its day was over before it ran) or failed (queued again after 5, 10, 20, 40, then
every 60 minutes, until the day is over: a day is never left unplanned after a brief failure).
A (dealer, day) has at most one waiting request (a unique key held while pending), so
several changes collapse into one solve. A request is run only by the process whose
conditional UPDATE moved it from pending to running, and never while another request for
the same day runs, so plan versions of a day are written one after the other.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.db import transaction, utcnow
from app.dispatch.models import DayPlan, PlanRequest
from app.dispatch.planning.day import load_day
from app.dispatch.planning.write import SolveInfo, write_plan
from app.dispatch.solver import solve
from app.extensions import db
from app.network.service import get_dealer
from app.retry import backoff
from app.scheduling.windows import local_today

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)  # a running request older than this was interrupted
FIRST_RETRY = timedelta(minutes=5)  # doubled after each failure in a row, up to LAST_RETRY
LAST_RETRY = timedelta(minutes=60)
MAX_REASONS = 20


def pending_key(dealer_id: int, day: date) -> str:
    """Return the key a day's waiting request holds."""
    return f"{dealer_id}:{day.isoformat()}"


def request_plan(
    dealer_id: int,
    day: date,
    *,
    reason: str,
    requested_by: str,
    delay: timedelta = timedelta(0),
) -> PlanRequest:
    """Ask for a day to be planned; join the day's waiting request when there is one."""
    now = utcnow()
    due, key = now + delay, pending_key(dealer_id, day)
    for _ in range(3):
        waiting = db.session.scalar(
            select(PlanRequest)
            .where(PlanRequest.pending_key == key)
            .execution_options(populate_existing=True)
        )
        if waiting is not None:
            kept = [r for r in waiting.reasons if r != reason][-(MAX_REASONS - 1) :]
            reasons = [*kept, reason]
            joined = db.session.execute(
                update(PlanRequest)
                .where(PlanRequest.id == waiting.id, PlanRequest.status == "pending")
                .values(reasons=reasons, due_at=min(waiting.due_at, due))
                .execution_options(synchronize_session=False)
            )
            if getattr(joined, "rowcount", 0) == 1:
                db.session.refresh(waiting)
                return waiting
            continue  # claimed meanwhile: this change needs a request of its own
        try:
            with db.session.begin_nested():
                created = PlanRequest(
                    dealer_id=dealer_id,
                    local_date=day,
                    status="pending",
                    pending_key=key,
                    reasons=[reason],
                    requested_by=requested_by,
                    created_at=now,
                    due_at=due,
                )
                db.session.add(created)
                db.session.flush()
            return created
        except IntegrityError:
            continue  # another transaction queued the day first: join it
    raise RuntimeError(f"could not queue a plan request for {key}")


def claim(request_id: int) -> bool:
    """Move a due request to running; False if someone else has it or its day is being planned."""
    now = utcnow()
    with transaction():
        request = db.session.get(PlanRequest, request_id, populate_existing=True)
        if request is None:
            return False
        other = aliased(PlanRequest)
        busy = exists(
            select(other.id).where(
                other.dealer_id == request.dealer_id,
                other.local_date == request.local_date,
                other.status == "running",
            )
        )
        result = db.session.execute(
            update(PlanRequest)
            .where(
                PlanRequest.id == request_id,
                PlanRequest.status == "pending",
                PlanRequest.due_at <= now,
                ~busy,
            )
            .values(status="running", pending_key=None, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    return getattr(result, "rowcount", 0) == 1


def run_due(*, limit: int = 20) -> dict[str, int]:
    """Run due plan requests (oldest first); return counts by outcome."""
    outcomes: Counter[str] = Counter()
    outcomes["recovered"] = recover_stale()
    now = utcnow()
    due = list(
        db.session.scalars(
            select(PlanRequest.id)
            .where(PlanRequest.status == "pending", PlanRequest.due_at <= now)
            .order_by(PlanRequest.due_at, PlanRequest.id)
            .limit(limit)
        )
    )
    db.session.commit()  # end the read; each request is its own units of work
    for request_id in due:
        outcomes[run_request(request_id) if claim(request_id) else "not claimed"] += 1
    return {name: count for name, count in outcomes.items() if count}


def run_request(request_id: int) -> str:
    """Load, solve and write one claimed request; return done, superseded, expired or failed."""
    request = db.session.get(PlanRequest, request_id, populate_existing=True)
    assert request is not None
    try:
        began = time.perf_counter()
        dealer = get_dealer(request.dealer_id)
        if request.local_date < local_today(dealer.timezone, utcnow()):
            with transaction():
                _finish(request_id, "expired", error="the day is over")
            return "expired"
        day = load_day(dealer, request.local_date, now=utcnow())
        db.session.commit()  # no snapshot held open while the solver works
        loaded = time.perf_counter()
        limit = float(current_app.config["PLAN_TIME_LIMIT"])
        seed = int(current_app.config["PLAN_SEED"])
        plan = solve(day.problem, time_limit=limit, seed=seed, initial=day.hint)
        info = SolveInfo(
            reasons=list(request.reasons),
            seed=seed,
            time_limit=limit,
            load_ms=round((loaded - began) * 1000),
            solve_ms=round((time.perf_counter() - loaded) * 1000),
        )
        with transaction():
            record = write_plan(day, plan, info)
            if record is not None:
                _finish(request_id, "done", plan_id=record.id)
            else:
                _finish(request_id, "superseded")
                _again(request, "the day changed while it was planned", timedelta(0))
        return "done" if record else "superseded"
    except Exception as error:
        log.exception("plan request %s failed", request_id)
        db.session.rollback()
        with transaction():
            _finish(request_id, "failed", error=f"{type(error).__name__}: {error}"[:500])
            _retry(request, "retry after a failed attempt")
        return "failed"


def _finish(
    request_id: int, status: str, *, plan_id: int | None = None, error: str | None = None
) -> bool:
    """End a running request; False when it was no longer running (another process ended it)."""
    result = db.session.execute(
        update(PlanRequest)
        .where(PlanRequest.id == request_id, PlanRequest.status == "running")
        .values(status=status, finished_at=utcnow(), plan_id=plan_id, error=error)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def _retry(request: PlanRequest, reason: str, *, interrupted: bool = False) -> None:
    """Queue a failed day again after a backoff that grows with its failures in a row (the retry
    expires by itself once the day is over). A first interruption (a restart) is retried at once;
    a day that keeps killing its process backs off like any failure."""
    failures = len(failed_in_a_row(request.dealer_id, request.local_date))
    first_interruption = interrupted and failures == 1
    delay = backoff(failures, FIRST_RETRY, LAST_RETRY)
    _again(request, reason, timedelta(0) if first_interruption else delay)


def _again(request: PlanRequest, reason: str, delay: timedelta) -> None:
    request_plan(
        request.dealer_id,
        request.local_date,
        reason=reason,
        requested_by="system:planner",
        delay=delay,
    )


def failed_in_a_row(dealer_id: int, day: date) -> list[PlanRequest]:
    """Return the day's failed requests since its last one that ran through, newest first."""
    ran_through = select(func.coalesce(func.max(PlanRequest.id), 0)).where(
        PlanRequest.dealer_id == dealer_id,
        PlanRequest.local_date == day,
        PlanRequest.status.in_(("done", "superseded", "expired")),
    )
    return list(
        db.session.scalars(
            select(PlanRequest)
            .where(
                PlanRequest.dealer_id == dealer_id,
                PlanRequest.local_date == day,
                PlanRequest.status == "failed",
                PlanRequest.id > ran_through.scalar_subquery(),
            )
            .order_by(PlanRequest.id.desc())
        )
    )


def recover_stale() -> int:
    """Fail requests left running by a process that died, and queue their days again."""
    cutoff = utcnow() - STALE_AFTER
    stale = list(
        db.session.scalars(
            select(PlanRequest).where(
                PlanRequest.status == "running", PlanRequest.claimed_at < cutoff
            )
        )
    )
    recovered = 0
    with transaction():
        for request in stale:
            if _finish(request.id, "failed", error="interrupted"):
                recovered += 1
                _retry(request, "retry after an interrupted attempt", interrupted=True)
    return recovered


def latest_request(dealer_id: int, day: date) -> PlanRequest | None:
    """Return the day's newest request."""
    return db.session.scalar(
        select(PlanRequest)
        .where(PlanRequest.dealer_id == dealer_id, PlanRequest.local_date == day)
        .order_by(PlanRequest.id.desc())
        .limit(1)
    )


def has_plan(dealer_id: int, day: date) -> bool:
    """Tell whether the day has been planned (or asked to be) before."""
    return bool(
        db.session.scalar(
            select(
                exists().where(DayPlan.dealer_id == dealer_id, DayPlan.local_date == day)
                | exists().where(PlanRequest.dealer_id == dealer_id, PlanRequest.local_date == day)
            )
        )
    )


def planned_since(dealer_id: int, day: date, since: datetime) -> bool:
    """Tell whether the day is waiting to be planned, being planned, or was planned from an
    instant on; a failed request does not count (its retry, while queued, does)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    PlanRequest.dealer_id == dealer_id,
                    PlanRequest.local_date == day,
                    PlanRequest.status.in_(("pending", "running"))
                    | ((PlanRequest.status == "done") & (PlanRequest.finished_at >= since)),
                )
            )
        )
    )
