"""ArrangeShipment: book the order's shipment."""

from __future__ import annotations

from datetime import UTC, datetime

from order_saga import dynamodb
from order_saga.errors import InvalidSagaInput, UnsupportedDestination
from order_saga.schemas import OrderRequest, ShipmentResult
from order_saga.settings import load_shipping_settings
from order_saga.shipping import book_shipment
from task_io.shell import TaskShell

shell = TaskShell("order-saga", InvalidSagaInput)
shipments_factory = dynamodb.shipments
"""The shipments store for a table name; tests replace it here."""


@shell.task(
    OrderRequest,
    correlation_id_path="order.orderId",
    failures={UnsupportedDestination: "UnsupportedDestinations"},
)
def lambda_handler(request: OrderRequest) -> ShipmentResult:
    settings = load_shipping_settings()
    shipment = book_shipment(
        request.order,
        shipments_factory(settings.shipments_table_name),
        settings.supported_destinations,
        datetime.now(UTC),
    )
    shell.count(ShipmentsBooked=1)
    shell.logger.info(
        "Shipment booked", extra={"shipmentId": shipment.shipment_id, "carrier": shipment.carrier}
    )
    return ShipmentResult(shipment_id=shipment.shipment_id, carrier=shipment.carrier)
