"""Installer sign-in: SMS codes (expiry, attempts, rate limits), invite links, device tokens."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notify.models import OutboundMessage
from tests import factories
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tue 10:00 in Shanghai


@pytest.fixture
def metro(app, clock):
    clock.set(NOW)
    return Metro(app, installers=2)


def sms(app, template, to=None):
    with app.app_context():
        stmt = select(OutboundMessage).where(OutboundMessage.template == template)
        if to:
            stmt = stmt.where(OutboundMessage.to == to)
        return list(db.session.scalars(stmt.order_by(OutboundMessage.id)))


def last_code(app, phone):
    return factories.texted_code(app, phone)


def ask(client, phone, **extra):
    return client.post("/api/field/auth/code", json={"phone": phone, **extra})


def verify(client, phone, code, **extra):
    return client.post("/api/field/auth/verify", json={"phone": phone, "code": code, **extra})


def test_code_signs_a_phone_in(metro, app, client, as_key):
    phone = metro.installers[0].phone
    asked = ask(client, phone, locale="en")
    assert asked.status_code == 202, asked.json
    assert asked.json == {"sent": True, "expires_in": 600, "retry_after": 60}
    [message] = sms(app, "installer_code", phone)
    assert message.urgent and message.body.startswith("Fuwutong sign-in code:")
    signed = verify(client, phone, last_code(app, phone), device_name="Pixel 8")
    assert signed.status_code == 200, signed.json
    token = signed.json["token"]
    assert token.startswith("fwd_")
    assert signed.json["installer"]["id"] == metro.installers[0].id
    assert signed.json["installer"]["dealer_id"] == metro.dealer.id
    assert signed.json["device"]["name"] == "Pixel 8"
    me = as_key(token).get("/api/field/me")
    assert me.status_code == 200
    assert me.json["installer"]["phone"] == phone
    # The code works once.
    assert verify(client, phone, last_code(app, phone)).json["error"]["code"] == "invalid_code"


def test_unknown_numbers_get_the_same_answer_and_no_sms(metro, app, client):
    asked = ask(client, "+8613700000000")
    assert (asked.status_code, asked.json["sent"]) == (202, True)
    assert sms(app, "installer_code") == []
    refused = verify(client, "+8613700000000", "123456")
    assert (refused.status_code, refused.json["error"]["code"]) == (401, "invalid_code")


def _answers(app, client, clock, phone):
    """Everything a caller sees for one number: asking twice, after the cooldown, up to the
    hourly cap, and five wrong guesses, then the expired code."""
    seen = []

    def note(response):
        seen.append((response.status_code, response.json, response.headers.get("Retry-After")))

    def guess():
        # A guess that is wrong for an installer too (the code is read from its SMS).
        texted = sms(app, "installer_code", phone)
        right = last_code(app, phone) if texted else "000000"
        return f"{(int(right) + 1) % 1_000_000:06d}"

    clock.set(NOW)
    note(ask(client, phone))
    note(ask(client, phone))
    clock.set(NOW + timedelta(seconds=59))
    note(ask(client, phone))
    for _ in range(6):
        note(verify(client, phone, guess()))
    for minute in (1, 2, 3, 4, 5):
        clock.set(NOW + timedelta(minutes=minute, seconds=1))
        note(ask(client, phone))
    note(verify(client, phone, guess()))
    clock.set(NOW + timedelta(minutes=20))
    note(verify(client, phone, guess()))
    return seen


def test_installers_and_other_numbers_get_the_same_answers(
    metro, app, client, clock, as_key, monkeypatch
):
    # The per-address limits are not what is compared here.
    monkeypatch.setitem(app.config, "FIELD_CODE_RATE_LIMIT", "1000 per minute")
    monkeypatch.setitem(app.config, "FIELD_SIGNIN_RATE_LIMIT", "1000 per minute")
    installer, inactive = metro.installers
    patched = as_key(metro.dealer_key).patch(
        f"/api/v1/installers/{inactive.id}", json={"active": False}
    )
    assert patched.status_code == 200, patched.json
    known = _answers(app, client, clock, installer.phone)
    assert [status for status, _, _ in known] == [
        *(202, 429, 429),
        *[401] * 6,
        *[202] * 4,
        *(429, 401, 401),
    ]
    assert known[1][1]["error"]["code"] == "code_rate_limited"
    assert [body["error"]["code"] for _, body, _ in known[3:9]] == [
        *["invalid_code"] * 5,
        "too_many_attempts",
    ]
    assert len(sms(app, "installer_code", installer.phone)) == 5
    assert _answers(app, client, clock, "+8613700000009") == known
    assert _answers(app, client, clock, inactive.phone) == known
    assert sms(app, "installer_code", inactive.phone) == []
    assert sms(app, "installer_code", "+8613700000009") == []


def test_parallel_requests_for_any_number_get_one_code(metro, app, live_server):
    """Eight requests at the same moment: one 202, seven 429, installer or not."""
    import threading

    import requests

    def burst(phone):
        start = threading.Barrier(8)
        answers = []

        def send():
            with requests.Session() as session:
                start.wait()
                response = session.post(
                    f"{live_server}/api/field/auth/code", json={"phone": phone}, timeout=30
                )
                answers.append(response.status_code)

        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sorted(answers)

    for phone in (metro.installers[0].phone, "+8613700000008"):
        assert burst(phone) == [202] + [429] * 7, phone
    with app.app_context():
        from app.auth.models import InstallerCode

        phones = db.session.scalars(select(InstallerCode.phone)).all()
    assert sorted(phones) == sorted([metro.installers[0].phone, "+8613700000008"])
    assert len(sms(app, "installer_code")) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "13812345678"}, "phone"),
        ({"phone": "+8613812345678", "locale": "fr"}, "locale"),
        ({"phone": "+8613812345678", "extra": 1}, "extra"),
    ],
)
def test_bad_code_requests_are_422(metro, client, body, field):
    response = client.post("/api/field/auth/code", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_codes_have_six_digits(metro, client):
    for bad in ("12345", "1234567", "abcdef", "12 456"):
        response = verify(client, metro.installers[0].phone, bad)
        assert response.status_code == 422, bad


def test_five_wrong_attempts_kill_the_code(metro, app, client):
    phone = metro.installers[0].phone
    ask(client, phone)
    right = last_code(app, phone)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    left = []
    for _ in range(5):
        response = verify(client, phone, wrong)
        assert (response.status_code, response.json["error"]["code"]) == (401, "invalid_code")
        left.append(response.json["error"]["attempts_left"])
    assert left == [4, 3, 2, 1, 0]
    locked = verify(client, phone, right)
    assert (locked.status_code, locked.json["error"]["code"]) == (401, "too_many_attempts")


def test_codes_expire_after_ten_minutes(metro, app, client, clock):
    phone = metro.installers[0].phone
    ask(client, phone)
    code = last_code(app, phone)
    clock.set(NOW + timedelta(minutes=10))
    expired = verify(client, phone, code)
    assert (expired.status_code, expired.json["error"]["code"]) == (401, "code_expired")
    clock.set(NOW + timedelta(minutes=11))
    ask(client, phone)
    assert verify(client, phone, last_code(app, phone)).status_code == 200


def test_a_new_code_replaces_the_last(metro, app, client, clock):
    phone = metro.installers[0].phone
    ask(client, phone)
    first = last_code(app, phone)
    clock.set(NOW + timedelta(seconds=61))
    ask(client, phone)
    second = last_code(app, phone)
    if first != second:
        assert verify(client, phone, first).json["error"]["code"] == "invalid_code"
    assert verify(client, phone, second).status_code == 200


def test_per_number_cooldown_and_hourly_cap(metro, app, client, clock):
    phone = metro.installers[0].phone
    assert ask(client, phone).status_code == 202
    again = ask(client, phone)
    assert again.status_code == 429
    assert again.json["error"]["code"] == "code_rate_limited"
    assert again.headers["Retry-After"] == "60"
    for minute in (1, 2, 3, 4):
        clock.set(NOW + timedelta(minutes=minute, seconds=1))
        assert ask(client, phone).status_code == 202
    clock.set(NOW + timedelta(minutes=10))
    capped = ask(client, phone)
    assert capped.status_code == 429
    assert int(capped.headers["Retry-After"]) == 50 * 60
    assert len(sms(app, "installer_code", phone)) == 5
    # Another installer's number is not affected.
    assert ask(client, metro.installers[1].phone).status_code == 202


def test_per_address_rate_limit_answers_the_error_shape(metro, app, client, monkeypatch):
    monkeypatch.setitem(app.config, "FIELD_CODE_RATE_LIMIT", "3 per hour")
    numbers = ["+8613700000001", "+8613700000002", "+8613700000003", "+8613700000004"]
    codes = [ask(client, number).status_code for number in numbers]
    assert codes == [202, 202, 202, 429]
    limited = ask(client, numbers[0])
    assert limited.json["error"]["code"] == "rate_limited"
    assert "Too many code requests" in limited.json["error"]["message"]
    assert "Retry-After" in limited.headers


def test_signin_attempts_are_rate_limited_per_address(metro, app, client, monkeypatch):
    monkeypatch.setitem(app.config, "FIELD_SIGNIN_RATE_LIMIT", "2 per hour")
    assert verify(client, "+8613700000001", "000000").status_code == 401
    assert verify(client, "+8613700000001", "000000").status_code == 401
    limited = verify(client, "+8613700000001", "000000")
    assert (limited.status_code, limited.json["error"]["code"]) == (429, "rate_limited")


def test_revoked_and_expired_device_tokens_are_401(metro, app, as_key, clock):
    installer = metro.installers[0]
    token = factories.device_token(app, installer)
    phone = as_key(token)
    assert phone.get("/api/field/route").status_code == 200
    dealer = as_key(metro.dealer_key)
    [device] = dealer.get(f"/api/v1/installers/{installer.id}/devices").json
    assert device["active"] and device["last_used_at"] is not None
    revoked = dealer.post(f"/api/v1/installers/{installer.id}/devices/{device['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json["active"] is False
    refused = phone.get("/api/field/route")
    assert (refused.status_code, refused.json["error"]["code"]) == (401, "token_revoked")

    later = factories.device_token(app, installer)
    clock.set(NOW + timedelta(days=30))
    expired = as_key(later).get("/api/field/route")
    assert (expired.status_code, expired.json["error"]["code"]) == (401, "token_expired")
    unknown = as_key("fwd_" + "x" * 43).get("/api/field/route")
    assert (unknown.status_code, unknown.json["error"]["code"]) == (401, "invalid_credentials")


def test_a_deactivated_installer_is_signed_out(metro, app, as_key):
    installer = metro.installers[0]
    token = factories.device_token(app, installer)
    patched = as_key(metro.dealer_key).patch(
        f"/api/v1/installers/{installer.id}", json={"active": False}
    )
    assert patched.status_code == 200, patched.json
    assert as_key(token).get("/api/field/route").status_code == 401


def test_logout_revokes_this_phone_only(metro, app, as_key):
    installer = metro.installers[0]
    first, second = (factories.device_token(app, installer) for _ in range(2))
    assert as_key(first).post("/api/field/auth/logout").status_code == 204
    assert as_key(first).get("/api/field/me").status_code == 401
    assert as_key(second).get("/api/field/me").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/jobs"),
        ("POST", "/api/v1/brands"),
        ("GET", "/api/v1/api-keys"),
        ("GET", "/api/v1/dealers/1"),
        ("GET", "/api/v1/installers/1/devices"),
        ("POST", "/api/v1/installers/1/invite"),
        ("POST", "/api/v1/dealers/1/dispatch?date=2026-12-02"),
        ("GET", "/api/v1/jobs/1/attachments"),
        ("GET", "/api/v1/attachments/1/content"),
    ],
)
def test_device_tokens_are_refused_on_staff_endpoints(metro, app, as_key, method, path):
    token = factories.device_token(app, metro.installers[0])
    response = as_key(token).request(method, path, json={} if method == "POST" else None)
    assert response.status_code == 403, response.json
    assert response.json["error"]["code"] == "wrong_role"


@pytest.mark.parametrize(
    "path",
    ["/api/field/route", "/api/field/me", "/api/field/jobs/1", "/api/field/attachments/1/content"],
)
def test_api_keys_are_refused_on_field_endpoints(metro, as_key, admin, path):
    for key in (metro.brand_key, metro.dealer_key, admin.key):
        assert as_key(key).get(path).status_code == 403
    assert as_key(None).get(path).status_code == 401


def test_invite_link_signs_in_once(metro, app, client, as_key):
    installer = metro.installers[0]
    sent = as_key(metro.dealer_key).post(
        f"/api/v1/installers/{installer.id}/invite", json={"locale": "en"}
    )
    assert sent.status_code == 201, sent.json
    assert sent.json["sent_to"] == installer.phone
    [message] = sms(app, "installer_invite", installer.phone)
    assert metro.dealer.name in message.body
    link = factories.texted_invite_link(app, installer.phone)
    token = re.search(r"/field/#invite=([A-Za-z0-9_-]+)", link).group(1)
    first = client.post("/api/field/auth/invite", json={"token": token, "device_name": "iPhone"})
    assert first.status_code == 200, first.json
    assert first.json["installer"]["id"] == installer.id
    assert first.json["device"]["via"] == "invite"
    assert as_key(first.json["token"]).get("/api/field/me").status_code == 200
    again = client.post("/api/field/auth/invite", json={"token": token})
    assert (again.status_code, again.json["error"]["code"]) == (410, "invite_used")
    forged = client.post("/api/field/auth/invite", json={"token": "A" * 43})
    assert (forged.status_code, forged.json["error"]["code"]) == (404, "invite_invalid")


def test_invites_expire(metro, app, client, as_key, clock):
    installer = metro.installers[0]
    as_key(metro.dealer_key).post(f"/api/v1/installers/{installer.id}/invite", json={})
    [message] = sms(app, "installer_invite", installer.phone)
    assert "邀请您使用" in message.body  # zh-CN by default
    link = factories.texted_invite_link(app, installer.phone)
    token = re.search(r"#invite=([A-Za-z0-9_-]+)", link).group(1)
    clock.set(NOW + timedelta(hours=72))
    expired = client.post("/api/field/auth/invite", json={"token": token})
    assert (expired.status_code, expired.json["error"]["code"]) == (410, "invite_expired")


def test_only_the_installers_dealer_may_invite_or_revoke(metro, app, as_key):
    installer = metro.installers[0]
    other = Metro(app)
    base = f"/api/v1/installers/{installer.id}"
    assert as_key(other.dealer_key).post(f"{base}/invite", json={}).status_code == 404
    assert as_key(other.dealer_key).get(f"{base}/devices").status_code == 404
    assert as_key(metro.brand_key).post(f"{base}/invite", json={}).status_code == 403
    token = factories.device_token(app, installer)
    [device] = as_key(metro.dealer_key).get(f"{base}/devices").json
    assert as_key(other.dealer_key).post(f"{base}/devices/{device['id']}/revoke").status_code == 404
    assert as_key(token).get("/api/field/me").status_code == 200


def test_old_codes_and_expired_invites_are_purged(metro, app, client, as_key, clock):
    from app.auth.models import InstallerCode, InstallerInvite
    from app.auth.tasks import purge_sign_in_records

    installer = metro.installers[0]
    ask(client, installer.phone)
    as_key(metro.dealer_key).post(f"/api/v1/installers/{installer.id}/invite", json={})
    with app.app_context():
        assert purge_sign_in_records() == 0
    clock.set(NOW + timedelta(days=1, minutes=1))
    with app.app_context():
        assert purge_sign_in_records() == 1  # the code
        assert db.session.scalar(select(InstallerInvite.id)) is not None
    clock.set(NOW + timedelta(days=10, hours=1))
    with app.app_context():
        assert purge_sign_in_records() == 1  # the invite, a week after it expired
        assert db.session.scalar(select(InstallerCode.id)) is None
        assert db.session.scalar(select(InstallerInvite.id)) is None
