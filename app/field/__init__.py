"""The installer's field work: today's route, status changes from the phone, proof of work."""

from flask_smorest import Blueprint

blp = Blueprint(
    "field",
    __name__,
    url_prefix="/api/field",
    description="Installer field app: route, status changes (offline-safe), photos, signatures",
)
# The same proof of work, for the job's brand, dealer and admins.
proof_blp = Blueprint(
    "proof", __name__, url_prefix="/api/v1", description="Proof of work: photos and signatures"
)
