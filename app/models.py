"""Every model, imported in one place so Alembic and the tests see the whole schema."""

from app.auth.models import ApiKey
from app.dispatch.models import DayPlan, PlanLock, PlanRequest, PlanRoute, PlanStop
from app.jobs.models import IdempotencyRecord, Job, JobEvent
from app.network.models import (
    Brand,
    BrandDealer,
    Dealer,
    Installer,
    InstallerShift,
    InstallerTimeOff,
    ServiceArea,
)
from app.notify.models import Feedback, InboundMessage, OutboundMessage, SmsOptOut, SmsTemplate
from app.scheduling.models import Booking, CapacityBlock, InstallerDay

__all__ = [
    "ApiKey",
    "Booking",
    "Brand",
    "BrandDealer",
    "CapacityBlock",
    "DayPlan",
    "Dealer",
    "Feedback",
    "IdempotencyRecord",
    "InboundMessage",
    "Installer",
    "InstallerDay",
    "InstallerShift",
    "InstallerTimeOff",
    "Job",
    "JobEvent",
    "OutboundMessage",
    "PlanLock",
    "PlanRequest",
    "PlanRoute",
    "PlanStop",
    "ServiceArea",
    "SmsOptOut",
    "SmsTemplate",
]
