"""Property-based tests of every documented operation against /api/openapi.json (schemathesis)."""

import os
import re
from types import SimpleNamespace
from typing import Any

import phonenumbers
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData

from app import create_app
from app.auth.models import ApiKey
from app.fields import PHONE_PATTERN, normalize_phone, timezone_names
from config import TestConfig
from tests import factories
from tests.conftest import empty_database


@pytest.fixture
def seeded(app):
    return seed(app)


def seed(app):
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
# `request.node._nodeid`, which pytest 9.2 no longer has. Requests go to the `app` fixture
# (the test database) through WSGI, and so do the checks' own probes (`app=` is passed on).
schema = schemathesis.openapi.from_dict(_document())
# We send real keys; a generated Authorization header would only ever be a wrong one (the
# ignored_auth check still probes every operation without and with a bad key).
schema.config.generation.update(with_security_parameters=False)
# Every text field refuses NUL (422 `invalid_text`, tested in test_errors.py); JSON
# Schema cannot say so, so generated "valid" strings leave it out.
schema.config.generation.update(allow_x00=False)


# The one rule of a phone number JSON Schema cannot state: the number must exist in its
# country's numbering plan (`format: phone` in the document). Generated phones are valid ones.
def _valid_phones() -> list[str]:
    numbers = set()
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            number = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            if re.fullmatch(PHONE_PATTERN, number) and normalize_phone(number) == number:
                numbers.add(number)
    return sorted(numbers)


schemathesis.openapi.format("phone", st.sampled_from(_valid_phones()))
# `format: time-zone`: a zone of the tz database the server has.
schemathesis.openapi.format("time-zone", st.sampled_from(timezone_names()))
# `format: url` (an absolute http(s) URL with a host name, as marshmallow checks it).
schemathesis.openapi.format(
    "url", st.sampled_from(["https://hooks.example.com/sla", "http://127.0.0.1:8080/alerts"])
)

# Rules that depend on stored rows or on today's date, or compare two values (a period that
# ends after it starts): the document states them in words, JSON Schema cannot. A request the
# document allows may be refused for them with 422 naming these fields, and for nothing else.
_WINDOWS = "windows end after they start and do not overlap"
_SHIFTS = "shifts end after they start and do not overlap on a weekday"
_POLYGON = "a closed ring without self-intersection"
STATE_RULES: dict[str, dict[str, str]] = {
    "POST /api/v1/dealers": {"window_template": _WINDOWS},
    "PATCH /api/v1/dealers/{dealer_id}": {"window_template": _WINDOWS},
    "PATCH /api/v1/brands/{brand_id}": {
        "sla_webhook_secret": "a webhook URL needs a secret, sent with it or stored before"
    },
    "PUT /api/v1/dealers/{dealer_id}/service-area": {"geometry": _POLYGON},
    "POST /api/v1/brands/{brand_id}/sla-regions": {"geometry": _POLYGON},
    "POST /api/v1/dealers/{dealer_id}/installers": {"shifts": _SHIFTS},
    "PUT /api/v1/installers/{installer_id}/shifts": {"shifts": _SHIFTS},
    "POST /api/v1/installers/{installer_id}/time-off": {
        "ends_at": "time off ends after it starts, within a year"
    },
    "POST /api/v1/dealers/{dealer_id}/blocks": {
        "ends_at": "a block ends after it starts, within 31 days",
        "installer_id": "an installer of this dealer",
    },
    "POST /api/v1/jobs": {
        "address": "an address the geocoder finds when lat/lon are not sent",
        "Idempotency-Key": "a key is bound to the body first sent with it",
        "required_skills": "skills some installer has",
    },
    "PATCH /api/v1/jobs/{job_id}": {"address": "an address the geocoder finds"},
    "POST /api/v1/orders": {
        "address": "an address the geocoder finds when lat/lon are not sent",
        "Idempotency-Key": "a key is bound to the body first sent with it",
        "required_skills": "skills some installer has",
        "visits": "a dependency names an earlier visit, with min_gap_hours or same_crew_same_day",
    },
    "POST /api/v1/orders/{order_id}/visits": {
        "visits": "a dependency names an earlier visit, with min_gap_hours or same_crew_same_day",
        "required_skills": "skills some installer has",
    },
    "POST /api/v1/jobs/{job_id}/assign": {"dealer_id": "a dealer eligible for the job"},
    "POST /api/v1/jobs/{job_id}/booking/move": {"installer_id": "an installer of the job's dealer"},
    "PUT /api/v1/jobs/{job_id}/plan-lock": {"installer_id": "an installer of the job's dealer"},
    "POST /api/v1/dealers/{dealer_id}/plans/{day}": {"date": "a day from today to 60 days ahead"},
    "PUT /api/v1/brands/{brand_id}/business-calendar": {
        "hours": "periods end after they start and do not overlap; at least one period"
    },
    "POST /api/v1/brands/{brand_id}/sla-policies": {
        "region_id": "a region of the brand",
        "business_hours": "business hours need a business calendar",
    },
    "PUT /api/v1/brands/{brand_id}/sla-policies/{policy_id}": {
        "business_hours": "business hours need a business calendar"
    },
    "PUT /api/v1/brands/{brand_id}/sms-templates/{template_key}/{locale}": {
        "body": "placeholders known for the template and well formed"
    },
    "POST /api/v1/sms/preview": {"body": "placeholders known for the template and well formed"},
}


def _refused_fields(response: Any) -> set[str] | None:
    """The top-level fields a 422 names, or None when the answer is something else."""
    if response.status_code != 422:
        return None
    try:
        return set(response.json()["error"]["fields"])
    except (ValueError, KeyError, TypeError):
        return None


def _acceptance_within_rules(allowed: dict[str, str]) -> Any:
    """positive_data_acceptance, except a 422 that names only fields of `allowed`."""

    def check(ctx: Any, response: Any, case: Any) -> bool | None:
        try:
            return checks.positive_data_acceptance(ctx, response, case)
        except RejectedPositiveData:
            fields = _refused_fields(response)
            if fields and fields <= set(allowed):
                return None
            raise

    return check


def checks_for(case: Any) -> tuple[list[Any], list[Any]]:
    """Every check; positive_data_acceptance narrowed by STATE_RULES where they apply."""
    excluded: list[Any] = []
    additional: list[Any] = []
    rules = STATE_RULES.get(f"{case.method.upper()} {case.path}")
    if rules:
        excluded.append(checks.positive_data_acceptance)
        additional.append(_acceptance_within_rules(rules))
    return excluded, additional


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("OPENAPI_EXAMPLES", "10")),
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api(case, app, seeded, request):
    # Requests, and the checks' own probes (ignored_auth, ...), go through WSGI: no server to
    # start per operation. Downloads go over HTTP, where the streamed file gets closed.
    transport: dict[str, Any] = {"app": app}
    if case.path.endswith("/content"):
        transport = {"base_url": request.getfixturevalue("live_server")}
    case.operation.schema.app = transport.get("app")
    excluded, additional = checks_for(case)

    def call_as_each() -> None:
        for key in (seeded.admin, seeded.brand):
            case.call_and_validate(
                headers={"Authorization": f"Bearer {key}"},
                excluded_checks=excluded,
                additional_checks=additional,
                **transport,
            )

    call_as_each()
    path = case.meta.components.get(ParameterLocation.PATH)
    if case.path_parameters and (path is None or path.mode.is_positive):
        # The same request once more, on rows that exist: a body the document refuses must be
        # refused there too, and one it allows accepted (ids generated mostly name nothing).
        case.path_parameters.update({name: seeded.ids[name] for name in case.path_parameters})
        call_as_each()


@pytest.mark.slow
def test_api_workflows(app):
    """Chains of calls along the links schemathesis infers (create, then read, change, delete),
    each chain on a freshly seeded database."""
    schema.app = app
    keys = {}

    class Workflows(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            empty_database(app)
            keys["admin"] = seed(app).admin

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {keys['admin']}"}, "app": app}

        def validate_response(self, response: Any, case: Any, additional_checks=None, **kwargs):
            excluded, additional = checks_for(case)
            case.validate_response(
                response,
                excluded_checks=excluded,
                additional_checks=additional,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs,
            )

    Workflows.run(
        settings=settings(
            max_examples=int(os.environ.get("OPENAPI_WORKFLOWS", "15")),
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
