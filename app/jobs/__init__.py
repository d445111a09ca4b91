"""Jobs: intake, the lifecycle state machine, the event log."""

from flask_smorest import Blueprint

blp = Blueprint(
    "jobs", __name__, url_prefix="/api/v1", description="Jobs: intake, lifecycle, events"
)
