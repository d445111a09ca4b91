"""Matching results and assignment requests."""

import marshmallow as ma


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
    dealer_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "Empty: the best-ranked dealer"},
    )


class DeclineInputSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
