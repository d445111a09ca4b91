"""Signals other domains subscribe to: who can work when changed, inside the transaction."""

from blinker import Namespace

_signals = Namespace()
# Sent with the dealer id as sender and `installer_id=` (None: every installer of the dealer),
# `period=` (starts, ends) or None (from now on), `weekdays=` (ISO weekdays) or None (any day),
# `reason=` a short phrase. Receivers write in the same transaction (the planner queues
# re-plans of the days it touches), so the reaction commits or rolls back with the change.
crew_changed = _signals.signal("crew-changed")
