"""Who is asking: API keys, users and device tokens, roles, tenant scoping, signed links."""

from flask import Blueprint as PageBlueprint
from flask_smorest import Blueprint

blp = Blueprint(
    "auth",
    __name__,
    url_prefix="/api/v1",
    description="API keys and web users (admin)",
)
# Web sign-in for server-rendered pages (app/auth/web.py).
web_bp = PageBlueprint("web_auth", __name__, template_folder="templates")
