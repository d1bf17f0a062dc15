"""How a saga ends for the order: confirmed, cancelled, or parked for an operator.

Confirmation and cancellation change the order and write the event announcing it through the
outbox, in one transaction (``OrderRepository.append_event``), conditional on the order's
outbox sequence; a concurrent writer of the same order makes it re-read and decide again. The
event ids are derived from the order id, so a replayed step reports the id of the event its
first attempt wrote. Parking only marks the order: operators, not consumers, act on it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from order_saga.errors import InvalidSagaInput, OrderStateConflict, SagaStoreUnavailable
from order_saga.models import ORDER_CANCELLED, ORDER_CONFIRMED, SagaOrder, saga_event_id
from order_saga.ports import SagaLocks
from order_saga.schemas import AuthorizedPayment, ShipmentResult, TaskFailure
from order_store.errors import OrderNotFound, OutboxSequenceConflict
from order_store.models import MAX_REASON_LENGTH, Order
from order_store.ports import OrderRepository

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
    orders: OrderRepository,
    locks: SagaLocks,
    now: datetime,
) -> Confirmed:
    """Set the order CONFIRMED and write OrderConfirmed, then mark the saga COMPLETED.

    Already CONFIRMED (a retried task): no second event; the lock is settled again in case the
    first attempt failed after its transaction. Raises InvalidSagaInput when the authorization
    does not cover the order, OrderStateConflict when the order was cancelled or parked meanwhile,
    OrderNotFound when the order does not exist.
    """
    if (payment.amount, payment.currency) != (order.total_amount, order.currency):
        raise InvalidSagaInput(
            f"authorization {payment.authorization_id} is for {payment.amount} {payment.currency},"
            f" the order totals {order.total_amount} {order.currency}"
        )
    event_id = saga_event_id(order.order_id, ORDER_CONFIRMED)
    data: dict[str, Any] = {
        "orderId": order.order_id,
        "customerId": order.customer_id,
        "totalAmount": order.total_amount,
        "currency": order.currency,
        "authorizationId": payment.authorization_id,
        "shipmentId": shipment.shipment_id,
        "carrier": shipment.carrier,
    }
    for _ in range(MAX_APPEND_ATTEMPTS):
        stored = _read_order(orders, order.order_id)
        if stored.status == "CONFIRMED":
            locks.settle(order.order_id, "COMPLETED", now)
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
            )
        except OutboxSequenceConflict:
            continue
        locks.settle(order.order_id, "COMPLETED", now)
        return Confirmed(event_id=event_id, written=True)
    raise SagaStoreUnavailable(f"order {order.order_id} kept changing while it was being confirmed")


def cancel_order(
    order_id: str | None,
    failure: TaskFailure,
    orders: OrderRepository,
    locks: SagaLocks,
    now: datetime,
    *,
    invalid_event: bool,
) -> Cancellation:
    """Set the order CANCELLED with the failure as reason, write OrderCancelled (data: orderId,
    customerId, reason = the error name), and mark the saga CANCELLED.

    Already CANCELLED: no second event. After an invalid event (``invalid_event``) the order is
    cancelled only if it is still PLACED and no saga owns it: a malformed duplicate of an event
    must not cancel an order whose valid saga is running or finished.
    """
    if order_id is None:
        return Cancellation(cancelled=False, reason="the event names no order")
    reason = failure.reason()
    for _ in range(MAX_APPEND_ATTEMPTS):
        stored = orders.get_order(order_id)
        if stored is None:
            return Cancellation(cancelled=False, reason=f"order {order_id} does not exist")
        if stored.status == "CANCELLED":
            locks.settle(order_id, "CANCELLED", now)
            return Cancellation(cancelled=True, reason=stored.cancellation_reason or reason)
        if invalid_event:
            refusal = _invalid_event_refusal(stored, locks)
            if refusal is not None:
                return Cancellation(cancelled=False, reason=refusal)
        try:
            orders.append_event(
                order_id,
                stored.outbox_sequence,
                ORDER_CANCELLED,
                {"orderId": order_id, "customerId": stored.customer_id, "reason": failure.error},
                "CANCELLED",
                now=now,
                event_id=saga_event_id(order_id, ORDER_CANCELLED),
                attributes={"cancellationReason": reason},
            )
        except OutboxSequenceConflict:
            continue
        locks.settle(order_id, "CANCELLED", now)
        return Cancellation(cancelled=True, reason=reason, written=True)
    raise SagaStoreUnavailable(f"order {order_id} kept changing while it was being cancelled")


def _invalid_event_refusal(order: Order, locks: SagaLocks) -> str | None:
    if order.status != "PLACED":
        return f"order {order.order_id} is {order.status}; an invalid event does not cancel it"
    lock = locks.get(order.order_id)
    if lock is not None and lock.status != "CANCELLED":
        return f"order {order.order_id} is owned by a {lock.status} saga; an invalid event does not cancel it"
    return None


def attention_reason(failure: TaskFailure, compensation_failure: TaskFailure) -> str:
    """Both error names: what failed, and what failed while undoing it."""
    reason = f"{failure.error}; compensation failed: {compensation_failure.error}"
    return reason[:MAX_REASON_LENGTH]


def park_order(
    order_id: str,
    failure: TaskFailure,
    compensation_failure: TaskFailure,
    orders: OrderRepository,
    locks: SagaLocks,
    now: datetime,
) -> str:
    """Mark the order NEEDS_ATTENTION with both errors, and the saga likewise; returns the
    attention reason. Idempotent. Raises OrderNotFound."""
    reason = attention_reason(failure, compensation_failure)
    orders.update_status(order_id, "NEEDS_ATTENTION", attributes={"attentionReason": reason})
    locks.settle(order_id, "NEEDS_ATTENTION", now)
    return reason
