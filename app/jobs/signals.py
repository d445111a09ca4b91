"""Signals other domains subscribe to: every job event, inside the transaction that made it."""

from blinker import Namespace

_signals = Namespace()
# Sent with the job as sender and `event=` the JobEvent; receivers write in the same transaction
# (the SMS outbox does), so the reaction commits or rolls back with the change.
job_event = _signals.signal("job-event")
