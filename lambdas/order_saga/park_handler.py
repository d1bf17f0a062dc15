"""Lambda shell of the ParkOrder task: a compensation (or the way forward after the pivot)
failed for good; the order is flagged for an operator and the saga NEEDS_ATTENTION.

Only Powertools is imported at init; the task's models and adapters are imported by the first
invocation (README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from observability import powertools
from observability.failures import count_failures
from order_saga.factories import saga_locks, saga_order_repository

if TYPE_CHECKING:
    from order_saga.ports import SagaLocks
    from order_store.ports import OrderRepository

logger, tracer, metrics = powertools("order-saga")

repository_factory: Callable[[str], OrderRepository] = saga_order_repository
"""Builds the order repository for a table name; tests replace it with an in-memory fake."""
locks_factory: Callable[[str], SagaLocks] = saga_locks
"""Builds the saga locks for the order table's name; tests replace it with an in-memory fake."""


@logger.inject_lambda_context(correlation_id_path="order.orderId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, {Exception: "ParkFailures"})
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``order_saga.park_handler.lambda_handler``."""
    from order_saga.outcome import park_order
    from order_saga.schemas import ParkRequest, ParkResult, parse_task_input, task_output
    from order_store.settings import load_store_settings

    settings = load_store_settings()
    request = parse_task_input(ParkRequest, event)
    reason = park_order(
        request.order.order_id,
        request.failure,
        request.compensation_failure,
        request.execution_id,
        repository_factory(settings.orders_table_name),
        locks_factory(settings.orders_table_name),
        datetime.now(UTC),
    )
    metrics.add_metric(name="OrdersParked", unit=MetricUnit.Count, value=1)
    logger.error("Order needs attention", extra={"attentionReason": reason})
    return task_output(ParkResult(reason=reason))
