"""The ports domain logic depends on; the DynamoDB adapter and the test fakes implement them."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from order_store.models import Order, OrderStatus, OutboxKey, OutboxRecord, PublishFailure, SagaLockChange


class OrderRepository(Protocol):
    """Orders and the events that announce their changes, written together."""

    def create_order(self, order: Order, first_event: OutboxRecord) -> None:
        """Store a new order and its first outbox record atomically.

        Raises OrderAlreadyExists when the order (or the record) exists; nothing is written then.
        """
        ...

    def get_order(self, order_id: str) -> Order | None:
        """The order, read consistently, or None."""
        ...

    def append_event(
        self,
        order_id: str,
        expected_sequence: int,
        event_type: str,
        data: Mapping[str, Any],
        status_update: OrderStatus | None = None,
        *,
        now: datetime | None = None,
        event_id: str | None = None,
        attributes: Mapping[str, str] | None = None,
        expected_status: OrderStatus | None = None,
        lock_change: SagaLockChange | None = None,
    ) -> OutboxRecord:
        """Atomically bump the order's outbox sequence (optionally changing its status and
        setting status details such as ``cancellationReason``) and put the next outbox record;
        with ``lock_change``, move the order's saga lock in the same transaction.

        Raises OrderNotFound; OutboxSequenceConflict when ``expected_sequence`` is stale or the
        order is not ``expected_status``; SagaLockConflict when the lock is not where
        ``lock_change`` expects it; ValueError for an attribute that is not a status detail
        (see STATUS_DETAIL_FIELDS).
        """
        ...

    def update_status(
        self,
        order_id: str,
        status: OrderStatus,
        *,
        attributes: Mapping[str, str] | None = None,
        expected_status: OrderStatus | None = None,
    ) -> bool:
        """Set an existing order's status and status details without announcing it (no event):
        for states only operators act on, such as NEEDS_ATTENTION. With ``expected_status``,
        only if the order is in it (False when it is not).

        Raises OrderNotFound.
        """
        ...


class OutboxRepository(Protocol):
    """Claim, settle and sweep outbox records; every write is conditional on the record's state."""

    def claim(
        self, key: OutboxKey, claim_token: str, now: datetime, lease_seconds: int
    ) -> OutboxRecord | None:
        """Move a PENDING record (or one whose lease expired, or one already claimed with the same
        token) to PUBLISHING under ``claim_token``; return it, or None when someone else owns it
        or it is already published."""
        ...

    def find_stale(self, created_before: datetime, limit: int) -> list[OutboxKey]:
        """Unpublished records created before ``created_before``, oldest first, at most ``limit``."""
        ...

    def oldest_pending_created_at(self) -> str | None:
        """The ``createdAt`` of the oldest unpublished record, or None when every one is published."""
        ...

    def mark_published(self, key: OutboxKey, claim_token: str, now: datetime, expires_at: int) -> bool:
        """Mark a record we claimed PUBLISHED (harmless if already PUBLISHED); False if another
        execution owns it now."""
        ...

    def unclaim(self, key: OutboxKey, claim_token: str) -> bool:
        """Give back a claim that was never used (nothing was published): PENDING again, no
        attempt counted; False if we no longer own it."""
        ...

    def release(self, key: OutboxKey, claim_token: str, failure: PublishFailure) -> bool:
        """Return a record we claimed to PENDING, counting the failed attempt and keeping why it
        failed (lastErrorCode, lastErrorMessage, and both as lastError); False if we no longer
        own it."""
        ...
