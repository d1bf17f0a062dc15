"""Placing and reading orders.

Idempotency without a separate table: the order id is a UUIDv5 of (customer, Idempotency-Key),
so a retried POST targets the same item, the transactional create fails its condition, and the
stored request hash tells a genuine replay (same body) from a reused key (different body).
"""

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from order_store.errors import OrderAlreadyExists, OrderNotFound, OrderStoreUnavailable
from order_store.events import ORDER_PLACED, new_order_event, order_placed_data
from order_store.models import Order, order_total
from order_store.ports import OrderRepository
from order_store.timestamps import iso_timestamp
from orders_api.errors import IdempotencyKeyReused
from orders_api.schemas import PlaceOrderRequest

ORDER_ID_NAMESPACE = uuid.UUID("5b0c4b52-8f0e-4d7a-9a53-0d6f3c1e2a47")
"""Fixed forever: changing it would turn every retried POST into a new order."""


def order_id_for(customer_id: str, idempotency_key: str) -> str:
    """The order id a (customer, Idempotency-Key) pair always maps to."""
    return str(uuid.uuid5(ORDER_ID_NAMESPACE, f"{customer_id}:{idempotency_key}"))


def request_hash(request: PlaceOrderRequest) -> str:
    """SHA-256 of the validated request in canonical JSON (sorted keys, no whitespace), so
    formatting differences between retries do not count as a different request."""
    canonical = json.dumps(
        request.model_dump(mode="json", exclude_none=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PlacedOrder:
    """The stored order, and whether this request replayed an earlier one."""

    order: Order
    replayed: bool


def _new_event_id() -> str:
    return str(uuid.uuid4())


def place_order(
    request: PlaceOrderRequest,
    idempotency_key: str,
    repository: OrderRepository,
    *,
    now: datetime,
    new_event_id: Callable[[], str] = _new_event_id,
) -> PlacedOrder:
    """Store the order and its OrderPlaced outbox record in one transaction, or replay.

    Raises IdempotencyKeyReused when the key was used for a different request.
    """
    order_id = order_id_for(request.customer_id, idempotency_key)
    fingerprint = request_hash(request)
    order = Order(
        order_id=order_id,
        customer_id=request.customer_id,
        items=request.items,
        currency=request.currency,
        total_amount=order_total(request.items),
        shipping_address=request.shipping_address,
        status="PLACED",
        created_at=iso_timestamp(now),
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
        outbox_sequence=1,
    )
    first_event = new_order_event(
        order_id=order_id,
        sequence=1,
        event_type=ORDER_PLACED,
        data=order_placed_data(order),
        now=now,
        event_id=new_event_id(),
    )
    try:
        repository.create_order(order, first_event)
    except OrderAlreadyExists:
        existing = repository.get_order(order_id)
        if existing is None:
            # The condition failed on the outbox record alone: an inconsistent state that a retry
            # may resolve; refuse rather than guess.
            raise OrderStoreUnavailable(f"order {order_id} is partially stored; retry later") from None
        if existing.request_hash != fingerprint:
            raise IdempotencyKeyReused(order_id) from None
        return PlacedOrder(order=existing, replayed=True)
    return PlacedOrder(order=order, replayed=False)


def get_order(order_id: str, repository: OrderRepository) -> Order:
    """The order, or OrderNotFound."""
    order = repository.get_order(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order
