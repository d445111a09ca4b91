"""Property-based tests of every documented operation against /api/openapi.json (schemathesis)."""

from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app import create_app
from app.auth.models import ApiKey
from config import TestConfig
from tests import factories


@pytest.fixture
def seeded(app):
    """A small network with data in every table, keys for an admin and a brand, and the ids
    that exist (generated ids mostly name nothing)."""
    brand = factories.brand(app, code="oak", name="Oak")
    dealer = factories.dealer(app)
    factories.authorize(app, brand, dealer)
    installer = factories.installer(app, dealer)
    time_off = factories.time_off(app, installer)
    jobs = [
        factories.job(app, brand, status=status, dealer_=dealer, installer_=installer)
        for status in ("created", "assigned", "scheduled", "completed", "cancelled")
    ]
    factories.api_key(app, "dealer", dealer=dealer)  # one to revoke
    block = factories.block(app, dealer)
    factories.device_token(app, installer)
    attachment = factories.attachment(app, jobs[3], installer)
    person = factories.user(app, "brand", brand_id=brand.id)
    admin = factories.api_key(app, "admin")
    return SimpleNamespace(
        admin=admin,
        brand=factories.api_key(app, "brand", brand=brand),
        ids={
            "brand_id": brand.id,
            "dealer_id": dealer.id,
            "installer_id": installer.id,
            "time_off_id": time_off.id,
            "job_id": jobs[0].id,
            "order_id": jobs[0].order_id,
            "key_id": factories.rows(app, ApiKey)[0].id,
            "block_id": block.id,
            "policy_id": 1,
            "alert_id": 1,
            "day": "2026-12-02",
            "user_id": person.id,
            "device_id": 1,
            "attachment_id": attachment.id,
            "template_key": "nudge",
            "locale": "en",
        },
    )


def _document() -> dict:
    """The OpenAPI document as served; building it needs the app but no database."""
    return create_app(TestConfig).test_client().get("/api/openapi.json").json


# Loaded at import, not with schemathesis.pytest.from_fixture: that loader sets
# `request.node._nodeid`, which pytest 9.2 no longer has. Requests go over HTTP to the
# `live_server` fixture (the test database), so the checks' own probes reach it too.
schema = schemathesis.openapi.from_dict(_document())
# We send real keys; a generated Authorization header would only ever be a wrong one (the
# ignored_auth check still probes every operation without and with a bad key).
schema.config.generation.update(with_security_parameters=False)
# Every text field refuses NUL (422 `invalid_text`, tested in test_errors.py); JSON
# Schema cannot say so, so generated "valid" strings leave it out.
schema.config.generation.update(allow_x00=False)

# positive_data_acceptance expects every request that matches the document to succeed. These
# operations also apply rules JSON Schema cannot state, so a schema-valid body may rightly be
# refused with 422. Everything else these operations answer is still checked.
RULES_BEYOND_THE_SCHEMA = {
    "POST /api/v1/dealers": "the time zone must exist, the phone number must be valid",
    "PATCH /api/v1/dealers/{dealer_id}": "the time zone must exist, the phone must be valid",
    "PATCH /api/v1/brands/{brand_id}": (
        "the webhook URL must be http(s) and comes with a secret, the phone valid"
    ),
    "PUT /api/v1/dealers/{dealer_id}/service-area": "rings closed, no self-intersection",
    "POST /api/v1/dealers/{dealer_id}/installers": "phone, time zone, shifts end after start",
    "PATCH /api/v1/installers/{installer_id}": "the phone and time zone must be valid",
    "PUT /api/v1/installers/{installer_id}/shifts": "shifts end after start, do not overlap",
    "POST /api/v1/installers/{installer_id}/time-off": "time off ends after it starts",
    "POST /api/v1/jobs": "phone, time zone, lat and lon together, a geocodable address",
    "PATCH /api/v1/jobs/{job_id}": "phone, lat and lon together, a geocodable address",
    "POST /api/v1/orders": (
        "phone, time zone, lat and lon together, a geocodable address; a dependency names an "
        "earlier visit with min_gap_hours or same_crew_same_day; known skills"
    ),
    "POST /api/v1/orders/{order_id}/visits": (
        "a dependency names an earlier visit with min_gap_hours or same_crew_same_day"
    ),
    "PATCH /api/v1/orders/{order_id}/goods": "goods already received cannot be expected again",
    "POST /api/v1/jobs/{job_id}/assign": "the dealer must be eligible for the job",
    "POST /api/v1/api-keys": "brand_id/dealer_id are required or forbidden by the role",
    "POST /api/v1/users": "brand_id/dealer_id by role; the e-mail must be new",
    "POST /api/v1/dealers/{dealer_id}/blocks": "a block ends after it starts, within 31 days",
    "PUT /api/v1/brands/{brand_id}/sms-templates/{template_key}/{locale}": (
        "the key must be a brand template; placeholders must be known and well formed"
    ),
    "POST /api/v1/sms/preview": "a draft body's placeholders must be known and well formed",
    "POST /api/v1/brands/{brand_id}/sla-regions": "the geometry must be a valid polygon",
    "POST /api/v1/dealers/{dealer_id}/plans/{day}": "only days from today to 60 days ahead",
    "PUT /api/v1/jobs/{job_id}/plan-lock": "the job must be booked; positions fill from the start",
    "PUT /api/v1/brands/{brand_id}/business-calendar": "the time zone must exist; periods end after start",
    "POST /api/v1/brands/{brand_id}/sla-policies": (
        "one policy per scope; the region must exist; business_hours needs a calendar"
    ),
    "PUT /api/v1/brands/{brand_id}/sla-policies/{policy_id}": "business_hours needs a calendar",
}


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api(case, live_server, seeded):
    excluded = []
    if f"{case.method.upper()} {case.path}" in RULES_BEYOND_THE_SCHEMA:
        excluded.append(checks.positive_data_acceptance)
    for key in (seeded.admin, seeded.brand):
        case.call_and_validate(
            base_url=live_server,
            headers={"Authorization": f"Bearer {key}"},
            excluded_checks=excluded,
        )
    if case.path_parameters and case.meta.generation.mode.is_positive:
        # The same request once more, on rows that exist.
        case.path_parameters.update({name: seeded.ids[name] for name in case.path_parameters})
        for key in (seeded.admin, seeded.brand):
            case.call_and_validate(
                base_url=live_server,
                headers={"Authorization": f"Bearer {key}"},
                excluded_checks=excluded,
            )
