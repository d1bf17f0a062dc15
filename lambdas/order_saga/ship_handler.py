"""Lambda shell of the ArrangeShipment task: book the order's shipment.

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
from order_saga.errors import UnsupportedDestination
from order_saga.factories import shipments

if TYPE_CHECKING:
    from order_saga.ports import Shipments

logger, tracer, metrics = powertools("order-saga")

shipments_factory: Callable[[str], Shipments] = shipments
"""Builds the shipments store for a table name; tests replace it with an in-memory fake."""


@logger.inject_lambda_context(correlation_id_path="order.orderId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, {UnsupportedDestination: "UnsupportedDestinations"})
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``order_saga.ship_handler.lambda_handler``."""
    from order_saga.schemas import OrderRequest, ShipmentResult, parse_task_input, task_output
    from order_saga.settings import load_shipping_settings
    from order_saga.shipping import book_shipment

    settings = load_shipping_settings()
    request = parse_task_input(OrderRequest, event)
    shipment = book_shipment(
        request.order,
        shipments_factory(settings.shipments_table_name),
        settings.supported_destinations,
        datetime.now(UTC),
    )
    metrics.add_metric(name="ShipmentsBooked", unit=MetricUnit.Count, value=1)
    logger.info("Shipment booked", extra={"shipmentId": shipment.shipment_id, "carrier": shipment.carrier})
    return task_output(ShipmentResult(shipment_id=shipment.shipment_id, carrier=shipment.carrier))
