"""API keys, roles, tenant scoping."""

from flask_smorest import Blueprint

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="API keys (admin)")
