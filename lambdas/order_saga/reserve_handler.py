"""ReserveInventory: take the order's stock in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from order_saga import dynamodb
from order_saga.errors import InvalidSagaInput, OutOfStock
from order_saga.reservation import reserve_stock
from order_saga.schemas import OrderRequest, ReservationResult
from order_saga.settings import load_inventory_settings
from task_io.shell import TaskShell

shell = TaskShell("order-saga", InvalidSagaInput)
inventory_factory = dynamodb.inventory
"""The inventory for a table name; tests replace it here."""


@shell.task(OrderRequest, correlation_id_path="order.orderId", failures={OutOfStock: "OutOfStock"})
def lambda_handler(request: OrderRequest) -> ReservationResult:
    settings = load_inventory_settings()
    reservation = reserve_stock(
        request.order, inventory_factory(settings.inventory_table_name), datetime.now(UTC)
    )
    shell.count(StockReserved=1)
    shell.logger.info("Stock reserved", extra={"reservationId": reservation.reservation_id})
    return ReservationResult(reservation_id=reservation.reservation_id, lines=reservation.lines)
