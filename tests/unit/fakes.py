"""In-memory implementations of the order store ports, with the adapter's conditional semantics.

tests/integration runs the same behavioural checks against this fake and the DynamoDB adapter,
so a unit test passing on the fake means something for the real table.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from order_store.errors import OrderAlreadyExists, OrderNotFound, OutboxSequenceConflict
from order_store.events import new_order_event
from order_store.keys import order_pk
from order_store.models import Order, OrderStatus, OutboxKey, OutboxRecord
from order_store.timestamps import epoch_seconds, iso_timestamp


@dataclass
class InMemoryOrderStore:
    """One fake for both ports, like the single table: orders and outbox records side by side."""

    orders: dict[str, Order] = field(default_factory=dict)
    outbox: dict[tuple[str, str], OutboxRecord] = field(default_factory=dict)
    writes: int = 0
    """Successful writes, so tests can assert that a refused request wrote nothing."""
    fail_with: Exception | None = None
    """Raised by the next call, to simulate the store being unavailable."""

    def _maybe_fail(self) -> None:
        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error

    # OrderRepository

    def create_order(self, order: Order, first_event: OutboxRecord) -> None:
        self._maybe_fail()
        if order.order_id in self.orders or (first_event.pk, first_event.sk) in self.outbox:
            raise OrderAlreadyExists(order.order_id)
        self.orders[order.order_id] = order
        self.outbox[(first_event.pk, first_event.sk)] = first_event
        self.writes += 1

    def get_order(self, order_id: str) -> Order | None:
        self._maybe_fail()
        return self.orders.get(order_id)

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
    ) -> OutboxRecord:
        self._maybe_fail()
        order = self.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if order.outbox_sequence != expected_sequence:
            raise OutboxSequenceConflict(order_id, expected_sequence, order.outbox_sequence)
        record = new_order_event(
            order_id=order_id,
            sequence=expected_sequence + 1,
            event_type=event_type,
            data=data,
            now=now or datetime.now(UTC),
            event_id=event_id or str(uuid4()),
        )
        changes: dict[str, Any] = {"outbox_sequence": record.sequence}
        if status_update is not None:
            changes["status"] = status_update
        self.orders[order_id] = order.model_copy(update=changes)
        self.outbox[(record.pk, record.sk)] = record
        self.writes += 1
        return record

    # OutboxRepository

    def claim(
        self, key: OutboxKey, claim_token: str, now: datetime, lease_seconds: int
    ) -> OutboxRecord | None:
        self._maybe_fail()
        record = self.outbox.get((key.pk, key.sk))
        moment = epoch_seconds(now)
        if record is None or record.event_id != key.event_id:
            return None
        lease_over = record.claim_expires_at is not None and record.claim_expires_at < moment
        claimable = record.status == "PENDING" or (
            record.status == "PUBLISHING" and (lease_over or record.claim_token == claim_token)
        )
        if not claimable:
            return None
        claimed = record.model_copy(
            update={
                "status": "PUBLISHING",
                "claim_token": claim_token,
                "claim_expires_at": moment + lease_seconds,
            }
        )
        self.outbox[(key.pk, key.sk)] = claimed
        self.writes += 1
        return claimed

    def find_stale(self, created_before: datetime, limit: int) -> list[OutboxKey]:
        self._maybe_fail()
        cutoff = iso_timestamp(created_before)
        stale = sorted(
            (r for r in self.outbox.values() if r.pending_shard is not None and r.created_at < cutoff),
            key=lambda r: r.created_at,
        )
        return [record.key for record in stale[:limit]]

    def mark_published(self, key: OutboxKey, claim_token: str, now: datetime, expires_at: int) -> bool:
        self._maybe_fail()
        record = self.outbox.get((key.pk, key.sk))
        if record is None or not (record.claim_token == claim_token or record.status == "PUBLISHED"):
            return False
        self.outbox[(key.pk, key.sk)] = record.model_copy(
            update={
                "status": "PUBLISHED",
                "published_at": record.published_at or iso_timestamp(now),
                "expires_at": record.expires_at or expires_at,
                "pending_shard": None,
                "claim_token": None,
                "claim_expires_at": None,
            }
        )
        self.writes += 1
        return True

    def unclaim(self, key: OutboxKey, claim_token: str) -> bool:
        self._maybe_fail()
        record = self.outbox.get((key.pk, key.sk))
        if record is None or record.claim_token != claim_token:
            return False
        self.outbox[(key.pk, key.sk)] = record.model_copy(
            update={"status": "PENDING", "claim_token": None, "claim_expires_at": None}
        )
        self.writes += 1
        return True

    def release(self, key: OutboxKey, claim_token: str, error: str) -> bool:
        self._maybe_fail()
        record = self.outbox.get((key.pk, key.sk))
        if record is None or record.claim_token != claim_token:
            return False
        self.outbox[(key.pk, key.sk)] = record.model_copy(
            update={
                "status": "PENDING",
                "attempts": record.attempts + 1,
                "last_error": error[:1000] or "unknown error",
                "claim_token": None,
                "claim_expires_at": None,
            }
        )
        self.writes += 1
        return True

    # helpers for tests

    def put_outbox(self, record: OutboxRecord) -> None:
        """Seed a record directly (as if written by an earlier transaction)."""
        self.outbox[(record.pk, record.sk)] = record

    def record(self, key: OutboxKey) -> OutboxRecord:
        """The current state of a record."""
        return self.outbox[(key.pk, key.sk)]

    def order_records(self, order_id: str) -> list[OutboxRecord]:
        """Outbox records of one order, by sequence."""
        return sorted(
            (r for r in self.outbox.values() if r.pk == order_pk(order_id)), key=lambda r: r.sequence
        )


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str = "test-function"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2026/11/23/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
