"""Matching jobs to dealers; day plans and route optimisation."""

from flask_smorest import Blueprint

blp = Blueprint("dispatch", __name__, url_prefix="/api/v1", description="Matching and assignment")
