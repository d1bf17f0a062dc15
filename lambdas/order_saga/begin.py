"""BeginSaga: check an OrderPlaced against the order's own records, then take the saga's lock.

Safe to run twice for the same order: a retried BeginSaga finds its own lock, and a second
execution for the order (a duplicate message) is reported as a duplicate, with no side effect.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from order_saga.errors import (
    ForgedOrderEvent,
    InvalidOrderEvent,
    OrderEventRefused,
    OrderNotPlaced,
    RedriveRefused,
)
from order_saga.models import SagaOrder, SagaRefusal
from order_saga.order_placed import event_id_from_batch, order_id_from_batch, parse_order_placed, redrive_of
from order_saga.ports import Inventory, SagaLocks, SagaOrders
from order_saga.trust import check_event
from order_store.timestamps import iso_timestamp


@dataclass(frozen=True)
class SagaStart:
    """BeginSaga's outcome: the validated order, whether another execution owns its saga, and
    how many times this saga was redriven (0 for a first delivery)."""

    order: SagaOrder
    duplicate: bool
    redrive_count: int = 0


def begin_saga(
    records: Any,
    execution_id: str,
    orders: SagaOrders,
    inventory: Inventory,
    locks: SagaLocks,
    now: datetime,
    max_redrives: int,
    refusal_retention_days: int = 30,
) -> SagaStart:
    """Check the batch's OrderPlaced event against the order's own records, then take its lock.

    Everything is checked before anything is written: the event's shape (InvalidOrderEvent), that
    it is the order's own OrderPlaced and says what the order says (`trust.check_event`:
    ForgedOrderEvent, OrderFactsMismatch), that its SKUs exist (InvalidOrderEvent), and that a
    saga still has something to do (OrderNotPlaced when the order is no longer PLACED and no
    saga owns it). A refusal is recorded next to the order it named, the only write. A malformed
    event cancels its order (RejectInvalidOrder) only when it is that order's own event;
    otherwise it is refused as forged and the order is left alone. A redrive takes over the lock
    of the parked execution it names (the same saga, resumed: every step is idempotent and finds
    what the parked execution did); a redrive beyond ``max_redrives`` is refused (the loop
    guard). A retried BeginSaga finds its own lock and continues the same saga.
    """
    refusals = _Refusals(orders, execution_id, now, refusal_retention_days)
    try:
        order = parse_order_placed(records)
    except InvalidOrderEvent as invalid:
        refusals.unless_own_event(records, invalid)
        raise
    redrive = redrive_of(records)
    if redrive is not None and redrive.count > max_redrives:
        raise RedriveRefused(
            f"order {order.order_id}: redrive {redrive.count} of {redrive.parked_execution} is"
            f" beyond the limit of {max_redrives}"
        )
    stored = orders.get_order(order.order_id)
    placed_event_id = orders.placed_event_id(order.order_id) if stored is not None else None
    with refusals.recorded(order.order_id, order.event_id):
        check_event(order, stored, placed_event_id, redrive=redrive is not None)
    missing = inventory.missing_skus({line.sku for line in order.items})
    if missing:
        raise InvalidOrderEvent(f"unknown SKU(s): {', '.join(sorted(missing))}")
    assert stored is not None  # check_event refused a missing order
    if redrive is None and stored.status != "PLACED":
        lock = locks.get(order.order_id)
        if lock is not None and lock.execution_id != execution_id:
            return SagaStart(order=order, duplicate=True)
        with refusals.recorded(order.order_id, order.event_id):
            raise OrderNotPlaced(f"order {order.order_id} is {stored.status} and no saga owns it")
    acquired = locks.acquire(
        order.order_id,
        execution_id,
        now,
        takeover_from=None if redrive is None else redrive.parked_execution,
        redrive_count=0 if redrive is None else redrive.count,
    )
    return SagaStart(
        order=order, duplicate=not acquired, redrive_count=0 if redrive is None else redrive.count
    )


class _Refusals:
    """Records BeginSaga's refusals next to the order an event named."""

    def __init__(self, orders: SagaOrders, execution_id: str, now: datetime, retention_days: int) -> None:
        self._orders = orders
        self._execution_id = execution_id
        self._now = now
        self._retention = timedelta(days=retention_days)

    @contextmanager
    def recorded(self, order_id: str, event_id: str | None) -> Iterator[None]:
        try:
            yield
        except OrderEventRefused as refused:
            self._orders.record_refusal(
                SagaRefusal(
                    order_id=order_id,
                    execution_id=self._execution_id,
                    event_id=event_id,
                    error=type(refused).__name__,
                    reason=str(refused)[:2_000],
                    refused_at=iso_timestamp(self._now),
                    expires_at=int((self._now + self._retention).timestamp()),
                )
            )
            raise

    def unless_own_event(self, records: Any, invalid: InvalidOrderEvent) -> None:
        """A malformed event naming an order is that order's own only if it carries the id of
        the order's OrderPlaced record; anything else is refused as forged, so it cannot cancel
        a real order."""
        order_id = order_id_from_batch(records)
        if order_id is None:
            return
        event_id = event_id_from_batch(records)
        if event_id is not None and self._orders.placed_event_id(order_id) == event_id:
            return
        with self.recorded(order_id, event_id):
            raise ForgedOrderEvent(
                f"a malformed OrderPlaced for order {order_id} that is not its own ({invalid})"
            ) from invalid
