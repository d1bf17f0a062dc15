"""ConfirmOrder: CONFIRMED + OrderConfirmed through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

from observability.slo import SAGA_COMPLETION_TIME, milliseconds_between
from order_saga import dynamodb
from order_saga.errors import InvalidSagaInput
from order_saga.outcome import confirm_order
from order_saga.schemas import Confirmation, ConfirmRequest
from order_store.settings import load_store_settings
from task_io.shell import TaskShell

shell = TaskShell("order-saga", InvalidSagaInput)
repository_factory = dynamodb.saga_order_repository
"""The order repository for a table name; tests replace it here."""


@shell.task(ConfirmRequest, correlation_id_path="order.orderId")
def lambda_handler(request: ConfirmRequest) -> Confirmation:
    settings = load_store_settings()
    now = datetime.now(UTC)
    confirmed = confirm_order(
        request.order,
        request.payment,
        request.shipment,
        request.execution_id,
        repository_factory(settings.orders_table_name),
        now,
    )
    metric, message = (
        ("OrdersConfirmed", "Order confirmed")
        if confirmed.written
        else ("ConfirmationsReplayed", "Order was already confirmed")
    )
    shell.count(**{metric: 1})
    if confirmed.written and request.execution_start_time is not None:
        shell.measure(SAGA_COMPLETION_TIME, [milliseconds_between(request.execution_start_time, now)])
    shell.logger.info(message, extra={"eventId": confirmed.event_id})
    return Confirmation(event_id=confirmed.event_id)
