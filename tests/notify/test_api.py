"""Brand templates, previews with segment counts, the outbox listing."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.notify import sender
from app.notify.models import OutboundMessage
from tests import factories
from tests.factories import Metro
from tests.notify.conftest import twilio_error

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def test_preview_counts_segments(app, admin):
    gsm = admin.post("/api/v1/sms/preview", json={"template": "opted_in", "locale": "en"})
    assert gsm.status_code == 200, gsm.json
    assert (gsm.json["encoding"], gsm.json["segments"]) == ("GSM-7", 1)
    zh = admin.post(
        "/api/v1/sms/preview",
        json={
            "template": "invitation",
            "locale": "zh-CN",
            "context": {"name": "王芳", "brand": "橡木门业", "link": "https://fwt.cn/b/abc"},
        },
    )
    assert zh.json["encoding"] == "UCS-2"
    assert zh.json["body"].startswith("【橡木门业】王芳您好")
    assert zh.json["units"] == len(zh.json["body"])
    assert zh.json["segments"] == -(-zh.json["units"] // 67)
    draft = admin.post("/api/v1/sms/preview", json={"template": "nudge", "body": "x" * 161})
    assert (draft.json["segments"], draft.json["units"]) == (2, 161)
    assert admin.post("/api/v1/sms/preview", json={"template": "nope"}).status_code == 422


def test_preview_from_a_job(app, client, clock, as_key):
    clock.set(NOW)
    metro = Metro(app)
    job = metro.job(client, consumer={"name": "Ann", "phone": "+8613812345678", "locale": "en"})
    shown = as_key(metro.brand_key).post(
        "/api/v1/sms/preview", json={"template": "confirmed", "locale": "en", "job_id": job["id"]}
    )
    assert shown.status_code == 200
    assert "Ann" not in shown.json["body"]  # confirmed does not greet by name
    assert metro.dealer.name in shown.json["body"]
    other = Metro(app)
    assert (
        as_key(other.brand_key)
        .post("/api/v1/sms/preview", json={"template": "confirmed", "job_id": job["id"]})
        .status_code
        == 404
    )


def test_brand_templates_override_check_and_reset(app, client, clock, as_key):
    clock.set(NOW)
    metro = Metro(app)
    api = as_key(metro.brand_key)
    base = f"/api/v1/brands/{metro.brand.id}/sms-templates"
    listed = api.get(base).json
    assert {(t["key"], t["locale"]) for t in listed} >= {
        ("invitation", "zh-CN"),
        ("reminder", "en"),
    }
    assert not any(t["custom"] for t in listed)
    put = api.put(f"{base}/nudge/en", json={"body": "{brand}: {name}, pick your time: {link}"})
    assert put.status_code == 200, put.json
    assert put.json["custom"] is True
    bad = api.put(f"{base}/nudge/en", json={"body": "Hi {secret}"})
    assert bad.status_code == 422 and "secret" in bad.json["error"]["message"]
    assert api.put(f"{base}/nudge/en", json={"body": "broken {"}).status_code == 422
    assert api.put(f"{base}/opted_out/en", json={"body": "x"}).status_code == 422
    assert api.put(f"{base}/nudge/fr", json={"body": "x"}).status_code == 404
    # The brand's wording is what its consumers get.
    job = metro.job(client, consumer={"name": "Ann", "phone": "+8613812345678", "locale": "en"})
    preview = api.post(
        "/api/v1/sms/preview", json={"template": "nudge", "locale": "en", "job_id": job["id"]}
    )
    assert preview.json["body"].endswith("pick your time: https://example.invalid/b/" + "x" * 40)
    assert api.delete(f"{base}/nudge/en").status_code == 204
    assert api.delete(f"{base}/nudge/en").status_code == 404
    other = Metro(app)
    assert as_key(other.brand_key).get(base).status_code == 404
    assert as_key(other.dealer_key).get(base).status_code == 403


def test_outbox_listing_is_scoped(app, client, clock, as_key, admin):
    clock.set(NOW)
    a, b = Metro(app), Metro(app)
    job_a = a.job(client)
    b.job(client, consumer={"name": "李", "phone": "+8613900000000"})
    mine = as_key(a.brand_key).get("/api/v1/sms/messages").json
    assert [m["job_id"] for m in mine["items"]] == [job_a["id"]]
    assert admin.get("/api/v1/sms/messages").json["total"] == 2
    filtered = admin.get(
        "/api/v1/sms/messages", query_string={"status": "pending", "job_id": job_a["id"]}
    ).json
    assert filtered["total"] == 1
    assert admin.get("/api/v1/sms/messages", query_string={"status": "bogus"}).status_code == 422
    assert (
        as_key(factories.api_key(app, "dealer", dealer=a.dealer))
        .get("/api/v1/sms/messages")
        .status_code
        == 403
    )


def test_templates_with_formats_or_conversions_are_refused(app, client, clock, as_key, admin):
    clock.set(NOW)
    metro = Metro(app)
    base = f"/api/v1/brands/{metro.brand.id}/sms-templates"
    for body in ("Booked {window:%H:%M}", "Hi {name!r}", "Hi {name:>1000000000}", "{0}", "{}"):
        refused = as_key(metro.brand_key).put(f"{base}/confirmed/en", json={"body": body})
        assert refused.status_code == 422, body
    assert (
        admin.post("/api/v1/sms/preview", json={"template": "help", "body": "{"}).status_code == 422
    )
    # Bookings keep working for this brand: nothing unrenderable was stored.
    job = metro.job(client)
    assert job["status"] == "assigned"


def test_the_outbox_never_shows_a_code_or_invite_link_that_signs_in(
    app, client, clock, as_key, admin, twilio
):
    """Only the phone gets the real code and link: the outbox lists them masked, before and
    after sending, and keeps the real text only until it is sent (a retry still has it)."""
    clock.set(NOW)
    metro = Metro(app)
    installer = metro.installers[0]
    invited = as_key(metro.dealer_key).post(
        f"/api/v1/installers/{installer.id}/invite", json={"locale": "en"}
    )
    assert invited.status_code == 201, invited.json
    assert (
        client.post(
            "/api/field/auth/code", json={"phone": installer.phone, "locale": "en"}
        ).status_code
        == 202
    )

    def listed() -> dict[str, str]:
        items = admin.get("/api/v1/sms/messages", query_string={"to": installer.phone}).json
        return {m["template"]: m["body"] for m in items["items"]}

    pending = listed()
    assert set(pending) == {"installer_invite", "installer_code"}
    assert "/field/#invite=******" in pending["installer_invite"]
    assert "******" in pending["installer_code"]
    assert not re.search(r"\d{6}", pending["installer_code"])

    twilio.script = [twilio_error(500, 20500, "try again")]  # the first send fails, transiently
    with app.app_context():
        assert sender.send_due() == {"retry": 1, "sent": 1}
    clock.set(NOW + timedelta(minutes=2))  # past the retry's backoff, inside the code's life
    with app.app_context():
        assert sender.send_due() == {"sent": 1}
    texts = [call["data"]["Body"] for call in twilio.calls]
    link = re.search(r"/field/#invite=([A-Za-z0-9_-]{20,})", texts[-1])
    code = re.search(r"\b(\d{6})\b", next(t for t in texts if "sign-in code" in t))
    assert link and code, texts
    token = link.group(1)

    after = listed()
    assert after == pending  # what the outbox shows did not change by sending
    with app.app_context():
        rows = db.session.scalars(select(OutboundMessage)).all()
        assert {m.status for m in rows} == {"sent"}
        assert all(m.secret_body is None for m in rows)
        assert not any(token in m.body or code.group(1) in m.body for m in rows)
    shown = re.search(r"#invite=(\S+)", after["installer_invite"]).group(1)
    refused = client.post("/api/field/auth/invite", json={"token": shown})
    assert refused.status_code in {404, 422}, refused.json

    signed = client.post("/api/field/auth/invite", json={"token": token, "device_name": "A"})
    assert signed.status_code == 200, signed.json
    verified = client.post(
        "/api/field/auth/verify", json={"phone": installer.phone, "code": code.group(1)}
    )
    assert verified.status_code == 200, verified.json
