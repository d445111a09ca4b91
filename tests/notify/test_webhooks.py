"""Twilio webhooks: signatures, proxies, status callbacks, inbound keywords and replies."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from app import create_app
from app.extensions import db
from app.notify import sender
from app.notify.models import InboundMessage, OutboundMessage, SmsOptOut
from tests.conftest import make_config
from tests.dispatch.plans import advance
from tests.factories import Metro
from tests.notify.conftest import AUTH_TOKEN

DAY = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
PHONE = "+8613812345678"
_sid = iter(range(1, 10**6))


def signed(url, params, token=AUTH_TOKEN):
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


def inbound(client, body, phone=PHONE, sid=None, base="http://localhost"):
    params = {
        "MessageSid": sid or f"SMin{next(_sid):028d}",
        "From": phone,
        "To": "+15005550006",
        "Body": body,
    }
    url = f"{base}/webhooks/twilio/inbound"
    return client.post("/webhooks/twilio/inbound", data=params, headers=signed(url, params))


def outbox(app, phone=PHONE):
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.to == phone)
                .order_by(OutboundMessage.id)
            )
        )


@pytest.fixture
def tw(app, twilio, clock):
    clock.set(DAY)
    return twilio


def test_signature_is_required_and_checked(app, client, tw):
    params = {"MessageSid": "SM1", "From": PHONE, "Body": "HELP"}
    assert client.post("/webhooks/twilio/inbound", data=params).status_code == 403
    wrong = signed("http://localhost/webhooks/twilio/inbound", params, token="other-token")
    assert client.post("/webhooks/twilio/inbound", data=params, headers=wrong).status_code == 403
    tampered = signed("http://localhost/webhooks/twilio/inbound", params)
    assert (
        client.post(
            "/webhooks/twilio/inbound", data={**params, "Body": "STOP"}, headers=tampered
        ).status_code
        == 403
    )
    assert client.post("/webhooks/twilio/status", data={"MessageSid": "SM1"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(db.func.count(InboundMessage.id))) == 0
    ok = client.post("/webhooks/twilio/inbound", data=params, headers=tampered)
    assert ok.status_code == 200
    assert ok.mimetype == "text/xml"


def test_forged_forwarding_headers_do_not_fool_the_check(app, client, tw):
    params = {"MessageSid": "SMx", "From": PHONE, "Body": "HELP"}
    public = "https://fwt.example/webhooks/twilio/inbound"
    forged = {
        **signed(public, params),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "fwt.example",
    }
    assert client.post("/webhooks/twilio/inbound", data=params, headers=forged).status_code == 403


def test_behind_a_configured_proxy_the_public_url_is_checked(database_url, tw):
    proxied = create_app(
        make_config(database_url, PROXY_FIX_HOPS=1, TWILIO_AUTH_TOKEN=AUTH_TOKEN, SMS_BACKEND="log")
    )
    params = {"MessageSid": "SMy", "From": PHONE, "Body": "HELP"}
    public = "https://fwt.example/webhooks/twilio/inbound"
    headers = {
        **signed(public, params),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "fwt.example",
    }
    assert (
        proxied.test_client()
        .post("/webhooks/twilio/inbound", data=params, headers=headers)
        .status_code
        == 200
    )
    with proxied.app_context():
        db.engine.dispose()


# Twilio's Advanced Opt-Out list, one by one, then their Chinese forms and the ways people type.
STOP_REPLIES = [
    *("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
    *("stop", "  Stop  ", "unsubscribe", "Cancel", "quit", "revoke", "OptOut", " optout\n"),
    *("TD", "td", "T", "退订", "退定", "取消订阅", "取消", "退出", "停止", "结束", "拒收"),
    *("ＴＤ", "退订。", "STOP.", "Stop!", "ＯＰＴＯＵＴ"),
]
START_REPLIES = ["START", "start", "UNSTOP", "Yes", "订阅", "重新订阅", "开始", " ｓｔａｒｔ "]


@pytest.mark.parametrize("word", STOP_REPLIES)
def test_stop_words_opt_out(app, client, tw, word):
    assert inbound(client, word).status_code == 200
    with app.app_context():
        assert db.session.get(SmsOptOut, PHONE) is not None
        assert db.session.scalars(select(InboundMessage.action)).all() == ["opted_out"]
    [confirmation] = outbox(app)
    assert (confirmation.template, confirmation.status) == ("opted_out", "sent")  # sent at once
    assert len(tw.calls) == 1


@pytest.mark.parametrize("word", START_REPLIES)
def test_start_words_opt_back_in(app, client, tw, word):
    inbound(client, "STOP")
    assert inbound(client, word).status_code == 200
    with app.app_context():
        assert db.session.get(SmsOptOut, PHONE) is None
    assert [m.template for m in outbox(app)] == ["opted_out", "opted_in"]


@pytest.mark.parametrize("word", ["STOP ME", "stopp", "TDD", "退订了吗", "OPT OUT?x"])
def test_other_words_do_not_opt_out(app, client, tw, word):
    inbound(client, word)
    with app.app_context():
        assert db.session.get(SmsOptOut, PHONE) is None
    assert [m.template for m in outbox(app)] == ["reply_not_understood"]


def test_opt_out_then_nothing_but_the_confirmation_then_opt_in(app, client, tw):
    metro = Metro(app)
    inbound(client, "STOP")
    job = metro.job(client)  # the invitation is not sent to an opted-out number
    with app.app_context():
        invitation = db.session.scalar(
            select(OutboundMessage).where(OutboundMessage.job_id == job["id"])
        )
        assert invitation.status == "suppressed"
    inbound(client, "start")
    with app.app_context():
        assert db.session.get(SmsOptOut, PHONE) is None
    assert [m.template for m in outbox(app)] == ["opted_out", "invitation", "opted_in"]
    assert [c["data"]["Body"][:6] for c in tw.calls] == [
        outbox(app)[0].body[:6],
        outbox(app)[2].body[:6],
    ]


def test_help_answers(app, client, tw):
    inbound(client, "help")
    assert outbox(app)[-1].template == "help"


def send_outbox(app):
    with app.app_context():
        sender.send_due()


@pytest.mark.parametrize("word", [" 2 ", "２"])  # full-width digits from a Chinese keyboard
def test_a_reply_books_an_offered_window(app, client, tw, word):
    metro = Metro(app)
    job = metro.job(client)
    send_outbox(app)
    [invitation] = outbox(app)
    offered = invitation.payload["offered"]
    inbound(client, word)
    booking = client.get(
        f"/api/v1/jobs/{job['id']}/booking", headers={"Authorization": f"Bearer {metro.brand_key}"}
    ).json
    assert datetime.fromisoformat(booking["window_start"]) == datetime.fromisoformat(offered[1])
    confirmation = outbox(app)[-1]
    assert (confirmation.template, confirmation.status) == (
        "confirmed",
        "sent",
    )  # the answer goes at once
    events = client.get(
        f"/api/v1/jobs/{job['id']}/events", headers={"Authorization": f"Bearer {metro.brand_key}"}
    ).json
    assert (events[-1]["type"], events[-1]["actor_role"]) == ("scheduled", "consumer")


def test_a_reply_for_a_taken_window_says_so_with_a_link(app, client, tw):
    metro = Metro(app, installers=1, max_jobs=1)
    job = metro.job(client)
    send_outbox(app)
    offered = outbox(app)[0].payload["offered"]
    other = metro.job(client, consumer={"name": "李", "phone": "+8613900000000"})
    api_headers = {"Authorization": f"Bearer {metro.brand_key}"}
    assert (
        client.post(
            f"/api/v1/jobs/{other['id']}/booking",
            json={"window_start": offered[0]},
            headers=api_headers,
        ).status_code
        == 201
    )
    inbound(client, "1")
    assert outbox(app)[-1].template == "reply_window_gone"
    assert "/b/" in outbox(app)[-1].body
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=api_headers).json["status"] == "assigned"


def test_unknown_replies_get_help_at_most_once_an_hour(app, client, tw, clock):
    inbound(client, "what?")
    inbound(client, "hello??")
    assert [m.template for m in outbox(app)] == ["reply_not_understood"]
    clock.set(DAY + timedelta(minutes=61))
    inbound(client, "anyone")
    assert [m.template for m in outbox(app)] == ["reply_not_understood"] * 2
    with app.app_context():
        actions = list(
            db.session.scalars(select(InboundMessage.action).order_by(InboundMessage.id))
        )
    assert actions == ["not_understood", "ignored", "not_understood"]


def test_digits_without_an_offer_get_help_at_most_once_an_hour(app, client, tw):
    for word in ("1", "2", "3", "1"):
        inbound(client, word)
    assert [m.template for m in outbox(app)] == ["reply_not_understood"]
    with app.app_context():
        actions = list(
            db.session.scalars(select(InboundMessage.action).order_by(InboundMessage.id))
        )
    assert actions == ["not_understood", "ignored", "ignored", "ignored"]


def test_a_reply_books_only_a_sent_offer_of_a_job_still_waiting(app, client, tw, clock, as_key):
    metro = Metro(app)
    api = as_key(metro.brand_key)
    job = metro.job(client)
    inbound(client, "1")  # the invitation has not gone out yet: there is no offer to take
    assert api.get(f"/api/v1/jobs/{job['id']}/booking").status_code == 404
    send_outbox(app)
    offered = outbox(app)[0].payload["offered"]
    windows = api.get(f"/api/v1/jobs/{job['id']}/windows").json["windows"]
    chosen = next(w["start"] for w in windows if w["start"] not in offered)
    booking = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": chosen})
    assert booking.status_code == 201
    clock.set(DAY + timedelta(minutes=61))  # past the hourly limit on automatic answers
    inbound(client, "2")  # an old offer: the booking stays where it is
    booked = api.get(f"/api/v1/jobs/{job['id']}/booking").json
    assert datetime.fromisoformat(booked["window_start"]) == datetime.fromisoformat(chosen)
    answer = outbox(app)[-1]
    assert (answer.template, answer.status) == ("confirmed", "sent")
    assert "/b/" in answer.body
    with app.app_context():
        actions = list(
            db.session.scalars(select(InboundMessage.action).order_by(InboundMessage.id))
        )
    assert actions == ["not_understood", "offer_closed"]


def test_link_answers_by_the_state_of_the_job(app, client, tw, as_key):
    metro = Metro(app)
    api = as_key(metro.brand_key)
    job = metro.job(client)
    inbound(client, "link")
    assert (outbox(app)[-1].template, "/b/" in outbox(app)[-1].body) == ("nudge", True)
    windows = api.get(f"/api/v1/jobs/{job['id']}/windows").json["windows"]
    api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": windows[0]["start"]})
    inbound(client, "LINK")
    answer = outbox(app)[-1]
    assert (answer.template, "/b/" in answer.body) == ("confirmed", True)
    advance(app, job["id"], "dispatched", "en_route", "on_site", "in_progress", "completed")
    inbound(client, "链接")
    answer = outbox(app)[-1]
    assert (answer.template, "/f/" in answer.body) == ("completed", True)
    assert answer.status == "sent"  # an answer goes at once
    token = answer.body.rsplit("/f/", 1)[1].split()[0]
    assert client.post(f"/f/{token}", data={"rating": "5"}).status_code == 200
    inbound(client, "LINK")
    assert outbox(app)[-1].template == "reply_nothing_open"


def test_a_retried_inbound_webhook_acts_once(app, client, tw):
    inbound(client, "STOP", sid="SMdup")
    inbound(client, "STOP", sid="SMdup")
    assert len(outbox(app)) == 1


def status(client, message_id, sid, state, error=None):
    params = {"MessageSid": sid, "MessageStatus": state}
    if error:
        params["ErrorCode"] = error
    url = f"http://localhost/webhooks/twilio/status?m={message_id}"
    return client.post(
        f"/webhooks/twilio/status?m={message_id}", data=params, headers=signed(url, params)
    )


def test_status_callbacks_never_move_a_message_backwards(app, client, tw):
    inbound(client, "HELP")
    [reply] = outbox(app)
    assert status(client, reply.id, reply.provider_id, "delivered").status_code == 200
    status(client, reply.id, reply.provider_id, "sent")  # late
    status(client, reply.id, reply.provider_id, "queued")  # later still
    assert outbox(app)[0].status == "delivered"
    status(client, reply.id, reply.provider_id, "delivered")  # twice
    assert outbox(app)[0].status == "delivered"


def test_status_callback_stores_error_codes(app, client, tw):
    inbound(client, "HELP")
    [reply] = outbox(app)
    status(client, reply.id, reply.provider_id, "undelivered", error="30003")
    stored = outbox(app)[0]
    assert (stored.status, stored.error_code) == ("undelivered", "30003")
    status(client, reply.id, reply.provider_id, "failed", error="21610")
    stored = outbox(app)[0]
    assert (stored.status, stored.error_code) == ("undelivered", "30003")  # already final
    with app.app_context():
        assert db.session.get(SmsOptOut, PHONE) is not None  # the number's opt-out still counts


@pytest.mark.parametrize(
    ("first", "late"),
    [
        (("delivered", None), ("failed", "30008")),
        (("delivered", None), ("undelivered", "30003")),
        (("undelivered", "30003"), ("undelivered", "30005")),
        (("failed", "30008"), ("delivered", None)),
        (("delivered", None), ("sent", "30001")),
    ],
)
def test_a_report_that_cannot_move_the_status_changes_nothing(app, client, tw, first, late):
    inbound(client, "HELP")
    [reply] = outbox(app)
    status(client, reply.id, reply.provider_id, first[0], error=first[1])
    before = outbox(app)[0]
    assert (before.status, before.error_code) == first
    response = status(client, reply.id, reply.provider_id, late[0], error=late[1])
    assert response.status_code == 200
    after = outbox(app)[0]
    assert (after.status, after.error_code, after.delivered_at, after.updated_at) == (
        before.status,
        before.error_code,
        before.delivered_at,
        before.updated_at,
    )
