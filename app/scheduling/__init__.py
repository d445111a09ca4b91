"""Time windows, installer capacity, availability and race-free booking."""

from flask_smorest import Blueprint

blp = Blueprint(
    "scheduling", __name__, url_prefix="/api/v1", description="Time windows, bookings, dispatch"
)
