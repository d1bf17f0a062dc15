"""ReserveInventory: take an order's quantities from stock, once.

Safe to run twice: the reservation id is derived from the order id, so a second attempt finds
the first attempt's reservation and returns it instead of reserving again.
"""

from datetime import datetime

from order_saga.errors import SagaStoreUnavailable, StepAlreadyCompensated
from order_saga.models import Reservation, SagaOrder, reservation_id_for, reserved_lines
from order_saga.ports import Inventory
from order_store.timestamps import iso_timestamp


def reserve_stock(order: SagaOrder, inventory: Inventory, now: datetime) -> Reservation:
    """Take the order's quantities from stock in one transaction (all lines or none).

    A second attempt returns the reservation the first one stored. Raises OutOfStock (from the
    inventory), or StepAlreadyCompensated when the order's stock was reserved and released before.
    """
    reservation = Reservation(
        reservation_id=reservation_id_for(order.order_id),
        order_id=order.order_id,
        lines=reserved_lines(order.items),
        status="RESERVED",
        reserved_at=iso_timestamp(now),
    )
    if inventory.reserve(reservation):
        return reservation
    existing = inventory.get_reservation(order.order_id)
    if existing is None:
        # reserve() said it exists, the read says it does not: nothing deletes reservations, so
        # the store is inconsistent for a moment; the retried task decides again
        raise SagaStoreUnavailable(f"reservation of order {order.order_id} vanished; retry")
    if existing.status != "RESERVED":
        raise StepAlreadyCompensated(
            f"stock of order {order.order_id} was already reserved and {existing.status.lower()}"
        )
    return existing
