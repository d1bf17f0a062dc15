"""The three compensations: CancelShipment, VoidPayment and ReleaseInventory, one entry point each.

They differ only in the step they undo, so one shape serves all three: undo the order's step
(idempotently: a step that never ran or was undone already is a no-op), count the run and what
it undid, log the record's status before. Any failure is counted as a CompensationFailure: the
state machine retries it, then parks the order for an operator.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from order_saga import compensation, dynamodb
from order_saga.errors import InvalidSagaInput
from order_saga.schemas import CompensationRequest, CompensationResult
from order_saga.settings import load_inventory_settings, load_shipments_settings
from payments.ledger import payment_ledger
from payments.settings import load_payments_settings
from task_io.shell import Handler, TaskShell

shell = TaskShell("order-saga", InvalidSagaInput)
shipments_factory = dynamodb.shipments
"""The shipments store for a table name; tests replace each factory here."""
ledger_factory = payment_ledger
inventory_factory = dynamodb.inventory


def _compensation(
    undo: Callable[[str, datetime], CompensationResult], undone_metric: str, step: str
) -> Handler:
    @shell.task(
        CompensationRequest, correlation_id_path="order.orderId", failures={Exception: "CompensationFailures"}
    )
    def handler(request: CompensationRequest) -> CompensationResult:
        result = undo(request.order.order_id, datetime.now(UTC))
        shell.count(CompensationsRun=1)
        shell.count(**{undone_metric: int(result.compensated)})
        shell.logger.info(
            f"{step} compensation ran",
            extra={"compensated": result.compensated, "previousStatus": result.previous_status},
        )
        return result

    return handler


cancel_shipment = _compensation(
    lambda order_id, now: compensation.cancel_shipment(
        order_id, shipments_factory(load_shipments_settings().shipments_table_name), now
    ),
    "ShipmentsCancelled",
    "Shipment",
)
"""Entry point: ``order_saga.compensation_handlers.cancel_shipment``."""
void_payment = _compensation(
    lambda order_id, now: compensation.void_payment(
        order_id, ledger_factory(load_payments_settings().payments_table_name), now
    ),
    "PaymentsVoided",
    "Payment",
)
"""Entry point: ``order_saga.compensation_handlers.void_payment``."""
release_inventory = _compensation(
    lambda order_id, now: compensation.release_stock(
        order_id, inventory_factory(load_inventory_settings().inventory_table_name), now
    ),
    "StockReleased",
    "Stock",
)
"""Entry point: ``order_saga.compensation_handlers.release_inventory``."""
