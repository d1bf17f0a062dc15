"""CancelOrder and RejectInvalidOrder: CANCELLED + OrderCancelled through the outbox.

One function serves both states: after compensation it gets the order, after an invalid event
the raw pipe batch, from which the order id is read on a best-effort basis.
"""

from __future__ import annotations

from datetime import UTC, datetime

from observability.slo import SAGA_COMPLETION_TIME, milliseconds_between
from order_saga import dynamodb
from order_saga.errors import InvalidSagaInput
from order_saga.order_placed import order_id_from_batch
from order_saga.outcome import cancel_order
from order_saga.schemas import CancellationResult, CancelOrderRequest
from order_store.settings import load_store_settings
from task_io.shell import TaskShell

shell = TaskShell("order-saga", InvalidSagaInput)
logger, metrics = shell.logger, shell.metrics
repository_factory = dynamodb.saga_order_repository
"""The order repository for a table name; tests replace each factory here."""
locks_factory = dynamodb.saga_locks


@shell.task(
    CancelOrderRequest, correlation_id_path="order.orderId", failures={Exception: "CompensationFailures"}
)
def lambda_handler(request: CancelOrderRequest) -> CancellationResult:
    settings = load_store_settings()
    now = datetime.now(UTC)
    order_id = order_id_from_batch(request.records) if request.order is None else request.order.order_id
    logger.append_keys(orderId=order_id, failure=request.failure.error)
    cancellation = cancel_order(
        order_id,
        request.failure,
        request.execution_id,
        repository_factory(settings.orders_table_name),
        locks_factory(settings.orders_table_name),
        now,
        invalid_event=request.order is None,
    )
    if cancellation.written:
        shell.count(OrdersCancelled=1)
        if request.execution_start_time is not None:
            shell.measure(SAGA_COMPLETION_TIME, [milliseconds_between(request.execution_start_time, now)])
        logger.info("Order cancelled", extra={"reason": cancellation.reason})
    elif cancellation.cancelled:
        shell.count(CancellationsReplayed=1)
        logger.info("Order was already cancelled")
    else:
        shell.count(CancellationsSkipped=1)
        logger.warning("Nothing cancelled", extra={"reason": cancellation.reason})
    return CancellationResult(cancelled=cancellation.cancelled, reason=cancellation.reason)
