"""Every model, imported in one place so Alembic and the tests see the whole schema."""

from app.auth.models import ApiKey, DeviceToken, InstallerCode, InstallerInvite, User
from app.dispatch.models import DayPlan, PlanLock, PlanRequest, PlanRoute, PlanStop
from app.field.models import Attachment
from app.jobs.models import Feedback, IdempotencyRecord, Job, JobEvent, Order
from app.network.models import (
    Brand,
    BrandDealer,
    Dealer,
    Installer,
    InstallerShift,
    InstallerTimeOff,
    ServiceArea,
)
from app.notify.models import InboundMessage, OutboundMessage, SmsOptOut, SmsTemplate
from app.ops.models import ProcessHeartbeat
from app.scheduling.models import Booking, CapacityBlock, InstallerDay
from app.sla.models import BusinessCalendar, JobSla, SlaAlert, SlaPolicy, SlaRegion

__all__ = [
    "ApiKey",
    "Attachment",
    "Booking",
    "Brand",
    "BrandDealer",
    "BusinessCalendar",
    "CapacityBlock",
    "DayPlan",
    "Dealer",
    "DeviceToken",
    "Feedback",
    "IdempotencyRecord",
    "InboundMessage",
    "Installer",
    "InstallerCode",
    "InstallerDay",
    "InstallerInvite",
    "InstallerShift",
    "InstallerTimeOff",
    "Job",
    "JobEvent",
    "JobSla",
    "Order",
    "OutboundMessage",
    "PlanLock",
    "PlanRequest",
    "PlanRoute",
    "PlanStop",
    "ProcessHeartbeat",
    "ServiceArea",
    "SlaAlert",
    "SlaPolicy",
    "SlaRegion",
    "SmsOptOut",
    "SmsTemplate",
    "User",
]
