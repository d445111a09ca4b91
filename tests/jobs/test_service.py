"""The job lifecycle state machine, called directly."""

from itertools import product

import pytest
from sqlalchemy import select

from app.auth.service import Actor
from app.extensions import db
from app.jobs import service
from app.jobs.enums import JobStatus
from app.jobs.models import Job, JobEvent
from tests import factories

S = JobStatus
# The lifecycle as DESIGN.md draws it, plus the documented ways back; written out here so
# that a change to TRANSITIONS has to be a deliberate change to this table too.
LEGAL = {
    (S.CREATED, S.ASSIGNED),
    (S.ASSIGNED, S.CREATED),
    (S.ASSIGNED, S.SCHEDULED),
    (S.SCHEDULED, S.ASSIGNED),
    (S.SCHEDULED, S.DISPATCHED),
    (S.DISPATCHED, S.SCHEDULED),
    (S.DISPATCHED, S.ASSIGNED),
    (S.DISPATCHED, S.EN_ROUTE),
    (S.EN_ROUTE, S.ON_SITE),
    (S.ON_SITE, S.IN_PROGRESS),
    (S.ON_SITE, S.FAILED),
    (S.IN_PROGRESS, S.COMPLETED),
    (S.IN_PROGRESS, S.FAILED),
    (S.FAILED, S.ASSIGNED),
} | {
    (s, S.CANCELLED)
    for s in (
        S.CREATED,
        S.ASSIGNED,
        S.SCHEDULED,
        S.DISPATCHED,
        S.EN_ROUTE,
        S.ON_SITE,
        S.IN_PROGRESS,
        S.FAILED,
    )
}
ACTOR = Actor("dealer", "7/key:3")


def test_transitions_table_is_the_documented_lifecycle():
    declared = {(a, b) for a, nexts in service.TRANSITIONS.items() for b in nexts}
    assert declared == LEGAL
    assert set(service.TRANSITIONS) == set(JobStatus)
    assert set(service.OPEN_STATUSES) == set(JobStatus) - {S.COMPLETED, S.CANCELLED}


@pytest.fixture
def brand(app):
    factories.known_skills(app)
    return factories.brand(app)


@pytest.mark.parametrize(("from_", "to"), list(product(JobStatus, JobStatus)))
def test_transition(app, ctx, brand, from_, to):
    job = service.create_job(
        brand.id,
        factories.JobCreateSchema().load(factories.job_payload()),
        Actor("brand", "x"),
    )
    job.status = from_
    db.session.flush()
    before = db.session.scalars(
        select(JobEvent).where(JobEvent.job_id == job.id).order_by(JobEvent.id)
    ).all()

    if (from_, to) in LEGAL:
        event = service.transition(job, to, ACTOR, payload={"why": "test"})
        events = db.session.scalars(
            select(JobEvent).where(JobEvent.job_id == job.id).order_by(JobEvent.id)
        ).all()
        assert len(events) == len(before) + 1
        assert events[-1] is event
        assert (event.from_status, event.to_status) == (str(from_), str(to))
        assert (event.actor_role, event.actor_id) == ("dealer", "7/key:3")
        assert event.type == str(to)
        assert event.payload == {"why": "test"}
        assert db.session.get(Job, job.id).status == to
    else:
        with pytest.raises(service.IllegalTransition) as raised:
            service.transition(job, to, ACTOR)
        error = raised.value
        assert error.status == 409
        assert error.code == "illegal_transition"
        assert error.extra["current_status"] == str(from_)
        allowed = sorted(str(s) for s in service.TRANSITIONS[from_])
        assert error.extra["allowed_statuses"] == allowed
        assert f"is {from_}" in error.message
        for name in allowed:
            assert name in error.message
        db.session.flush()
        after = db.session.scalars(
            select(JobEvent).where(JobEvent.job_id == job.id).order_by(JobEvent.id)
        ).all()
        assert len(after) == len(before)
        assert job.status == from_


def test_allowed_next_names_every_next_status():
    assert service.allowed_next("created") == ["assigned", "cancelled"]
    assert service.allowed_next("in_progress") == ["cancelled", "completed", "failed"]
    assert service.allowed_next("completed") == []


def test_create_job_writes_a_created_event(app, ctx, brand):
    job = service.create_job(
        brand.id,
        factories.JobCreateSchema().load(factories.job_payload(external_id="E-1")),
        Actor("brand", f"{brand.id}/key:9"),
    )
    events = service.job_events(job)
    assert [(e.type, e.from_status, e.to_status) for e in events] == [("created", None, "created")]
    assert (events[0].actor_role, events[0].actor_id) == ("brand", f"{brand.id}/key:9")
    assert job.timezone == "Asia/Shanghai"
    assert job.location_source == "provided"


def test_factory_paths_follow_the_lifecycle():
    for status, path in factories.PATH_TO.items():
        current = S.CREATED
        for step in path:
            assert (current, step) in LEGAL
            current = step
        assert current == status
