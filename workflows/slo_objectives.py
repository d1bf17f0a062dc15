"""The service level objectives as the dashboard and the alarms draw them (issue 23).

The task code states each objective where its metric is emitted (`observability.slo`); the
infrastructure keeps its own copy, as it does every value both sides know, and
tests/infra/test_infra_shared_constants.py holds the two equal. ``service`` is the dimension
Powertools adds to every metric (the emitting task shell's service), so the dashboard's metric
is the one the task emits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SloObjective:
    metric: str
    unit: str
    statistic: str
    target: float
    service: str
    breaching_periods: int = 1
    """Five-minute periods beyond the target, in a row, before the alarm pages: one where a
    single miss is already a fault, three where one slow burst is not."""
    silence_breaches: bool = False
    """True where no data is itself the fault (the sweeper reports on every run)."""


OBJECTIVES: tuple[SloObjective, ...] = (
    SloObjective("OutboxLag", "Milliseconds", "p99", 10_000, "outbox-publisher", breaching_periods=3),
    SloObjective(
        "OutboxOldestPendingAge", "Seconds", "Maximum", 600, "outbox-publisher", silence_breaches=True
    ),
    SloObjective("SagaCompletionTime", "Milliseconds", "p99", 20 * 60_000, "order-saga"),
    SloObjective("OrdersParked", "Count", "Sum", 0, "order-saga"),
    SloObjective("ClaimResolveTime", "Milliseconds", "p99", 15 * 60_000, "claim-check"),
    SloObjective(
        "NotificationDelay", "Milliseconds", "p99", 60_000, "account-notification", breaching_periods=3
    ),
)
