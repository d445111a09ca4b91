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
# The field app's sign-in (app/field/signin.py) and the dealer's control of it.
signin_blp = Blueprint(
    "field_auth",
    __name__,
    url_prefix="/api/field",
    description="Installer sign-in on a phone: SMS code or invite link → device token",
)
access_blp = Blueprint(
    "installer_access",
    __name__,
    url_prefix="/api/v1",
    description="Installer invites and signed-in devices (dealer)",
)
