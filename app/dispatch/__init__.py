"""Matching jobs to dealers; day plans and route optimisation."""

from flask import Blueprint as PageBlueprint
from flask_smorest import Blueprint

blp = Blueprint("dispatch", __name__, url_prefix="/api/v1", description="Matching and assignment")
plans_blp = Blueprint(
    "plans",
    __name__,
    url_prefix="/api/v1",
    description="Day plans: versioned routes with ETAs, re-planning, dispatcher locks",
)
# The dispatcher's pages (app/dispatch/pages.py).
pages_bp = PageBlueprint(
    "dispatch_pages", __name__, url_prefix="/dispatch", template_folder="templates"
)
