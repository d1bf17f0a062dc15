"""The saga's forward steps: begin, reserve stock, request payment, book the shipment.

Every step is safe to run twice for the same order: Step Functions retries a task whose Lambda
failed after its write, and a duplicate message may start a second execution (which the lock
turns into a no-op). Ids are derived from the order id, so a second attempt finds the first
attempt's record and returns it instead of writing another.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from order_saga.errors import (
    InvalidOrderEvent,
    SagaStoreUnavailable,
    StepAlreadyCompensated,
    UnsupportedDestination,
)
from order_saga.models import (
    PaymentDecision,
    PaymentEntry,
    Reservation,
    SagaOrder,
    Shipment,
    authorization_id_for,
    reservation_id_for,
    reserved_lines,
    shipment_id_for,
)
from order_saga.order_placed import parse_order_placed
from order_saga.ports import Inventory, PaymentLedger, SagaLocks, Shipments
from order_store.timestamps import iso_timestamp

DEFAULT_CARRIER = "DHL"
CARRIERS: dict[str, str] = {"GB": "ROYAL_MAIL", "IE": "AN_POST"}
"""Carrier per destination; every other supported destination ships with DEFAULT_CARRIER."""


@dataclass(frozen=True)
class SagaStart:
    """BeginSaga's outcome: the validated order, and whether another execution owns its saga."""

    order: SagaOrder
    duplicate: bool


def begin_saga(
    records: Any, execution_id: str, inventory: Inventory, locks: SagaLocks, now: datetime
) -> SagaStart:
    """Validate the batch's OrderPlaced event and take the order's saga lock.

    Validation comes first and writes nothing, so an invalid event leaves no lock behind (its
    cancellation can then tell that no saga ever owned the order). Raises InvalidOrderEvent.
    """
    order = parse_order_placed(records)
    missing = inventory.missing_skus({line.sku for line in order.items})
    if missing:
        raise InvalidOrderEvent(f"unknown SKU(s): {', '.join(sorted(missing))}")
    acquired = locks.acquire(order.order_id, execution_id, now)
    return SagaStart(order=order, duplicate=not acquired)


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


def provider_decision(amount: int, limit: int) -> tuple[PaymentDecision, str | None]:
    """The simulated provider's rule: decline above its authorization limit."""
    if amount > limit:
        return "DECLINE", f"amount {amount} exceeds the authorization limit {limit}"
    return "APPROVE", None


def request_payment(
    order: SagaOrder, task_token: str, ledger: PaymentLedger, limit: int, now: datetime
) -> PaymentEntry:
    """Open the order's authorization request with the provider, or keep the open one.

    The provider answers later through the webhook, using the stored task token; a retried
    request refreshes the token (the workflow now waits on the new one) and keeps the decision.
    An entry already answered, voided or withdrawn is returned unchanged.
    """
    decision, decline_reason = provider_decision(order.total_amount, limit)
    authorization_id = authorization_id_for(order.order_id)
    entry = PaymentEntry(
        authorization_id=authorization_id,
        order_id=order.order_id,
        amount=order.total_amount,
        currency=order.currency,
        status="REQUESTED",
        decision=decision,
        decline_reason=decline_reason,
        task_token=task_token,
        requested_at=iso_timestamp(now),
    )
    if ledger.create(entry):
        return entry
    existing = ledger.get(authorization_id)
    if existing is None:
        raise SagaStoreUnavailable(f"payment request of order {order.order_id} vanished; retry")
    if existing.status == "REQUESTED" and existing.task_token != task_token:
        if ledger.refresh_token(authorization_id, task_token):
            return existing.model_copy(update={"task_token": task_token})
        refreshed = ledger.get(authorization_id)
        return refreshed if refreshed is not None else existing
    return existing


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
