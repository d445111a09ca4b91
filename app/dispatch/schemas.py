"""Matching results and assignment requests."""

import marshmallow as ma

from app.fields import Id


class CandidateSchema(ma.Schema):
    dealer_id = ma.fields.Integer(required=True)
    dealer_name = ma.fields.String(required=True)
    score = ma.fields.Float(required=True, metadata={"description": "Lower is better"})
    free_capacity = ma.fields.Integer(
        required=True, metadata={"description": "Free job places over the horizon"}
    )
    capacity = ma.fields.Integer(required=True)
    distance_km = ma.fields.Float(
        required=True, metadata={"description": "To the nearest capable installer's home"}
    )
    average_rating = ma.fields.Float(
        required=True, metadata={"description": "Consumers' smoothed mean rating, 1–5"}
    )
    first_visit_rate = ma.fields.Float(
        required=True, metadata={"description": "Smoothed first-visit completion"}
    )


class MatchSchema(ma.Schema):
    job_id = ma.fields.Integer(required=True)
    candidates = ma.fields.List(ma.fields.Nested(CandidateSchema), required=True)
    reason = ma.fields.String(
        allow_none=True, metadata={"description": "Why no dealer is eligible"}
    )


class AssignInputSchema(ma.Schema):
    dealer_id = Id(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "Empty: the best-ranked dealer"},
    )


class DeclineInputSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


class PlanArgsSchema(ma.Schema):
    version = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=1_000_000),
        metadata={"description": "A plan version; default the latest"},
    )


class PlanRequestSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(
        required=True,
        metadata={"description": "pending, running, done, superseded, expired or failed"},
    )
    reasons = ma.fields.List(ma.fields.String(), required=True)
    requested_by = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    due_at = ma.fields.DateTime(required=True)
    claimed_at = ma.fields.DateTime(allow_none=True)
    finished_at = ma.fields.DateTime(allow_none=True)
    error = ma.fields.String(allow_none=True)


class PlanRequestedSchema(PlanRequestSchema):
    dealer_id = ma.fields.Integer(required=True)
    date = ma.fields.Date(required=True, attribute="local_date")


class _PlanJobSchema(ma.Schema):
    job_id = ma.fields.Integer(required=True)
    external_id = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    status = ma.fields.String(required=True, metadata={"description": "The job's status now"})
    locked = ma.fields.Boolean(required=True)
    window_start = ma.fields.DateTime(required=True)
    window_end = ma.fields.DateTime(required=True)


class PlannedStopSchema(_PlanJobSchema):
    sequence = ma.fields.Integer(
        required=True, metadata={"description": "Place in the route from 0 (Booking.sequence)"}
    )
    fixed = ma.fields.Boolean(
        required=True, metadata={"description": "Started or done before planning; kept first"}
    )
    duration_minutes = ma.fields.Integer(required=True)
    arrival = ma.fields.DateTime(required=True)
    service_start = ma.fields.DateTime(
        required=True, metadata={"description": "Planned start of work: the ETA told"}
    )
    departure = ma.fields.DateTime(required=True)
    travel_seconds = ma.fields.Integer(required=True)
    wait_seconds = ma.fields.Integer(required=True)


class UnplannedJobSchema(_PlanJobSchema):
    code = ma.fields.String(required=True, metadata={"description": "Machine reason"})
    message = ma.fields.String(required=True)


class PlanRouteSchema(ma.Schema):
    installer_id = ma.fields.Integer(required=True)
    installer_name = ma.fields.String(required=True)
    home_lat = ma.fields.Float(required=True)
    home_lon = ma.fields.Float(required=True)
    shift_start = ma.fields.DateTime(required=True)
    shift_end = ma.fields.DateTime(required=True)
    leaves_at = ma.fields.DateTime(required=True)
    returns_at = ma.fields.DateTime(required=True)
    travel_seconds = ma.fields.Integer(
        required=True, metadata={"description": "Driving, the way home included"}
    )
    stops = ma.fields.List(ma.fields.Nested(PlannedStopSchema), required=True)


class PlanTotalsSchema(ma.Schema):
    travel_seconds = ma.fields.Integer(required=True)
    installers_used = ma.fields.Integer(required=True)
    jobs_planned = ma.fields.Integer(required=True)
    jobs_unassigned = ma.fields.Integer(required=True)


class PlanSolverSchema(ma.Schema):
    seed = ma.fields.Integer(required=True)
    time_limit = ma.fields.Float(required=True)
    iterations = ma.fields.Integer(required=True)
    stopped_by = ma.fields.String(
        required=True, metadata={"description": "iterations (reproducible) or time"}
    )
    load_ms = ma.fields.Integer(required=True)
    solve_ms = ma.fields.Integer(required=True)
    write_ms = ma.fields.Integer(required=True)


class PlanFailureSchema(ma.Schema):
    attempts = ma.fields.Integer(
        required=True, metadata={"description": "Failed attempts in a row since the last plan"}
    )
    error = ma.fields.String(allow_none=True, metadata={"description": "The last attempt's error"})
    failed_at = ma.fields.DateTime(allow_none=True)
    next_attempt_at = ma.fields.DateTime(
        allow_none=True,
        metadata={
            "description": "When it is tried again: 5, 10, 20, 40, then every 60 minutes "
            "until the day is over"
        },
    )


class PlanSchema(ma.Schema):
    dealer_id = ma.fields.Integer(required=True)
    date = ma.fields.Date(required=True)
    timezone = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True,
        metadata={
            "description": "pending or running (a new version is coming), failed (the last "
            "attempt failed; see failure), ready"
        },
    )
    failure = ma.fields.Nested(
        PlanFailureSchema,
        allow_none=True,
        metadata={"description": "Set while the latest attempts failed"},
    )
    version = ma.fields.Integer(allow_none=True, metadata={"description": "Empty until planned"})
    latest_version = ma.fields.Integer(allow_none=True)
    versions = ma.fields.List(ma.fields.Integer(), required=True)
    created_at = ma.fields.DateTime()
    reasons = ma.fields.List(ma.fields.String())
    totals = ma.fields.Nested(PlanTotalsSchema)
    solver = ma.fields.Nested(PlanSolverSchema)
    request = ma.fields.Nested(
        PlanRequestSchema, allow_none=True, metadata={"description": "The day's newest request"}
    )
    routes = ma.fields.List(ma.fields.Nested(PlanRouteSchema), required=True)
    unassigned = ma.fields.List(
        ma.fields.Nested(UnplannedJobSchema),
        required=True,
        metadata={"description": "Jobs whose window the plan cannot keep, with the reason"},
    )


class PlanLockInputSchema(ma.Schema):
    installer_id = Id(required=True, strict=True)
    position = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=ma.validate.Range(min=1, max=30),
        metadata={
            "description": "1 = the installer's first visit after any job under way; "
            "positions pin the start of the day (lock 1 before 2)"
        },
    )


class PlanLockSchema(ma.Schema):
    job_id = ma.fields.Integer(required=True)
    installer_id = ma.fields.Integer(required=True)
    position = ma.fields.Integer(allow_none=True)
    date = ma.fields.Date(required=True, attribute="local_date")
    created_by = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    plan_request = ma.fields.Nested(PlanRequestSchema, allow_none=True)
