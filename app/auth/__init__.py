"""API keys, roles, tenant scoping; installer sign-in and devices."""

from flask import Blueprint as PageBlueprint
from flask_smorest import Blueprint

blp = Blueprint(
    "auth",
    __name__,
    url_prefix="/api/v1",
    description="API keys (admin); installer invites and devices (dealer)",
)
field_blp = Blueprint(
    "field_auth",
    __name__,
    url_prefix="/api/field",
    description="Installer sign-in on a phone: SMS code or invite link → device token",
)
# Web sign-in for server-rendered pages (app/auth/web.py).
web_bp = PageBlueprint("web_auth", __name__, template_folder="templates")
