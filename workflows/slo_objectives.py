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


OBJECTIVES: tuple[SloObjective, ...] = (
    SloObjective("OutboxLag", "Milliseconds", "p99", 10_000, "outbox-publisher"),
    SloObjective("OutboxOldestPendingAge", "Seconds", "Maximum", 600, "outbox-publisher"),
    SloObjective("SagaCompletionTime", "Milliseconds", "p99", 20 * 60_000, "order-saga"),
    SloObjective("OrdersParked", "Count", "Sum", 0, "order-saga"),
    SloObjective("ClaimResolveTime", "Milliseconds", "p99", 15 * 60_000, "claim-check"),
    SloObjective("NotificationDelay", "Milliseconds", "p99", 60_000, "account-notification"),
)
