"""Job states and kinds."""

from enum import StrEnum


class JobStatus(StrEnum):
    CREATED = "created"
    ASSIGNED = "assigned"
    SCHEDULED = "scheduled"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobKind(StrEnum):
    DELIVERY = "delivery"
    INSTALL = "install"
    DELIVERY_INSTALL = "delivery_install"
    REPAIR = "repair"


class Locale(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"
