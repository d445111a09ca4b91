"""Matching jobs to dealers; day plans and route optimisation."""

from flask_smorest import Blueprint

blp = Blueprint("dispatch", __name__, url_prefix="/api/v1", description="Matching and assignment")

from app.dispatch import api  # noqa: E402,F401  (registers the routes)
