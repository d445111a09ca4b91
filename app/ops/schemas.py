"""What the probes answer."""

from __future__ import annotations

from marshmallow import Schema, fields


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})


class ReadinessSchema(Schema):
    status = fields.String(
        metadata={
            "description": "ok; degraded (serving, but the scheduler has not beaten for a "
            "minute: SMS and plans wait); unavailable (the database does not answer)",
            "enum": ["ok", "degraded", "unavailable"],
        }
    )
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        metadata={"description": "database, scheduler (last beat, age), queues (due now)"},
    )
