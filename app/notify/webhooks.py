"""Twilio webhooks: delivery status callbacks and inbound messages, signature-checked."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator

from app.db import transaction
from app.extensions import db
from app.notify import inbound, sender
from app.notify.enums import MessageStatus
from app.notify.models import OutboundMessage, SmsOptOut
from app.notify.service import advance

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio's message states mapped onto ours.
TWILIO_STATUS = {
    "accepted": MessageStatus.SENT,
    "scheduled": MessageStatus.SENT,
    "queued": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}


def _verify_signature() -> None:
    """Refuse (403) anything not signed by Twilio for exactly this URL and these parameters.

    The URL is the one the request arrived at; behind a TLS-terminating proxy set
    PROXY_FIX_HOPS so it is rebuilt from X-Forwarded-Proto/Host — and without it those
    headers are ignored, so a forged header cannot change the URL that is checked.
    """
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        abort(403, description="Missing Twilio signature.")
    if not RequestValidator(token).validate(request.url, request.form.to_dict(), signature):
        abort(403, description="Invalid Twilio signature.")


def _twiml() -> Response:
    return Response(EMPTY_TWIML, mimetype="text/xml")


def acted_on_once(view: Callable[[], Response]) -> Callable[[], Response]:
    """Let a copy of a webhook that lost the race to a concurrent copy answer like it.

    Twilio retries a webhook that is slow to answer while the first copy still runs. The
    copies meet at a unique row (the inbound MessageSid, an opt-out): one commits, the
    others fail there, roll back, and run once more, now seeing what the first committed, so
    they change nothing and answer the same 200 TwiML instead of 409, which Twilio would
    log as an error on the account.
    """

    @functools.wraps(view)
    def once() -> Response:
        try:
            return view()
        except IntegrityError as error:
            db.session.rollback()
            log.info("webhook copy lost the race, looking again: %s", error.orig)
            return view()

    return once


@bp.post("/twilio/status")
@acted_on_once
def status() -> Response:
    """Record a delivery status; late or repeated callbacks never move a message backwards."""
    _verify_signature()
    sid = request.form.get("MessageSid", "")
    new = TWILIO_STATUS.get(request.form.get("MessageStatus", "").lower())
    error_code = request.form.get("ErrorCode") or None
    with transaction():
        message = None
        if request.args.get("m", "").isascii() and request.args.get("m", "").isdigit():
            message = db.session.get(OutboundMessage, int(request.args["m"]))
        if message is None and sid:
            message = db.session.scalar(
                select(OutboundMessage).where(OutboundMessage.provider_id == sid)
            )
        if message is None or new is None:
            log.info(
                "status callback ignored: sid=%s status=%s", sid, request.form.get("MessageStatus")
            )
            return _twiml()
        # The carrier saying the number unsubscribed is about the number, not this message:
        # honoured whenever it comes, so nothing more is sent there.
        if (
            error_code == sender.OPTED_OUT_AT_CARRIER
            and db.session.get(SmsOptOut, message.to) is None
        ):
            db.session.add(SmsOptOut(phone=message.to, keyword="carrier"))
        # A report that cannot move the message on (late, repeated, or a second final state)
        # changes nothing about it: a delivered message never gains a late failure's code.
        if not advance(message, new):
            log.info("status callback too late: message=%s is %s", message.id, message.status)
            return _twiml()
        if sid and not message.provider_id:
            message.provider_id = sid
        if error_code:
            message.error_code = error_code
    return _twiml()


@bp.post("/twilio/inbound")
@acted_on_once
def inbound_message() -> Response:
    """Act on a consumer's reply; answers go through the outbox and are sent at once."""
    _verify_signature()
    sid = request.form.get("MessageSid", "")
    phone = request.form.get("From", "")
    if not sid or not phone:
        abort(400, description="MessageSid and From are required.")
    with transaction():
        inbound.handle(sid, phone, request.form.get("Body", ""))
    # Answers (and a booking's confirmation) go now, not at the scheduler's next tick; each
    # is claimed first, so the scheduler cannot send it again.
    for message_id in sender.due_for(phone):
        sender.send_one(message_id)
    return _twiml()
