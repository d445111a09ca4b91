"""Signals other domains subscribe to: who can work when changed, inside the transaction."""

from blinker import Namespace

_signals = Namespace()
# Sent with the dealer id as sender and `installer_id=` (None: every installer of the dealer),
# `period=` (starts, ends) or None (from now on), `weekdays=` (ISO weekdays) or None (any day),
# `reason=` a short phrase. Receivers write in the same transaction (the planner queues
# re-plans of the days it touches), so the reaction commits or rolls back with the change.
crew_changed = _signals.signal("crew-changed")

# Asked after an installer's skills, shifts or absences change, with the installer as sender
# and `during=` (start, end) or None: receivers (scheduling) return the ids of booked jobs the
# installer can no longer do as booked. The answer of the change lists them.
jobs_at_risk = _signals.signal("jobs-at-risk")


def ask_jobs_at_risk(installer: object, during: tuple[object, object] | None = None) -> list[int]:
    """The booked jobs the receivers of `jobs_at_risk` find at risk, in id order."""
    found: set[int] = set()
    for _, ids in jobs_at_risk.send(installer, during=during):
        found.update(ids or [])
    return sorted(found)
