"""Compensate: resolve the saga's outcome by reading the order, then fence the saga so no
confirmation can commit while its steps are undone."""

from __future__ import annotations

from datetime import UTC, datetime

from order_saga import dynamodb
from order_saga.errors import InvalidSagaInput
from order_saga.outcome import begin_compensation
from order_saga.schemas import CompensationStarted, CompensationStartRequest
from order_store.settings import load_store_settings
from task_io.shell import TaskShell

shell = TaskShell("order-saga", InvalidSagaInput)
repository_factory = dynamodb.saga_order_repository
"""The order repository for a table name; tests replace each factory here."""
locks_factory = dynamodb.saga_locks


@shell.task(CompensationStartRequest, correlation_id_path="order.orderId")
def lambda_handler(request: CompensationStartRequest) -> CompensationStarted:
    settings = load_store_settings()
    start = begin_compensation(
        request.order.order_id,
        request.execution_id,
        repository_factory(settings.orders_table_name),
        locks_factory(settings.orders_table_name),
        datetime.now(UTC),
    )
    if start.confirmed:
        shell.count(ConfirmationsResolvedByReading=1)
        shell.logger.warning("A step failed after the order was confirmed: going forward, nothing is undone")
    else:
        shell.count(CompensationsStarted=1)
        shell.logger.info("Saga fenced; undoing the completed steps")
    return CompensationStarted(confirmed=start.confirmed)
