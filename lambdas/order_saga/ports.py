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
    PaymentEntry,
    PaymentStatus,
    Reservation,
    SagaLock,
    SagaStatus,
    Shipment,
)


class SagaLocks(Protocol):
    """The per-order saga lock in the order table."""

    def acquire(self, order_id: str, execution_id: str, now: datetime) -> bool:
        """Take the lock for ``execution_id`` (RUNNING) unless another execution holds it;
        True when it is ours (newly, or again on a retried first step)."""
        ...

    def get(self, order_id: str) -> SagaLock | None:
        """The lock, read consistently, or None."""
        ...

    def settle(self, order_id: str, status: SagaStatus, now: datetime) -> None:
        """Record how the saga ended; creates the item if no saga ever took the lock."""
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


class PaymentLedger(Protocol):
    """The payment provider's authorization ledger (payments table)."""

    def create(self, entry: PaymentEntry) -> bool:
        """Store a new entry; False (nothing written) when the authorization id exists."""
        ...

    def get(self, authorization_id: str) -> PaymentEntry | None:
        """The entry, read consistently, or None."""
        ...

    def refresh_token(self, authorization_id: str, task_token: str) -> bool:
        """Replace the task token of a REQUESTED entry; False if it is no longer REQUESTED."""
        ...

    def transition(
        self,
        authorization_id: str,
        expected: PaymentStatus,
        new: PaymentStatus,
        now: datetime,
        *,
        reason: str | None = None,
    ) -> bool:
        """Move the entry from ``expected`` to ``new`` (stamping answeredAt for an answer,
        voidedAt and dropping the task token for a void or withdrawal; ``reason`` becomes the
        declineReason of a DECLINED answer). False when it is not in ``expected``."""
        ...

    def mark_notified(self, authorization_id: str, now: datetime) -> None:
        """The answer reached the workflow (or the task is gone): drop the task token."""
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
