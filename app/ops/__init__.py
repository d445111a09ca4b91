"""Operations: liveness and readiness probes, Prometheus metrics, JSON logs, process heartbeats.

The top layer: it reads every domain's queues and imports nothing below it into them.
"""

from flask_smorest import Blueprint

blp = Blueprint("ops", __name__, description="Health, readiness and metrics for operators")
