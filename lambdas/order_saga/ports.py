"""The ports the saga's steps depend on; DynamoDB adapters (``dynamodb.py``) and the in-memory
fakes of the unit tests implement them.

Ports offer reads and *conditional* writes only: each write states the status it expects and
reports whether it happened, and the domain functions decide what to do when it did not. That
keeps every retry and race decision in plain, tested code, and the adapters small.
"""

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from order_saga.models import (
    Reservation,
    SagaLock,
    SagaRefusal,
    SagaStatus,
    Shipment,
)
from order_store.models import Order


class SagaOrders(Protocol):
    """The saga's view of the order table: what BeginSaga checks an event against."""

    def get_order(self, order_id: str) -> Order | None:
        """The order, read consistently, or None."""
        ...

    def placed_event_id(self, order_id: str) -> str | None:
        """The event id of the order's OrderPlaced outbox record (its first), or None when the
        record is not there (never was, or it expired after publication)."""
        ...

    def record_refusal(self, refusal: SagaRefusal) -> None:
        """Keep a refused event's refusal next to the order it named (once per execution)."""
        ...


class SagaLocks(Protocol):
    """The per-order saga lock in the order table, owned by an execution identity."""

    def acquire(
        self,
        order_id: str,
        execution_id: str,
        now: datetime,
        *,
        takeover_from: str | None = None,
        redrive_count: int = 0,
    ) -> bool:
        """Take the lock for ``execution_id`` (RUNNING) unless another execution holds it;
        True when it is ours (newly, or again on a retried first step). A redrive names the
        parked execution it resumes (``takeover_from``): it takes over that execution's lock if
        the saga did not end cleanly (RUNNING, COMPENSATING or NEEDS_ATTENTION)."""
        ...

    def get(self, order_id: str) -> SagaLock | None:
        """The lock, read consistently, or None."""
        ...

    def fence(self, order_id: str, execution_id: str, now: datetime) -> bool:
        """Move our lock to COMPENSATING unless the saga COMPLETED: from then on no confirmation
        of this order can commit. False when the lock is not ours or the saga completed."""
        ...

    def settle(self, order_id: str, status: SagaStatus, execution_id: str, now: datetime) -> bool:
        """Record where our saga ended (creating the lock if there is none); False when another
        execution owns it."""
        ...


class Inventory(Protocol):
    """Stock levels and reservations (inventory table)."""

    def missing_skus(self, skus: Collection[str]) -> set[str]:
        """The SKUs of ``skus`` that have no stock item."""
        ...

    def get_reservation(self, order_id: str) -> Reservation | None:
        """The order's reservation, read consistently, or None."""
        ...

    def reserve(self, reservation: Reservation) -> bool:
        """In one transaction take every line's quantity from stock (never below zero) and store
        the RESERVED reservation. False, with nothing taken, when the order already has a
        reservation. Raises OutOfStock naming the SKUs short of stock, with nothing taken."""
        ...

    def release(self, reservation: Reservation, now: datetime) -> bool:
        """In one transaction mark the reservation RELEASED and give every line's quantity back,
        only if it is still RESERVED; False (nothing changed) otherwise."""
        ...


class Shipments(Protocol):
    """Shipment bookings (shipments table)."""

    def book(self, shipment: Shipment) -> bool:
        """Store a BOOKED shipment; False (nothing written) when the order already has one."""
        ...

    def get(self, order_id: str) -> Shipment | None:
        """The order's shipment, read consistently, or None."""
        ...

    def cancel(self, order_id: str, now: datetime) -> bool:
        """BOOKED -> CANCELLED; False when the shipment is not BOOKED (or absent)."""
        ...
