"""Brands, dealers, service areas, authorizations, installers, shifts."""

from flask_smorest import Blueprint

blp = Blueprint(
    "network",
    __name__,
    url_prefix="/api/v1",
    description="Brands, dealers, service areas, installers",
)
