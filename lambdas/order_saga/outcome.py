"""How a saga ends for the order: confirmed, cancelled, or parked for an operator.

Confirmation and cancellation change the order and write the event announcing it through the
outbox, in one transaction (``OrderRepository.append_event``), conditional on the order's
outbox sequence and status; a concurrent writer of the same order makes it re-read and decide
again. The event ids are derived from the order id, so a replayed step reports the id of the
event its first attempt wrote. Parking only marks the order: operators, not consumers, act on it.

The pivot is the saga lock, moved in the same transactions. A confirmation commits only while
its execution's saga is RUNNING (and sets it COMPLETED); compensation begins by fencing the lock
(RUNNING -> COMPENSATING) after reading the order. Whichever comes first wins, so a confirmed
order is never compensated and a compensating saga never confirms, even when a confirmation's
outcome was unknown (it timed out, its response was lost) or a late write is still in flight.
"""

from dataclasses import dataclass
from datetime import datetime

from order_saga.errors import (
    InvalidSagaInput,
    OrderAlreadyConfirmed,
    OrderStateConflict,
    SagaStoreUnavailable,
)
from order_saga.models import SagaOrder, saga_event_id
from order_saga.ports import SagaLocks
from order_saga.schemas import AuthorizedPayment, ShipmentResult, TaskFailure
from order_store.errors import OrderNotFound, OutboxSequenceConflict, SagaLockConflict
from order_store.events import ORDER_CANCELLED, ORDER_CONFIRMED, OrderCancelledData, OrderConfirmedData
from order_store.models import MAX_REASON_LENGTH, Order, SagaLockChange, SagaStatus
from order_store.ports import OrderRepository

TERMINAL_STATUSES = frozenset({"CONFIRMED", "CANCELLED"})
"""Order statuses consumers were told about (OrderConfirmed / OrderCancelled): final. Parking an
order in one of them flags it for operators but keeps its status."""

COMPENSABLE_LOCK: tuple[SagaStatus, ...] = ("COMPENSATING", "NEEDS_ATTENTION", "CANCELLED")
"""Where our saga lock may be when the cancellation commits: fenced for compensation (or parked
and resumed by a redrive of the same execution)."""

MAX_APPEND_ATTEMPTS = 4
"""Re-reads after a sequence conflict; beyond that the task fails as SagaStoreUnavailable and the
state machine retries it after a backoff."""


@dataclass(frozen=True)
class Confirmed:
    """The OrderConfirmed event id, and whether this attempt wrote it."""

    event_id: str
    written: bool


@dataclass(frozen=True)
class Cancellation:
    """Whether the order is cancelled, why (or why not), and whether this attempt wrote it."""

    cancelled: bool
    reason: str
    written: bool = False


def _read_order(orders: OrderRepository, order_id: str) -> Order:
    order = orders.get_order(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


def confirm_order(
    order: SagaOrder,
    payment: AuthorizedPayment,
    shipment: ShipmentResult,
    execution_id: str,
    orders: OrderRepository,
    now: datetime,
) -> Confirmed:
    """Set the order CONFIRMED and write OrderConfirmed, and mark our saga COMPLETED, in one
    transaction that commits only while our saga is RUNNING (the pivot).

    Already CONFIRMED (a retried task whose first attempt committed): no second event. Raises
    InvalidSagaInput when the authorization does not cover the order, OrderStateConflict when
    the order is not PLACED, SagaLockConflict when our saga is no longer RUNNING (compensation
    began, or a redrive took it over), OrderNotFound when the order does not exist.
    """
    if (payment.amount, payment.currency) != (order.total_amount, order.currency):
        raise InvalidSagaInput(
            f"authorization {payment.authorization_id} is for {payment.amount} {payment.currency},"
            f" the order totals {order.total_amount} {order.currency}"
        )
    event_id = saga_event_id(order.order_id, ORDER_CONFIRMED)
    data = OrderConfirmedData(
        order_id=order.order_id,
        customer_id=order.customer_id,
        total_amount=order.total_amount,
        currency=order.currency,
        authorization_id=payment.authorization_id,
        shipment_id=shipment.shipment_id,
        carrier=shipment.carrier,
    ).model_dump(mode="json")
    for _ in range(MAX_APPEND_ATTEMPTS):
        stored = _read_order(orders, order.order_id)
        if stored.status == "CONFIRMED":
            return Confirmed(event_id=event_id, written=False)
        if stored.status != "PLACED":
            raise OrderStateConflict(f"order {order.order_id} is {stored.status}; it cannot be confirmed")
        try:
            orders.append_event(
                order.order_id,
                stored.outbox_sequence,
                ORDER_CONFIRMED,
                data,
                "CONFIRMED",
                now=now,
                event_id=event_id,
                expected_status="PLACED",
                lock_change=SagaLockChange("COMPLETED", owner=execution_id, expected=("RUNNING",)),
            )
        except OutboxSequenceConflict:
            continue
        return Confirmed(event_id=event_id, written=True)
    raise SagaStoreUnavailable(f"order {order.order_id} kept changing while it was being confirmed")


@dataclass(frozen=True)
class CompensationStart:
    """Whether the order turned out CONFIRMED (the saga goes forward: nothing is undone), else
    our saga is fenced and its compensations may run."""

    confirmed: bool


def begin_compensation(
    order_id: str, execution_id: str, orders: OrderRepository, locks: SagaLocks, now: datetime
) -> CompensationStart:
    """Resolve the saga's outcome by reading the order before anything is undone.

    CONFIRMED: the confirmation committed (its task failed after the effect, or its outcome is
    unknown); the saga is past its pivot and only goes forward. Otherwise fence our lock
    (-> COMPENSATING) so no confirmation can commit any more, and read again in case one
    committed in between. Raises SagaLockConflict when another execution owns the saga.
    """
    order = orders.get_order(order_id)
    if order is not None and order.status == "CONFIRMED":
        return CompensationStart(confirmed=True)
    if locks.fence(order_id, execution_id, now):
        return CompensationStart(confirmed=False)
    order = orders.get_order(order_id)
    if order is not None and order.status == "CONFIRMED":
        return CompensationStart(confirmed=True)
    lock = locks.get(order_id)
    held = "no saga lock" if lock is None else f"a {lock.status} saga of {lock.execution_id}"
    raise SagaLockConflict(f"order {order_id} has {held}; execution {execution_id} does not own it")


def cancel_order(
    order_id: str | None,
    failure: TaskFailure,
    execution_id: str,
    orders: OrderRepository,
    locks: SagaLocks,
    now: datetime,
    *,
    invalid_event: bool,
) -> Cancellation:
    """Set the order CANCELLED with the failure as reason, write OrderCancelled (data: orderId,
    customerId, reason = the error name), and mark the saga CANCELLED, in one transaction.

    After compensation the transaction requires our saga to be fenced (COMPENSATING), so it
    can never cancel an order whose confirmation won the pivot; a CONFIRMED order raises
    OrderAlreadyConfirmed. After an invalid event (``invalid_event``) it requires the order to
    be PLACED and no saga to own it, checked in the same conditional write: a malformed
    duplicate never cancels an order whose valid saga is running or finished. Already
    CANCELLED: no second event.
    """
    if order_id is None:
        return Cancellation(cancelled=False, reason="the event names no order")
    for _ in range(MAX_APPEND_ATTEMPTS):
        stored = orders.get_order(order_id)
        if stored is None:
            return Cancellation(cancelled=False, reason=f"order {order_id} does not exist")
        if stored.status == "CANCELLED":
            if not invalid_event:
                locks.settle(order_id, "CANCELLED", execution_id, now)
            return Cancellation(cancelled=True, reason=stored.cancellation_reason or failure.reason())
        if invalid_event and stored.status != "PLACED":
            return Cancellation(cancelled=False, reason=_refusal(stored, stored.status))
        if stored.status == "CONFIRMED":
            raise OrderAlreadyConfirmed(f"order {order_id} is CONFIRMED; a confirmed order is never undone")
        cancellation = _append_cancellation(stored, failure, execution_id, orders, locks, now, invalid_event)
        if cancellation is not None:
            return cancellation
    raise SagaStoreUnavailable(f"order {order_id} kept changing while it was being cancelled")


def _append_cancellation(
    stored: Order,
    failure: TaskFailure,
    execution_id: str,
    orders: OrderRepository,
    locks: SagaLocks,
    now: datetime,
    invalid_event: bool,
) -> Cancellation | None:
    """One conditional cancellation of ``stored``; None when the order changed meanwhile."""
    order_id = stored.order_id
    reason = failure.reason()
    cancelled = OrderCancelledData(order_id=order_id, customer_id=stored.customer_id, reason=failure.error)
    lock_change = (
        SagaLockChange("CANCELLED", owner=None, expected=("CANCELLED",))
        if invalid_event
        else SagaLockChange("CANCELLED", owner=execution_id, expected=COMPENSABLE_LOCK)
    )
    try:
        orders.append_event(
            order_id,
            stored.outbox_sequence,
            ORDER_CANCELLED,
            cancelled.model_dump(mode="json"),
            "CANCELLED",
            now=now,
            event_id=saga_event_id(order_id, ORDER_CANCELLED),
            attributes={"cancellationReason": reason},
            expected_status=stored.status,
            lock_change=lock_change,
        )
    except OutboxSequenceConflict:
        return None
    except SagaLockConflict:
        if not invalid_event:
            raise
        lock = locks.get(order_id)
        owner = "a saga" if lock is None else f"a {lock.status} saga"
        return Cancellation(
            cancelled=False,
            reason=f"order {order_id} is owned by {owner}; an invalid event does not cancel it",
        )
    return Cancellation(cancelled=True, reason=reason, written=True)


def _refusal(order: Order, status: str) -> str:
    return f"order {order.order_id} is {status}; an invalid event does not cancel it"


def attention_reason(failure: TaskFailure, compensation_failure: TaskFailure) -> str:
    """Both error names: what failed, and what failed while undoing it (or going forward)."""
    reason = f"{failure.error}; compensation failed: {compensation_failure.error}"
    return reason[:MAX_REASON_LENGTH]


def park_order(
    order_id: str,
    failure: TaskFailure,
    compensation_failure: TaskFailure,
    execution_id: str,
    orders: OrderRepository,
    locks: SagaLocks,
    now: datetime,
) -> str:
    """Flag the order for an operator with both errors, and our saga NEEDS_ATTENTION; returns
    the attention reason. Idempotent.

    An order consumers were told about (CONFIRMED, CANCELLED) keeps its status and only gets the
    reason: parking never undoes what was announced. Any other order becomes NEEDS_ATTENTION.
    Raises OrderNotFound.
    """
    reason = attention_reason(failure, compensation_failure)
    for _ in range(MAX_APPEND_ATTEMPTS):
        stored = _read_order(orders, order_id)
        status = stored.status if stored.status in TERMINAL_STATUSES else "NEEDS_ATTENTION"
        if orders.update_status(
            order_id, status, attributes={"attentionReason": reason}, expected_status=stored.status
        ):
            break
    else:
        raise SagaStoreUnavailable(f"order {order_id} kept changing while it was being parked")
    locks.settle(order_id, "NEEDS_ATTENTION", execution_id, now)
    return reason
