"""Brand SLAs: policies, clocks from the job event log, breach prediction, alerts, dashboard."""

from flask_smorest import Blueprint

blp = Blueprint("sla", __name__, url_prefix="/api/v1", description="SLA policies and metrics")
