"""ParkOrder: a compensation (or the way forward after the pivot) failed for good; the order is
flagged for an operator and the saga NEEDS_ATTENTION."""

from __future__ import annotations

from datetime import UTC, datetime

from order_saga import dynamodb
from order_saga.errors import InvalidSagaInput
from order_saga.outcome import park_order
from order_saga.schemas import ParkRequest, ParkResult
from order_store.settings import load_store_settings
from task_io.shell import TaskShell

shell = TaskShell("order-saga", InvalidSagaInput)
repository_factory = dynamodb.saga_order_repository
"""The order repository for a table name; tests replace each factory here."""
locks_factory = dynamodb.saga_locks


@shell.task(ParkRequest, correlation_id_path="order.orderId", failures={Exception: "ParkFailures"})
def lambda_handler(request: ParkRequest) -> ParkResult:
    settings = load_store_settings()
    reason = park_order(
        request.order.order_id,
        request.failure,
        request.compensation_failure,
        request.execution_id,
        repository_factory(settings.orders_table_name),
        locks_factory(settings.orders_table_name),
        datetime.now(UTC),
    )
    shell.count(OrdersParked=1)
    shell.logger.error("Order needs attention", extra={"attentionReason": reason})
    return ParkResult(reason=reason)
