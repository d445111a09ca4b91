"""Brand SLAs: policies, clocks from the job event log, breach prediction, alerts, dashboard."""

from flask import Blueprint as PageBlueprint
from flask_smorest import Blueprint

blp = Blueprint("sla", __name__, url_prefix="/api/v1", description="SLA policies and metrics")
# The dashboard pages (app/sla/pages.py).
pages_bp = PageBlueprint("sla_pages", __name__, url_prefix="/sla", template_folder="templates")
