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
    HAUL_AWAY = "haul_away"
    INSPECTION = "inspection"


# Visits that bring the goods: they need them at the dealer's warehouse before they can be
# booked (unless the brand says otherwise per visit).
CARRIES_GOODS = frozenset({JobKind.DELIVERY, JobKind.DELIVERY_INSTALL})


class OrderStatus(StrEnum):
    """An order's status, derived from its visits (never stored)."""

    WAITING_FOR_GOODS = "waiting_for_goods"
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    PARTLY_CANCELLED = "partly_cancelled"


class GoodsStatus(StrEnum):
    """Where an order's goods are: not announced, expected on a day, at the dealer."""

    UNKNOWN = "unknown"
    EXPECTED = "expected"
    RECEIVED = "received"


class Locale(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"
