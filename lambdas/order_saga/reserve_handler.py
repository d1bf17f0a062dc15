"""Lambda shell of the ReserveInventory task: take the order's stock in one transaction.

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
from order_saga.errors import OutOfStock

if TYPE_CHECKING:
    from order_saga.ports import Inventory

logger, tracer, metrics = powertools("order-saga")


def _dynamodb_inventory(table_name: str) -> Inventory:
    from order_saga.dynamodb import inventory

    return inventory(table_name)


inventory_factory: Callable[[str], Inventory] = _dynamodb_inventory
"""Builds the inventory for a table name; tests replace it with an in-memory fake."""


@logger.inject_lambda_context(correlation_id_path="order.orderId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, {OutOfStock: "OutOfStock"})
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``order_saga.reserve_handler.lambda_handler``."""
    from order_saga.reservation import reserve_stock
    from order_saga.schemas import OrderRequest, ReservationResult, parse_task_input, task_output
    from order_saga.settings import load_inventory_settings

    settings = load_inventory_settings()
    request = parse_task_input(OrderRequest, event)
    reservation = reserve_stock(
        request.order, inventory_factory(settings.inventory_table_name), datetime.now(UTC)
    )
    metrics.add_metric(name="StockReserved", unit=MetricUnit.Count, value=1)
    logger.info("Stock reserved", extra={"reservationId": reservation.reservation_id})
    return task_output(ReservationResult(reservation_id=reservation.reservation_id, lines=reservation.lines))
