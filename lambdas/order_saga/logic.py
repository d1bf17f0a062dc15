"""The saga's forward steps: begin, reserve stock, request payment, book the shipment.

Every step is safe to run twice for the same order: Step Functions retries a task whose Lambda
failed after its write, and a duplicate message may start a second execution (which the lock
turns into a no-op). Ids are derived from the order id, so a second attempt finds the first
attempt's record and returns it instead of writing another.
"""

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from payments.answers import deliver_answer
from payments.gateway import PaymentGateway
from payments.ledger import PaymentLedger
from payments.models import AuthorizationRequest, PaymentEntry, authorization_id_for

from order_saga.errors import (
    ForgedOrderEvent,
    InvalidOrderEvent,
    OrderEventRefused,
    OrderNotPlaced,
    RedriveRefused,
    SagaStoreUnavailable,
    StepAlreadyCompensated,
    UnsupportedDestination,
)
from order_saga.models import (
    Reservation,
    SagaOrder,
    SagaRefusal,
    Shipment,
    reservation_id_for,
    reserved_lines,
    shipment_id_for,
)
from order_saga.order_placed import event_id_from_batch, order_id_from_batch, parse_order_placed, redrive_of
from order_saga.ports import Inventory, SagaLocks, SagaOrders, Shipments
from order_saga.trust import check_event
from order_store.timestamps import iso_timestamp
from task_io.callbacks import TaskCallbacks

DEFAULT_CARRIER = "DHL"
CARRIERS: dict[str, str] = {"GB": "ROYAL_MAIL", "IE": "AN_POST"}
"""Carrier per destination; every other supported destination ships with DEFAULT_CARRIER."""


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


def request_payment(
    order: SagaOrder,
    task_token: str,
    ledger: PaymentLedger,
    gateway: PaymentGateway,
    callbacks: TaskCallbacks,
    now: datetime,
) -> PaymentEntry:
    """Open the order's authorization request with the provider, or go on with the open one.

    The request is recorded in the ledger first, then sent to the provider through the gateway;
    the provider answers later through the webhook, to the stored task token. While the entry is
    REQUESTED, every attempt sends the request again (an earlier attempt may have failed before
    or after the provider took it; the provider deduplicates on the authorization id). A retried
    request
    (its first attempt's response was lost) waits on a new token, so it stores that one: if the
    provider has not answered yet, the webhook will answer it; if it has, the recorded answer is
    delivered to the new token at once instead of leaving it to wait for its heartbeat. Raises
    StepAlreadyCompensated when the request was voided or withdrawn before (a redriven saga
    must not wait for an answer that will never come).
    """
    authorization_id = authorization_id_for(order.order_id)
    entry = PaymentEntry(
        authorization_id=authorization_id,
        order_id=order.order_id,
        amount=order.total_amount,
        currency=order.currency,
        status="REQUESTED",
        task_token=task_token,
        requested_at=iso_timestamp(now),
    )
    if ledger.create(entry):
        gateway.request_authorization(AuthorizationRequest.for_entry(entry))
        return entry
    existing = ledger.get(authorization_id)
    if existing is None:
        raise SagaStoreUnavailable(f"payment request of order {order.order_id} vanished; retry")
    if existing.status in ("VOIDED", "WITHDRAWN"):
        raise StepAlreadyCompensated(
            f"payment of order {order.order_id} was already requested and {existing.status.lower()}"
        )
    if existing.task_token != task_token and not ledger.refresh_token(authorization_id, task_token):
        closed = ledger.get(authorization_id)
        status = "closed" if closed is None else closed.status.lower()
        raise StepAlreadyCompensated(f"payment of order {order.order_id} was {status} meanwhile")
    if existing.status == "REQUESTED":
        gateway.request_authorization(AuthorizationRequest.for_entry(existing))
    delivery = deliver_answer(authorization_id, ledger, callbacks, now)
    current = delivery.entry if delivery.entry is not None else existing
    return current.model_copy(update={"task_token": task_token})


def carrier_for(country: str) -> str:
    """The carrier that serves ``country``."""
    return CARRIERS.get(country, DEFAULT_CARRIER)


def book_shipment(
    order: SagaOrder, shipments: Shipments, supported_destinations: Collection[str], now: datetime
) -> Shipment:
    """Book the order's shipment, or return the booking a first attempt made.

    Raises UnsupportedDestination, or StepAlreadyCompensated for a shipment cancelled before.
    """
    country = order.destination_country
    if country not in supported_destinations:
        raise UnsupportedDestination(country)
    shipment = Shipment(
        shipment_id=shipment_id_for(order.order_id),
        order_id=order.order_id,
        carrier=carrier_for(country),
        destination_country=country,
        status="BOOKED",
        booked_at=iso_timestamp(now),
    )
    if shipments.book(shipment):
        return shipment
    existing = shipments.get(order.order_id)
    if existing is None:
        raise SagaStoreUnavailable(f"shipment of order {order.order_id} vanished; retry")
    if existing.status != "BOOKED":
        raise StepAlreadyCompensated(f"shipment of order {order.order_id} was already cancelled")
    return existing
