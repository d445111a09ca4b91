"""The outbox: written with the change, quiet hours, opt-outs, retries, never sent twice."""

import threading
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import select

from app.db import transaction
from app.extensions import db
from app.notify import backends, sender
from app.notify.models import OutboundMessage
from app.notify.service import opt_out, queue_sms
from config import Config
from tests.factories import Metro
from tests.notify.conftest import ACCOUNT_SID, AUTH_TOKEN, CALLBACK, FROM, twilio_error

PHONE = "+8613812345678"
NIGHT = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
DAY = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def queue(app, template="nudge", to=PHONE, **extra):
    with app.app_context(), transaction():
        return queue_sms(
            to=to,
            template=template,
            locale="zh-CN",
            context={"name": "王芳", "link": "https://x/b/t"},
            zone="Asia/Shanghai",
            **extra,
        ).id


def message(app, message_id):
    with app.app_context():
        return db.session.get(OutboundMessage, message_id)


def test_messages_are_written_in_the_same_transaction_as_the_change(app, client, clock):
    clock.set(DAY)
    metro = Metro(app)
    job = metro.job(client)
    with app.app_context():
        [invitation] = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.job_id == job["id"])
        )
        assert invitation.template == "invitation"
        assert invitation.to == "+8613812345678"
        assert "/b/" in invitation.body and "回复 1 选" in invitation.body
        assert len(invitation.payload["offered"]) == 3
        assert (invitation.encoding, invitation.segments) == (
            "UCS-2",
            -(-len(invitation.body) // 67),
        )
    # A change that fails writes no message either.
    bad = client.post(
        "/api/v1/jobs",
        json={"external_id": "x"},
        headers={"Authorization": f"Bearer {metro.brand_key}"},
    )
    assert bad.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(db.func.count(OutboundMessage.id))) == 1


def test_quiet_hours_delay_non_urgent_messages(app, clock):
    clock.set(NIGHT)
    delayed = message(app, queue(app, "nudge"))
    assert delayed.next_attempt_at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # 08:00 next morning
    urgent = message(app, queue(app, "on_the_way"))
    assert urgent.next_attempt_at == NIGHT
    clock.set(datetime(2026, 12, 1, 22, 0, tzinfo=UTC))  # 06:00 local: wait until 08:00 today
    early = message(app, queue(app, "nudge"))
    assert early.next_attempt_at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    clock.set(DAY)
    assert message(app, queue(app, "nudge")).next_attempt_at == DAY
    # Delayed, not dropped: the sender leaves it until morning, then sends it.
    clock.set(NIGHT + timedelta(minutes=5))
    with app.app_context():
        assert sender.send_one(delayed.id) == "not claimed"
    clock.set(datetime(2026, 12, 2, 0, 1, tzinfo=UTC))
    with app.app_context():
        assert sender.send_one(delayed.id) == "sent"


def test_quiet_hours_are_checked_again_when_sending(app, twilio, clock):
    clock.set(datetime(2026, 12, 1, 12, 50, tzinfo=UTC))  # 20:50 in Shanghai: due at once
    message_id = queue(app, "nudge")
    clock.set(datetime(2026, 12, 1, 13, 30, tzinfo=UTC))  # the scheduler was behind: 21:30
    with app.app_context():
        assert sender.send_due() == {"delayed": 1}
    waiting = message(app, message_id)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert waiting.next_attempt_at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # 08:00
    assert twilio.calls == []
    clock.set(datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    with app.app_context():
        assert sender.send_due() == {"sent": 1}


def test_opted_out_numbers_get_only_the_confirmation(app, clock):
    clock.set(DAY)
    waiting = queue(app, "nudge")
    with app.app_context(), transaction():
        assert opt_out(PHONE, "STOP") is True
    assert message(app, waiting).status == "suppressed"
    assert message(app, queue(app, "reminder")).status == "suppressed"
    assert message(app, queue(app, "opted_out")).status == "pending"


def test_twilio_receives_the_exact_request(app, twilio, clock):
    clock.set(DAY)
    message_id = queue(app, "nudge")
    with app.app_context():
        assert sender.send_one(message_id) == "sent"
    [call] = twilio.calls
    assert call["method"] == "POST"
    assert call["uri"] == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert call["auth"] == (ACCOUNT_SID, AUTH_TOKEN)
    sent = message(app, message_id)
    assert call["data"] == {
        "To": PHONE,
        "From": FROM,
        "Body": sent.body,
        "StatusCallback": f"{CALLBACK}?m={message_id}",
    }
    assert (sent.status, sent.provider_id, sent.attempts) == ("sent", "SM" + "1".zfill(32), 1)


def test_messaging_service_is_used_when_configured(app, twilio, monkeypatch, clock):
    clock.set(DAY)
    monkeypatch.setitem(app.config, "TWILIO_MESSAGING_SERVICE_SID", "MG" + "1" * 32)
    with app.app_context():
        sender.send_one(queue(app, "nudge"))
    assert twilio.calls[0]["data"]["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in twilio.calls[0]["data"]


def test_transient_errors_retry_with_capped_backoff(app, twilio, clock):
    clock.set(DAY)
    message_id = queue(app, "nudge")
    twilio.script = [
        twilio_error(429, 20429),
        twilio_error(503, 20500),
        requests.ConnectionError("down"),
    ]
    for attempt, code in enumerate(["20429", "20500", "network"], start=1):
        tried_at = clock.now
        with app.app_context():
            assert sender.send_one(message_id) == "retry"
        waiting = message(app, message_id)
        assert (waiting.status, waiting.attempts, waiting.error_code) == ("pending", attempt, code)
        ceiling = min(sender.BACKOFF_CAP, sender.BACKOFF_BASE * 2 ** (attempt - 1)).total_seconds()
        delay = (waiting.next_attempt_at - tried_at).total_seconds()
        assert ceiling / 2 <= delay <= ceiling
        clock.set(waiting.next_attempt_at)
    with app.app_context():
        assert sender.send_one(message_id) == "sent"
    assert len(twilio.calls) == 4


def test_a_stalled_twilio_call_times_out_and_is_retried(app, twilio, clock, monkeypatch):
    assert Config.TWILIO_TIMEOUT == 10
    clock.set(DAY)
    backends.use_http_client(None)  # Twilio's own HTTP client; only its socket layer is faked
    monkeypatch.setitem(app.config, "TWILIO_TIMEOUT", 2.5)
    timeouts = []

    def stalled(session, request, **options):
        timeouts.append(options.get("timeout"))
        raise requests.ReadTimeout("read timed out")

    monkeypatch.setattr(requests.Session, "send", stalled)
    message_id = queue(app, "nudge")
    with app.app_context():
        assert sender.send_one(message_id) == "retry"
    assert timeouts == [2.5]
    waiting = message(app, message_id)
    assert (waiting.status, waiting.error_code) == ("pending", "network")


def test_permanent_errors_are_never_retried(app, twilio, clock):
    clock.set(DAY)
    invalid = queue(app, "nudge", to="+8613800000001")
    opted = queue(app, "nudge", to="+8613800000002")
    twilio.script = [twilio_error(400, 21211), twilio_error(400, 21610)]
    with app.app_context():
        assert sender.send_one(invalid) == "failed"
        assert sender.send_one(opted) == "failed"
        assert sender.send_due() == {}
    assert (message(app, invalid).status, message(app, invalid).error_code) == ("failed", "21211")
    assert message(app, opted).error_code == "21610"
    assert len(twilio.calls) == 2
    # Twilio says the number opted out: nothing more is sent to it.
    assert message(app, queue(app, "nudge", to="+8613800000002")).status == "suppressed"


def test_retries_stop_after_max_attempts(app, twilio, clock):
    clock.set(DAY)
    message_id = queue(app, "nudge")
    twilio.script = [twilio_error(500, 20500)] * sender.MAX_ATTEMPTS
    for _ in range(sender.MAX_ATTEMPTS):
        with app.app_context():
            sender.send_one(message_id)
        clock.set(clock.now + timedelta(hours=1))  # past every backoff, still before 21:00
    assert (message(app, message_id).status, message(app, message_id).attempts) == (
        "failed",
        sender.MAX_ATTEMPTS,
    )


def test_a_message_is_never_sent_twice_by_concurrent_senders(app, clock, monkeypatch):
    clock.set(DAY)
    ids = [queue(app, "nudge", to=f"+861380000{n:04d}") for n in range(20)]
    sent: list[str] = []
    lock = threading.Lock()

    class Recording:
        def send(self, *, to, body, status_callback):
            with lock:
                sent.append(to)
            return backends.Sent(provider_id="", status="sent")

    monkeypatch.setattr(sender, "backend", Recording)
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        with app.app_context():
            sender.send_due()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sent) == sorted(f"+861380000{n:04d}" for n in range(20))
    assert {message(app, i).status for i in ids} == {"sent"}
    assert {message(app, i).attempts for i in ids} == {1}


def test_interrupted_sends_fail_and_are_not_resent(app, clock):
    clock.set(DAY)
    message_id = queue(app, "nudge")
    with app.app_context():
        assert sender.claim(message_id)  # claimed, then the process "died"
    clock.set(DAY + timedelta(minutes=11))
    with app.app_context():
        assert sender.expire_stuck() == 1
        assert sender.send_due() == {}
    assert (message(app, message_id).status, message(app, message_id).error_code) == (
        "failed",
        "unknown",
    )
