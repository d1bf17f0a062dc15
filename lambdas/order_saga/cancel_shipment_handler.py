"""Lambda shell of the CancelShipment compensation.

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
from order_saga.factories import shipments

if TYPE_CHECKING:
    from order_saga.ports import Shipments

logger, tracer, metrics = powertools("order-saga")

shipments_factory: Callable[[str], Shipments] = shipments
"""Builds the shipments store for a table name; tests replace it with an in-memory fake."""


@logger.inject_lambda_context(correlation_id_path="order.orderId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, {Exception: "CompensationFailures"})
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``order_saga.cancel_shipment_handler.lambda_handler``."""
    from order_saga.compensation import cancel_shipment
    from order_saga.schemas import CompensationRequest, parse_task_input, task_output
    from order_saga.settings import load_shipments_settings

    settings = load_shipments_settings()
    request = parse_task_input(CompensationRequest, event)
    result = cancel_shipment(
        request.order.order_id, shipments_factory(settings.shipments_table_name), datetime.now(UTC)
    )
    metrics.add_metric(name="CompensationsRun", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ShipmentsCancelled", unit=MetricUnit.Count, value=int(result.compensated))
    logger.info(
        "Shipment compensation ran",
        extra={"compensated": result.compensated, "previousStatus": result.previous_status},
    )
    return task_output(result)
