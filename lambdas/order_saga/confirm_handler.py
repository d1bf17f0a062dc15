"""Lambda shell of the ConfirmOrder task: CONFIRMED + OrderConfirmed through the outbox.

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
from order_saga.factories import saga_order_repository

if TYPE_CHECKING:
    from order_store.ports import OrderRepository

logger, tracer, metrics = powertools("order-saga")

repository_factory: Callable[[str], OrderRepository] = saga_order_repository
"""Builds the order repository for a table name; tests replace it with an in-memory fake."""


@logger.inject_lambda_context(correlation_id_path="order.orderId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``order_saga.confirm_handler.lambda_handler``."""
    from order_saga.outcome import confirm_order
    from order_saga.schemas import Confirmation, ConfirmRequest, parse_task_input, task_output
    from order_store.settings import load_store_settings

    settings = load_store_settings()
    request = parse_task_input(ConfirmRequest, event)
    confirmed = confirm_order(
        request.order,
        request.payment,
        request.shipment,
        request.execution_id,
        repository_factory(settings.orders_table_name),
        datetime.now(UTC),
    )
    if confirmed.written:
        metrics.add_metric(name="OrdersConfirmed", unit=MetricUnit.Count, value=1)
        logger.info("Order confirmed", extra={"eventId": confirmed.event_id})
    else:
        metrics.add_metric(name="ConfirmationsReplayed", unit=MetricUnit.Count, value=1)
        logger.info("Order was already confirmed", extra={"eventId": confirmed.event_id})
    return task_output(Confirmation(event_id=confirmed.event_id))
