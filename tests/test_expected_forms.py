"""Every validation message names the form expected, with an example."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.fields import DATE_FORM, EXPECTED_FORMS, INSTANT_FORM
from tests import factories
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # Tuesday 08:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def metro(app, clock):
    clock.set(NOW)
    return Metro(app)


def fields_of(response):
    assert response.status_code == 422, response.json
    return response.json["error"]["fields"]


def test_every_not_valid_message_names_the_form_and_an_example():
    for messages in EXPECTED_FORMS.values():
        for message in messages.values():
            assert message.count(".") >= 2 and "Expected" in message, message
            assert any(sign in message for sign in ("e.g.", "like", "true or false")), message
            assert message.format(input="x", obj_type="datetime", awareness="aware")


def test_a_wrong_type_names_the_form(metro, client, as_key):
    brand = as_key(metro.brand_key)
    body = factories.job_payload(consumer="王芳", items="door")
    found = fields_of(brand.post("/api/v1/jobs", json=body))
    assert found["consumer"] == {
        "_schema": ['Not a valid object. Expected a JSON object, e.g. {"key": 1}.']
    }
    assert found["items"] == ['Not a valid list. Expected a JSON array, e.g. ["a", "b"].']


def test_bad_dates_and_times_in_bodies_query_strings_and_paths(metro, client, as_key):
    brand = as_key(metro.brand_key)
    body = factories.job_payload(requested_by="08/12/2026")
    assert fields_of(brand.post("/api/v1/jobs", json=body)) == {
        "requested_by": [f"Not a valid date. {DATE_FORM}"]
    }
    job = metro.job(client)
    url = f"/api/v1/jobs/{job['id']}/booking"
    assert fields_of(brand.post(url, json={"window_start": "tomorrow 10am"})) == {
        "window_start": [f"Not a valid date-time. {INSTANT_FORM}"]
    }
    naive = fields_of(brand.post(url, json={"window_start": "2026-12-08T10:00:00"}))
    assert naive == {"window_start": [f"A date-time without its UTC offset. {INSTANT_FORM}"]}
    query = brand.get(f"/api/v1/jobs/{job['id']}/windows", query_string={"from": "next week"})
    assert DATE_FORM in str(query.json["error"]["fields"])
    listed = brand.get("/api/v1/jobs", query_string={"created_from": "yesterday"})
    assert INSTANT_FORM in str(listed.json["error"]["fields"])
    dealer = as_key(metro.dealer_key)
    day = dealer.get(f"/api/v1/dealers/{metro.dealer.id}/plans/2026-02-30")
    assert DATE_FORM in day.json["error"]["fields"]["day"][0]
    shifts = dealer.put(
        f"/api/v1/installers/{metro.installers[0].id}/shifts",
        json={"shifts": [{"weekday": 1, "start": "8h", "end": "17:00"}]},
    )
    assert "08:30 (HH:MM" in str(shifts.json["error"]["fields"])
    wrong_type = fields_of(brand.post("/api/v1/jobs", json={**body, "duration_minutes": "ninety"}))
    assert "Expected a whole number, e.g. 42." in wrong_type["duration_minutes"][0]


def booking_refusal(brand, job_id, start):
    response = brand.post(f"/api/v1/jobs/{job_id}/booking", json={"window_start": start})
    assert response.status_code == 409, response.json
    assert response.json["error"]["code"] == "window_unavailable"
    assert response.json["error"]["alternatives"]
    return response.json["error"]["message"]


def test_a_refused_window_says_why(metro, client, as_key):
    brand = as_key(metro.brand_key)
    job = metro.job(client)
    local_now = NOW.astimezone(SHANGHAI)
    yesterday = (local_now - timedelta(days=1)).replace(hour=10, minute=0)
    assert "is in the past" in booking_refusal(brand, job["id"], yesterday.isoformat())
    # Lead time 12 h: today's 13:00 window is in the future but too soon.
    soon = local_now.replace(hour=13, minute=0)
    message = booking_refusal(brand, job["id"], soon.isoformat())
    assert "too soon" in message and "12 h notice" in message and "past" not in message
    far = (local_now + timedelta(days=30)).replace(hour=10, minute=0)
    message = booking_refusal(brand, job["id"], far.isoformat())
    assert "too far ahead" in message and "14 days" in message
    odd = (local_now + timedelta(days=3)).replace(hour=9, minute=0)
    message = booking_refusal(brand, job["id"], odd.isoformat())
    assert "not the start of one of the dealer's windows" in message and "08:00" in message
