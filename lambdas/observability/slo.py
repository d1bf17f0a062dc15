"""The platform's service level objectives: each metric, who emits it, and its target.

Every SLO metric is emitted by the task that knows it (issue 23), in the platform's namespace,
and the dashboard draws each against its target and an alarm watches it. The targets are what
the platform promises, and why:

- OutboxLag: from an order's commit to the bus accepting its event. The pipe reads the stream
  within a second and batches for at most one, so p99 under 10 s means the publisher is healthy;
  beyond it, events wait for the sweeper (every 5 minutes).
- OutboxOldestPendingAge: the oldest record the sweeper found unpublished. A record older than
  the sweeper's own period (300 s) plus its age threshold has been missed at least twice.
- SagaCompletionTime: from an order placed to its saga's end (confirmed or cancelled). The
  payment provider may take up to the 15-minute authorization window; p99 under 20 minutes.
- OrdersParked: sagas parked for an operator; any is a page (each is money or stock held).
- ClaimResolveTime: from a bulk import's upload to its claim resolved; under 15 minutes.
- NotificationDelay: from an account change to its email handed to SES; under 60 s.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

OUTBOX_LAG = "OutboxLag"
OUTBOX_OLDEST_PENDING_AGE = "OutboxOldestPendingAge"
SAGA_COMPLETION_TIME = "SagaCompletionTime"
ORDERS_PARKED = "OrdersParked"
CLAIM_RESOLVE_TIME = "ClaimResolveTime"
NOTIFICATION_DELAY = "NotificationDelay"


@dataclass(frozen=True)
class Objective:
    """One SLO: its metric and unit, the statistic held to the target, and the target."""

    metric: str
    unit: str
    statistic: str
    """"p99" (of every data point), "Maximum" or "Sum" over the period."""
    target: float
    """In the metric's unit; beyond it the objective is missed."""


OBJECTIVES: tuple[Objective, ...] = (
    Objective(OUTBOX_LAG, "Milliseconds", "p99", 10_000),
    Objective(OUTBOX_OLDEST_PENDING_AGE, "Seconds", "Maximum", 600),
    Objective(SAGA_COMPLETION_TIME, "Milliseconds", "p99", 20 * 60_000),
    Objective(ORDERS_PARKED, "Count", "Sum", 0),
    Objective(CLAIM_RESOLVE_TIME, "Milliseconds", "p99", 15 * 60_000),
    Objective(NOTIFICATION_DELAY, "Milliseconds", "p99", 60_000),
)

SLO_METRICS: dict[str, str] = {objective.metric: objective.unit for objective in OBJECTIVES}
"""Each SLO metric and its unit."""


def milliseconds_between(earlier: datetime, later: datetime) -> float:
    """How long from one moment to another, never negative (clocks of two hosts may disagree);
    a moment without a zone is UTC, as every AWS timestamp is."""
    earlier, later = (m if m.tzinfo else m.replace(tzinfo=UTC) for m in (earlier, later))
    return max(0.0, (later - earlier).total_seconds() * 1000)
