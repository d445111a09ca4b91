"""SMS: the transactional outbox, templates, Twilio backend, inbound replies and webhooks."""

from flask_smorest import Blueprint

blp = Blueprint("notify", __name__, url_prefix="/api/v1", description="SMS templates and outbox")
