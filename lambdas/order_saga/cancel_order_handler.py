"""Lambda shell of the CancelOrder and RejectInvalidOrder tasks: CANCELLED + OrderCancelled.

One function serves both states: after compensation it gets the order, after an invalid event
the raw Pipe batch, from which the order id is read on a best-effort basis.

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
@count_failures(logger, metrics, {Exception: "CompensationFailures"})
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``order_saga.cancel_order_handler.lambda_handler``."""
    from order_saga.order_placed import order_id_from_batch
    from order_saga.outcome import cancel_order
    from order_saga.schemas import CancellationResult, CancelOrderRequest, parse_task_input, task_output
    from order_store.settings import load_store_settings

    settings = load_store_settings()
    request = parse_task_input(CancelOrderRequest, event)
    invalid_event = request.order is None
    order_id = order_id_from_batch(request.records) if request.order is None else request.order.order_id
    logger.append_keys(orderId=order_id, failure=request.failure.error)
    cancellation = cancel_order(
        order_id,
        request.failure,
        request.execution_id,
        repository_factory(settings.orders_table_name),
        locks_factory(settings.orders_table_name),
        datetime.now(UTC),
        invalid_event=invalid_event,
    )
    if cancellation.written:
        metrics.add_metric(name="OrdersCancelled", unit=MetricUnit.Count, value=1)
        logger.info("Order cancelled", extra={"reason": cancellation.reason})
    elif cancellation.cancelled:
        metrics.add_metric(name="CancellationsReplayed", unit=MetricUnit.Count, value=1)
        logger.info("Order was already cancelled")
    else:
        metrics.add_metric(name="CancellationsSkipped", unit=MetricUnit.Count, value=1)
        logger.warning("Nothing cancelled", extra={"reason": cancellation.reason})
    return task_output(CancellationResult(cancelled=cancellation.cancelled, reason=cancellation.reason))
