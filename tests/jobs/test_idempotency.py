"""Idempotent intake: Idempotency-Key and external_id."""

import threading
from datetime import timedelta

import pytest
import requests

from app.extensions import db
from app.jobs import idempotency
from app.jobs.idempotency import purge_expired
from app.jobs.models import IdempotencyRecord, Job, JobEvent
from tests import factories


def _post(api, body, key):
    return api.post("/api/v1/jobs", json=body, headers={"Idempotency-Key": key})


def test_same_key_same_body_replays_the_first_answer(app, tenant):
    body = factories.job_payload()
    first = _post(tenant.api, body, "order-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers

    # The same JSON, keys in another order, is the same request.
    again = _post(tenant.api, dict(reversed(list(body.items()))), "order-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == f"/api/v1/jobs/{first.json['id']}"
    assert again.json == first.json
    assert factories.count(app, Job) == 1
    assert factories.count(app, JobEvent) == 1
    assert factories.count(app, IdempotencyRecord) == 1


def test_same_key_other_body_is_422(app, tenant):
    body = factories.job_payload()
    first = _post(tenant.api, body, "order-2")
    other = _post(tenant.api, {**body, "notes": "changed"}, "order-2")
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in other.json["error"]["fields"]
    assert [j.id for j in factories.rows(app, Job)] == [first.json["id"]]
    assert factories.rows(app, Job)[0].notes == ""


def test_keys_are_scoped_per_brand(app, tenant, as_key):
    other = as_key(factories.api_key(app, "brand", brand=factories.brand(app)))
    body = factories.job_payload()
    a = _post(tenant.api, body, "shared-key")
    b = _post(other, body, "shared-key")
    assert (a.status_code, b.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in b.headers
    assert a.json["id"] != b.json["id"]
    assert {j.brand_id for j in factories.rows(app, Job)} == {
        a.json["brand_id"],
        b.json["brand_id"],
    }


def test_a_new_key_for_a_used_external_id_is_409(app, tenant):
    body = factories.job_payload()
    first = _post(tenant.api, body, "k-1")
    second = _post(tenant.api, body, "k-2")
    assert second.status_code == 409
    assert second.json["error"]["code"] == "duplicate_external_id"
    assert second.json["error"]["job_id"] == first.json["id"]
    assert factories.count(app, IdempotencyRecord) == 1


def test_failed_request_is_not_recorded(app, tenant):
    body = factories.job_payload(lat=None, lon=None, address="北京市朝阳区建国路88号")
    failed = _post(tenant.api, body, "k-3")
    assert failed.status_code == 422
    assert factories.count(app, IdempotencyRecord) == 0
    # The caller fixes the body and retries with the same key.
    fixed = _post(tenant.api, {**body, "address": "上海市南京西路1266号"}, "k-3")
    assert fixed.status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_invalid_keys_are_422(app, tenant, key):
    response = _post(tenant.api, factories.job_payload(), key)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_idempotency_key"
    assert factories.count(app, Job) == 0


def _age(app, hours):
    with app.app_context():
        for record in db.session.query(IdempotencyRecord):
            record.created_at -= timedelta(hours=hours)
        db.session.commit()


def test_expired_keys_start_a_new_request(app, tenant):
    first = _post(tenant.api, factories.job_payload(external_id="E-1"), "old")
    _age(app, 25)
    # Past the retention time the same body is a new request: here, a duplicate order ...
    again = _post(tenant.api, factories.job_payload(external_id="E-1"), "old")
    assert again.status_code == 409
    assert again.json["error"]["job_id"] == first.json["id"]
    # ... and another body under the old key is simply a new order.
    other = _post(tenant.api, factories.job_payload(external_id="E-2"), "old")
    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other.headers
    records = factories.rows(app, IdempotencyRecord)
    assert [(r.key, r.response_body["id"]) for r in records] == [("old", other.json["id"])]


def test_purge_expired(app, tenant):
    _post(tenant.api, factories.job_payload(), "a")
    _age(app, 25)
    _post(tenant.api, factories.job_payload(), "b")
    with app.app_context():
        assert purge_expired() == 1
        db.session.commit()
    assert [r.key for r in factories.rows(app, IdempotencyRecord)] == ["b"]


def test_a_retry_racing_the_first_request_replays_it(app, tenant, monkeypatch):
    """The first request commits between the retry's key lookup and its external_id check."""
    body = factories.job_payload()
    first = _post(tenant.api, body, "race")
    real_lookup = idempotency._live_record
    calls = []

    def lookup_before_the_first_commit(brand_id, key):
        calls.append(key)
        return None if len(calls) == 1 else real_lookup(brand_id, key)

    monkeypatch.setattr(idempotency, "_live_record", lookup_before_the_first_commit)
    again = _post(tenant.api, body, "race")
    assert again.status_code == 201, again.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    assert len(calls) == 2
    assert factories.count(app, Job) == 1


def _burst(live_server, raw_key, body, headers, n=20):
    """Send one body from n clients at once, each on its own connection."""
    start = threading.Barrier(n)
    results: list[tuple[int, dict, str]] = []
    lock = threading.Lock()

    def send():
        with requests.Session() as session:
            start.wait()
            response = session.post(
                f"{live_server}/api/v1/jobs",
                json=body,
                headers={"Authorization": f"Bearer {raw_key}", **headers},
                timeout=60,
            )
            with lock:
                results.append(
                    (
                        response.status_code,
                        response.json(),
                        response.headers.get("Idempotent-Replayed", ""),
                    )
                )

    threads = [threading.Thread(target=send) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert len(results) == n
    assert "database is locked" not in repr(results)
    return results


def test_parallel_requests_with_one_key_make_one_job(app, tenant, live_server):
    raw_key = factories.api_key(app, "brand", brand=tenant.brand)
    results = _burst(live_server, raw_key, factories.job_payload(), {"Idempotency-Key": "b-1"})

    statuses = [status for status, _, _ in results]
    assert statuses == [201] * 20, [body for _, body, _ in results if "error" in body]
    assert len({body["id"] for _, body, _ in results}) == 1
    assert sorted(replayed for _, _, replayed in results) == [""] + ["true"] * 19
    assert factories.count(app, Job) == 1
    assert factories.count(app, JobEvent) == 1
    assert factories.count(app, IdempotencyRecord) == 1


def test_parallel_requests_without_key_make_one_job(app, tenant, live_server):
    raw_key = factories.api_key(app, "brand", brand=tenant.brand)
    results = _burst(live_server, raw_key, factories.job_payload(), {})

    created = [body for status, body, _ in results if status == 201]
    refused = [body for status, body, _ in results if status != 201]
    assert len(created) == 1
    assert [status for status, _, _ in results].count(409) == 19
    assert {body["error"]["code"] for body in refused} == {"duplicate_external_id"}
    assert {body["error"]["job_id"] for body in refused} == {created[0]["id"]}
    assert factories.count(app, Job) == 1
    assert factories.count(app, IdempotencyRecord) == 0
