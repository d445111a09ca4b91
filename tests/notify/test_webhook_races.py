"""Twilio retries a webhook while the first copy still runs: every copy answers 200 with the
same TwiML, and the message is acted on once (over real HTTP, each copy on its own thread and
database connection)."""

import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.notify import inbound as inbound_module
from app.notify.models import InboundMessage, OutboundMessage, SmsOptOut
from app.notify.webhooks import EMPTY_TWIML
from tests.notify.test_webhooks import PHONE, signed

COPIES = 8


@pytest.fixture
def tw(app, twilio, clock):
    from tests.notify.test_webhooks import DAY

    clock.set(DAY)
    return twilio


@pytest.fixture
def slow_first_look(monkeypatch):
    """Hold each copy between "not seen yet" and acting on it, so all of them overlap."""
    latest = inbound_module._latest_job

    def slow(phone):  # type: ignore[no-untyped-def]
        time.sleep(0.2)
        return latest(phone)

    monkeypatch.setattr(inbound_module, "_latest_job", slow)


def _copies(url, params, n=COPIES):
    """Post n identical signed copies at the same moment; return (status, body) of each."""
    headers = signed(url, params)
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        barrier.wait()
        response = requests.post(url, data=params, headers=headers, timeout=60)
        results[i] = (response.status_code, response.text)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return results


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("body", ["HELP", "STOP"])
def test_copies_of_an_inbound_webhook_all_answer_200_and_act_once(
    app, live_server, tw, slow_first_look, body
):
    params = {"MessageSid": f"SMrace{body}", "From": PHONE, "To": "+15005550006", "Body": body}
    results = _copies(f"{live_server}/webhooks/twilio/inbound", params)
    assert Counter(code for code, _ in results) == {200: COPIES}, results
    assert {text for _, text in results} == {EMPTY_TWIML}
    assert _count(app, InboundMessage, InboundMessage.provider_id == params["MessageSid"]) == 1
    # One answer, queued once and sent to Twilio once.
    assert _count(app, OutboundMessage, OutboundMessage.to == PHONE) == 1
    assert len(tw.calls) == 1
    if body == "STOP":
        assert _count(app, SmsOptOut, SmsOptOut.phone == PHONE) == 1


def test_copies_of_a_status_callback_all_answer_200_and_act_once(app, client, live_server, tw):
    from tests.notify.test_webhooks import inbound

    inbound(client, "HELP")
    with app.app_context():
        reply = db.session.scalars(select(OutboundMessage)).one()
    # Failed because the recipient opted out at the carrier: records the opt-out, once.
    params = {"MessageSid": reply.provider_id, "MessageStatus": "failed", "ErrorCode": "21610"}
    results = _copies(f"{live_server}/webhooks/twilio/status?m={reply.id}", params)
    assert Counter(code for code, _ in results) == {200: COPIES}, results
    assert {text for _, text in results} == {EMPTY_TWIML}
    assert _count(app, SmsOptOut, SmsOptOut.phone == PHONE) == 1
    with app.app_context():
        stored = db.session.get(OutboundMessage, reply.id)
        assert (stored.status, stored.error_code) == ("failed", "21610")


def test_carrier_opt_outs_reported_at_once_for_several_messages_answer_200(
    app, client, live_server, tw, monkeypatch
):
    """Failures with 21610 (opted out at the carrier) for several messages to one number,
    reported together: each copy records the same opt-out row; all answer 200, one row."""
    from app.notify import webhooks
    from tests.notify.test_webhooks import inbound

    for _ in range(4):
        assert inbound(client, "HELP").status_code == 200
    with app.app_context():
        replies = list(db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
    assert len(replies) == 4
    advance = webhooks.advance

    def slow(message, status):  # type: ignore[no-untyped-def]
        time.sleep(0.2)  # every copy looks for the opt-out before any has committed
        return advance(message, status)

    monkeypatch.setattr(webhooks, "advance", slow)
    barrier = threading.Barrier(len(replies))
    results: list = [None] * len(replies)

    def run(i, reply):
        params = {"MessageSid": reply.provider_id, "MessageStatus": "failed", "ErrorCode": "21610"}
        url = f"{live_server}/webhooks/twilio/status?m={reply.id}"
        headers = signed(url, params)
        barrier.wait()
        results[i] = requests.post(url, data=params, headers=headers, timeout=60).status_code

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(replies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert results == [200] * len(replies)
    assert _count(app, SmsOptOut, SmsOptOut.phone == PHONE) == 1
    assert _count(app, OutboundMessage, OutboundMessage.status == "failed") == len(replies)
