"""In-memory implementations of the order store's and the order saga's ports, with the adapters'
conditional semantics.

tests/integration runs the same behavioural checks against this fake and the DynamoDB adapter,
so a unit test passing on the fake means something for the real table.
"""

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from order_saga.errors import OutOfStock
from order_saga.models import Reservation, SagaLock, SagaRefusal, Shipment
from order_store.errors import OrderAlreadyExists, OrderNotFound, OutboxSequenceConflict, SagaLockConflict
from order_store.events import new_order_event
from order_store.keys import order_pk, outbox_sk
from order_store.models import (
    Order,
    OrderStatus,
    OutboxKey,
    OutboxRecord,
    PublishFailure,
    SagaLockChange,
    SagaStatus,
    status_detail_updates,
)
from order_store.timestamps import epoch_seconds, iso_timestamp
from payments.models import AuthorizationRequest, PaymentEntry, PaymentStatus
from task_io.callbacks import CallbackUnavailable, TaskNoLongerOpen


@dataclass
class InMemoryOrderStore:
    """One fake for both ports, like the single table: orders and outbox records side by side."""

    orders: dict[str, Order] = field(default_factory=dict)
    outbox: dict[tuple[str, str], OutboxRecord] = field(default_factory=dict)
    writes: int = 0
    """Successful writes, so tests can assert that a refused request wrote nothing."""
    fail_with: Exception | None = None
    """Raised by the next call, to simulate the store being unavailable."""
    refusals: dict[tuple[str, str], SagaRefusal] = field(default_factory=dict)
    """Refused OrderPlaced events, by order and execution."""
    saga_locks: dict[str, SagaLock] = field(default_factory=dict)
    """The saga locks of the same table (share it with ``InMemorySagaLocks(locks=...)``), which
    ``append_event`` moves in the same transaction as the order."""

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
        attributes: Mapping[str, str] | None = None,
        expected_status: OrderStatus | None = None,
        lock_change: SagaLockChange | None = None,
    ) -> OutboxRecord:
        self._maybe_fail()
        details = status_detail_updates(attributes)
        order = self.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if order.outbox_sequence != expected_sequence or (
            expected_status is not None and order.status != expected_status
        ):
            raise OutboxSequenceConflict(order_id, expected_sequence, order.outbox_sequence)
        if lock_change is not None:
            self._move_lock(order_id, lock_change, now or datetime.now(UTC))
        record = new_order_event(
            order_id=order_id,
            sequence=expected_sequence + 1,
            event_type=event_type,
            data=data,
            now=now or datetime.now(UTC),
            event_id=event_id or str(uuid4()),
        )
        changes: dict[str, Any] = {"outbox_sequence": record.sequence, **details}
        if status_update is not None:
            changes["status"] = status_update
        self.orders[order_id] = order.model_copy(update=changes)
        self.outbox[(record.pk, record.sk)] = record
        self.writes += 1
        return record

    def _move_lock(self, order_id: str, change: SagaLockChange, now: datetime) -> None:
        held = self.saga_locks.get(order_id)
        moment = iso_timestamp(now)
        if change.owner is not None:
            if held is None or held.execution_id != change.owner or held.status not in change.expected:
                raise SagaLockConflict(
                    f"saga lock of {order_id} is not {change.expected} under {change.owner}"
                )
            self.saga_locks[order_id] = held.model_copy(
                update={"status": change.status, "updated_at": moment}
            )
            return
        if held is not None and held.status not in change.expected:
            raise SagaLockConflict(f"saga lock of {order_id} is {held.status}")
        self.saga_locks[order_id] = SagaLock(order_id=order_id, status=change.status, updated_at=moment)

    def update_status(
        self,
        order_id: str,
        status: OrderStatus,
        *,
        attributes: Mapping[str, str] | None = None,
        expected_status: OrderStatus | None = None,
    ) -> bool:
        self._maybe_fail()
        details = status_detail_updates(attributes)
        order = self.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if expected_status is not None and order.status != expected_status:
            return False
        self.orders[order_id] = order.model_copy(update={"status": status, **details})
        self.writes += 1
        return True

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

    def oldest_pending_created_at(self) -> str | None:
        self._maybe_fail()
        return min((r.created_at for r in self.outbox.values() if r.pending_shard is not None), default=None)

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

    def release(self, key: OutboxKey, claim_token: str, failure: PublishFailure) -> bool:
        self._maybe_fail()
        record = self.outbox.get((key.pk, key.sk))
        if record is None or record.claim_token != claim_token:
            return False
        self.outbox[(key.pk, key.sk)] = record.model_copy(
            update={
                "status": "PENDING",
                "attempts": record.attempts + 1,
                "last_error": failure.summary,
                "last_error_code": failure.code,
                "last_error_message": failure.message,
                "claim_token": None,
                "claim_expires_at": None,
            }
        )
        self.writes += 1
        return True

    # SagaOrders (BeginSaga's view of the table)

    def placed_event_id(self, order_id: str) -> str | None:
        self._maybe_fail()
        record = self.outbox.get((order_pk(order_id), outbox_sk(1)))
        return record.event_id if record is not None and record.event_type == "OrderPlaced" else None

    def record_refusal(self, refusal: SagaRefusal) -> None:
        self._maybe_fail()
        if (refusal.order_id, refusal.execution_id) not in self.refusals:
            self.refusals[(refusal.order_id, refusal.execution_id)] = refusal
            self.writes += 1

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


# --- the order saga's ports ------------------------------------------------------------------


@dataclass
class _Interleaving:
    """Lets a test run "another writer" right before the next conditional write, which is how
    races (a late webhook, a concurrent compensation) are reproduced deterministically."""

    _interleaved: list[Callable[[], object]] = field(default_factory=list)
    writes: int = 0

    def interleave(self, action: Callable[[], object]) -> None:
        """Run ``action`` just before the next conditional write."""
        self._interleaved.append(action)

    def _before_write(self) -> None:
        while self._interleaved:
            self._interleaved.pop(0)()


@dataclass
class InMemorySagaLocks(_Interleaving):
    """SagaLocks with the adapter's conditions; pass the order store's ``saga_locks`` as
    ``locks`` so confirmations and cancellations move the same locks."""

    locks: dict[str, SagaLock] = field(default_factory=dict)

    def acquire(
        self,
        order_id: str,
        execution_id: str,
        now: datetime,
        *,
        takeover_from: str | None = None,
        redrive_count: int = 0,
    ) -> bool:
        self._before_write()
        held = self.locks.get(order_id)
        resumable = (
            held is not None
            and takeover_from is not None
            and held.execution_id == takeover_from
            and held.status in ("RUNNING", "COMPENSATING", "NEEDS_ATTENTION")
        )
        if held is not None and held.execution_id != execution_id and not resumable:
            return False
        moment = iso_timestamp(now)
        self.locks[order_id] = SagaLock(
            order_id=order_id,
            status="RUNNING",
            execution_id=execution_id,
            started_at=moment,
            updated_at=moment,
            redrive_count=redrive_count,
        )
        self.writes += 1
        return True

    def get(self, order_id: str) -> SagaLock | None:
        return self.locks.get(order_id)

    def fence(self, order_id: str, execution_id: str, now: datetime) -> bool:
        self._before_write()
        held = self.locks.get(order_id)
        if held is None or held.execution_id != execution_id or held.status == "COMPLETED":
            return False
        self.locks[order_id] = held.model_copy(
            update={"status": "COMPENSATING", "updated_at": iso_timestamp(now)}
        )
        self.writes += 1
        return True

    def settle(self, order_id: str, status: SagaStatus, execution_id: str, now: datetime) -> bool:
        held = self.locks.get(order_id)
        if held is not None and held.execution_id != execution_id:
            return False
        held = held or SagaLock(order_id=order_id, status=status, execution_id=execution_id)
        self.locks[order_id] = held.model_copy(update={"status": status, "updated_at": iso_timestamp(now)})
        self.writes += 1
        return True


@dataclass
class InMemoryInventory(_Interleaving):
    """Inventory with the adapter's all-or-nothing transactions."""

    stock: dict[str, int] = field(default_factory=dict)
    reservations: dict[str, Reservation] = field(default_factory=dict)

    def missing_skus(self, skus: Collection[str]) -> set[str]:
        return {sku for sku in skus if sku not in self.stock}

    def get_reservation(self, order_id: str) -> Reservation | None:
        return self.reservations.get(order_id)

    def reserve(self, reservation: Reservation) -> bool:
        self._before_write()
        if reservation.order_id in self.reservations:
            return False
        short = [
            line.sku
            for line in reservation.lines
            if line.sku not in self.stock or self.stock[line.sku] < line.quantity
        ]
        if short:
            raise OutOfStock(short)
        for line in reservation.lines:
            self.stock[line.sku] -= line.quantity
        self.reservations[reservation.order_id] = reservation
        self.writes += 1
        return True

    def release(self, reservation: Reservation, now: datetime) -> bool:
        self._before_write()
        current = self.reservations.get(reservation.order_id)
        if current is None or current.status != "RESERVED":
            return False
        for line in reservation.lines:
            self.stock[line.sku] = self.stock.get(line.sku, 0) + line.quantity
        self.reservations[reservation.order_id] = current.model_copy(
            update={"status": "RELEASED", "released_at": iso_timestamp(now)}
        )
        self.writes += 1
        return True


@dataclass
class InMemoryPaymentLedger(_Interleaving):
    """PaymentLedger with the adapter's conditions."""

    entries: dict[str, PaymentEntry] = field(default_factory=dict)

    def create(self, entry: PaymentEntry) -> bool:
        self._before_write()
        if entry.authorization_id in self.entries:
            return False
        self.entries[entry.authorization_id] = entry
        self.writes += 1
        return True

    def get(self, authorization_id: str) -> PaymentEntry | None:
        return self.entries.get(authorization_id)

    def refresh_token(self, authorization_id: str, task_token: str) -> bool:
        self._before_write()
        entry = self.entries.get(authorization_id)
        if entry is None or entry.status not in ("REQUESTED", "AUTHORIZED", "DECLINED"):
            return False
        self.entries[authorization_id] = entry.model_copy(
            update={"task_token": task_token, "notified_at": None}
        )
        self.writes += 1
        return True

    def transition(
        self,
        authorization_id: str,
        expected: PaymentStatus,
        new: PaymentStatus,
        now: datetime,
        *,
        reason: str | None = None,
    ) -> bool:
        self._before_write()
        entry = self.entries.get(authorization_id)
        if entry is None or entry.status != expected:
            return False
        moment = iso_timestamp(now)
        changes: dict[str, Any] = {"status": new}
        if new in ("AUTHORIZED", "DECLINED"):
            changes["answered_at"] = moment
        elif new in ("VOIDED", "WITHDRAWN"):
            changes.update(voided_at=moment, task_token=None)
        else:
            raise ValueError(f"{new} is not a status a ledger entry moves to")
        if new == "DECLINED" and reason:
            changes["decline_reason"] = reason
        self.entries[authorization_id] = entry.model_copy(update=changes)
        self.writes += 1
        return True

    def mark_notified(self, authorization_id: str, task_token: str, now: datetime) -> bool:
        self._before_write()
        entry = self.entries.get(authorization_id)
        if entry is None or entry.task_token != task_token:
            return False
        self.entries[authorization_id] = entry.model_copy(
            update={"task_token": None, "notified_at": iso_timestamp(now)}
        )
        self.writes += 1
        return True


@dataclass
class InMemoryShipments(_Interleaving):
    """Shipments with the adapter's conditions."""

    shipments: dict[str, Shipment] = field(default_factory=dict)

    def book(self, shipment: Shipment) -> bool:
        self._before_write()
        if shipment.order_id in self.shipments:
            return False
        self.shipments[shipment.order_id] = shipment
        self.writes += 1
        return True

    def get(self, order_id: str) -> Shipment | None:
        return self.shipments.get(order_id)

    def cancel(self, order_id: str, now: datetime) -> bool:
        self._before_write()
        shipment = self.shipments.get(order_id)
        if shipment is None or shipment.status != "BOOKED":
            return False
        self.shipments[order_id] = shipment.model_copy(
            update={"status": "CANCELLED", "cancelled_at": iso_timestamp(now)}
        )
        self.writes += 1
        return True


@dataclass
class FakeTaskCallbacks:
    """TaskCallbacks that record every answer; tokens in ``closed`` are answered with
    TaskNoLongerOpen, and ``unavailable`` fails the next call with CallbackUnavailable."""

    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)
    unavailable: bool = False

    def _answer(self, kind: str, task_token: str, details: dict[str, Any]) -> None:
        if self.unavailable:
            self.unavailable = False
            raise CallbackUnavailable(f"{kind}: ThrottlingException")
        if task_token in self.closed:
            raise TaskNoLongerOpen(f"{kind}: TaskDoesNotExist")
        self.calls.append((kind, task_token, details))
        if kind != "heartbeat":
            self.closed.add(task_token)

    def succeed(self, task_token: str, output: Mapping[str, Any]) -> None:
        self._answer("success", task_token, {"output": dict(output)})

    def fail(self, task_token: str, error: str, cause: str) -> None:
        self._answer("failure", task_token, {"error": error, "cause": cause})

    def heartbeat(self, task_token: str) -> None:
        self._answer("heartbeat", task_token, {})


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


@dataclass
class RecordingPaymentGateway:
    """PaymentGateway that records every request it is handed; each exception in ``failures``
    fails one call (in order), after recording it when ``after_receipt`` is set."""

    requests: list[AuthorizationRequest] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    after_receipt: bool = False
    endpoints: list[str] = field(default_factory=list)

    def at(self, endpoint: str) -> "RecordingPaymentGateway":
        """As the handler's gateway factory: records the endpoint it was built for."""
        self.endpoints.append(endpoint)
        return self

    def request_authorization(self, request: AuthorizationRequest) -> None:
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None and not self.after_receipt:
            raise failure
        self.requests.append(request)
        if failure is not None:
            raise failure


class StaticSigningSecrets:
    """The webhook's signing secrets, held in memory; `rotated` stands for the value in Secrets
    Manager when the cache is refreshed (a rotation the cached list does not show yet)."""

    def __init__(self, *secrets: str) -> None:
        self.secrets = list(secrets)
        self.rotated: list[str] | None = None
        self.refreshes = 0

    def valid(self, *, refresh: bool = False) -> list[str]:
        if refresh:
            self.refreshes += 1
            if self.rotated is not None:
                self.secrets = self.rotated
        return list(self.secrets)


class InMemoryIdempotencyStore(BasePersistenceLayer):
    """Powertools Idempotency records in a dict, with the DynamoDB layer's conditional put: a
    key can be taken again only once its record expired or its in-progress lease ran out."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, DataRecord] = {}

    def _get_record(self, idempotency_key: str) -> DataRecord:
        try:
            return self.records[idempotency_key]
        except KeyError:
            raise IdempotencyItemNotFoundError(idempotency_key) from None

    def _put_record(self, data_record: DataRecord) -> None:
        old = self.records.get(data_record.idempotency_key)
        lease = None if old is None else old.in_progress_expiry_timestamp
        lease_over = (
            old is not None
            and old.status == "INPROGRESS"
            and lease is not None
            and lease < time.time() * 1000
        )
        if old is not None and not old.is_expired and not lease_over:
            raise IdempotencyItemAlreadyExistsError(old_data_record=old)
        self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        self.records.pop(data_record.idempotency_key, None)
