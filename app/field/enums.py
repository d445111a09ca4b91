"""What an installer can do to a job from the phone, and why a visit can fail."""

from enum import StrEnum

from app.jobs.enums import JobStatus


class FieldAction(StrEnum):
    EN_ROUTE = "en_route"
    ARRIVED = "arrived"
    START_WORK = "start_work"
    COMPLETE = "complete"
    FAIL = "fail"


# The status each action moves the job to (the lifecycle itself is app.jobs.service).
TARGET = {
    FieldAction.EN_ROUTE: JobStatus.EN_ROUTE,
    FieldAction.ARRIVED: JobStatus.ON_SITE,
    FieldAction.START_WORK: JobStatus.IN_PROGRESS,
    FieldAction.COMPLETE: JobStatus.COMPLETED,
    FieldAction.FAIL: JobStatus.FAILED,
}


class FailureReason(StrEnum):
    CUSTOMER_ABSENT = "customer_absent"
    WRONG_OR_DAMAGED_ITEM = "wrong_or_damaged_item"
    SITE_NOT_READY = "site_not_ready"
    NEEDS_PARTS = "needs_parts"
    OTHER = "other"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    SIGNATURE = "signature"
