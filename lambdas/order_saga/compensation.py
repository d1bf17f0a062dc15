"""Compensations: undo one completed forward step.

Each reads the step's own record (never the step's output in the workflow state, which is
missing after a timeout) and undoes it with a write conditional on the status it read. So a
compensation is idempotent (the second run finds the record already undone), tolerates a step
that never took effect (no record: nothing to undo), and never undoes anything twice when it
races with itself or with a late answer. A lost race means the record changed under us; it is
read again and decided again, a bounded number of times.
"""

from collections.abc import Callable, Mapping
from datetime import datetime

from order_saga.errors import SagaStoreUnavailable
from order_saga.ports import Inventory, Shipments
from order_saga.schemas import CompensationResult
from payments.ledger import PaymentLedger
from payments.models import PaymentStatus, authorization_id_for

MAX_ATTEMPTS = 5

VOID_TRANSITIONS: Mapping[PaymentStatus, PaymentStatus] = {
    "AUTHORIZED": "VOIDED",
    "REQUESTED": "WITHDRAWN",
}
"""An authorization is voided; a request still unanswered is withdrawn, so the provider's late
answer finds it closed and is ignored. DECLINED, VOIDED and WITHDRAWN hold no money."""


def _compensate[RecordT](
    what: str,
    read: Callable[[], RecordT | None],
    status_of: Callable[[RecordT], str],
    undo: Callable[[RecordT], bool | None],
) -> CompensationResult:
    """Read, decide, conditionally undo; on a lost race read again.

    ``undo`` returns None when the record's status needs no undoing, else whether its
    conditional write happened.
    """
    for _ in range(MAX_ATTEMPTS):
        record = read()
        if record is None:
            return CompensationResult(compensated=False, previous_status=None)
        done = undo(record)
        if done is None:
            return CompensationResult(compensated=False, previous_status=status_of(record))
        if done:
            return CompensationResult(compensated=True, previous_status=status_of(record))
    raise SagaStoreUnavailable(f"{what} kept changing during {MAX_ATTEMPTS} attempts to undo it")


def cancel_shipment(order_id: str, shipments: Shipments, now: datetime) -> CompensationResult:
    """BOOKED -> CANCELLED; a cancelled or never booked shipment is left as it is."""
    return _compensate(
        f"shipment of order {order_id}",
        read=lambda: shipments.get(order_id),
        status_of=lambda shipment: shipment.status,
        undo=lambda shipment: shipments.cancel(order_id, now) if shipment.status == "BOOKED" else None,
    )


def void_payment(order_id: str, ledger: PaymentLedger, now: datetime) -> CompensationResult:
    """AUTHORIZED -> VOIDED, REQUESTED -> WITHDRAWN; anything else holds no money."""
    authorization_id = authorization_id_for(order_id)

    def undo(status: PaymentStatus) -> bool | None:
        target = VOID_TRANSITIONS.get(status)
        return None if target is None else ledger.transition(authorization_id, status, target, now)

    return _compensate(
        f"payment of order {order_id}",
        read=lambda: ledger.get(authorization_id),
        status_of=lambda entry: entry.status,
        undo=lambda entry: undo(entry.status),
    )


def release_stock(order_id: str, inventory: Inventory, now: datetime) -> CompensationResult:
    """RESERVED -> RELEASED with every line's quantity back in stock, in one transaction that
    is conditional on RESERVED: stock is returned at most once."""
    return _compensate(
        f"reservation of order {order_id}",
        read=lambda: inventory.get_reservation(order_id),
        status_of=lambda reservation: reservation.status,
        undo=lambda reservation: (
            inventory.release(reservation, now) if reservation.status == "RESERVED" else None
        ),
    )
