"""Signals other domains subscribe to: every job event, inside the transaction that made it."""

from blinker import Namespace

_signals = Namespace()
# Sent with the job as sender and `event=` the JobEvent; receivers write in the same transaction
# (the SMS outbox does), so the reaction commits or rolls back with the change.
job_event = _signals.signal("job-event")

# The reactions of the domains above jobs, sent with the job as sender inside the transaction:
# a new job is matched to a dealer (dispatch), a job that moved is matched again (dispatch),
# a cancelled job frees its window (scheduling). Receivers of `job_cancelling` return facts for
# the cancel event (a late cancellation, after the booking's change cutoff).
job_created = _signals.signal("job-created")
job_relocated = _signals.signal("job-relocated")
job_cancelling = _signals.signal("job-cancelling")
job_cancelled = _signals.signal("job-cancelled")
