"""Placing and reading orders (domain logic, fake store)."""

import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from order_store.errors import OrderNotFound, OrderStoreUnavailable
from orders_api.errors import IdempotencyKeyReused
from orders_api.logic import get_order, order_id_for, place_order, request_hash
from orders_api.schemas import PlaceOrderRequest
from tests.unit.fakes import InMemoryOrderStore
from tests.unit.samples import NOW, order_body


def _request(**overrides: object) -> PlaceOrderRequest:
    return PlaceOrderRequest.model_validate(order_body(**overrides))


def test_a_new_order_is_stored_with_its_order_placed_record(store: InMemoryOrderStore) -> None:
    # Given a valid request
    request = _request()
    # When the order is placed
    placed = place_order(request, "key-1", store, now=NOW, new_event_id=lambda: "event-1")
    # Then the order is PLACED with the computed total and sequence 1, next to one pending OrderPlaced
    order = placed.order
    assert placed.replayed is False
    assert order.order_id == order_id_for("customer-42", "key-1")
    assert (order.status, order.total_amount, order.outbox_sequence) == ("PLACED", 2 * 1250 + 999, 1)
    assert order.created_at == "2026-11-23T10:00:00.123Z"
    assert store.orders[order.order_id] == order
    [record] = store.order_records(order.order_id)
    assert (record.event_type, record.sequence, record.status, record.event_id) == (
        "OrderPlaced",
        1,
        "PENDING",
        "event-1",
    )
    assert json.loads(record.detail) == {
        "orderId": order.order_id,
        "customerId": "customer-42",
        "currency": "EUR",
        "totalAmount": 3499,
        "items": [
            {"sku": "SKU-1", "quantity": 2, "unitPrice": 1250},
            {"sku": "SKU-2", "quantity": 1, "unitPrice": 999},
        ],
        "destinationCountry": "DE",
    }


def test_the_same_request_with_the_same_key_replays_the_stored_order(store: InMemoryOrderStore) -> None:
    # Given an order placed a moment ago
    first = place_order(_request(), "key-1", store, now=NOW)
    # When the client retries the same request (keys in a different order do not matter)
    retried = PlaceOrderRequest.model_validate(dict(reversed(list(order_body().items()))))
    again = place_order(retried, "key-1", store, now=NOW)
    # Then the stored order comes back as a replay, and nothing new is written
    assert again.replayed is True
    assert again.order == first.order
    assert store.writes == 1
    assert len(store.outbox) == 1


def test_a_different_request_with_a_used_key_is_a_conflict(store: InMemoryOrderStore) -> None:
    # Given an order placed with key-1
    place_order(_request(), "key-1", store, now=NOW)
    # When the same customer sends a different order with the same key / Then it is refused
    with pytest.raises(IdempotencyKeyReused):
        place_order(_request(currency="USD"), "key-1", store, now=NOW)
    assert store.writes == 1


def test_the_same_key_from_another_customer_is_another_order(store: InMemoryOrderStore) -> None:
    # Given an order of customer-42 with key-1
    first = place_order(_request(), "key-1", store, now=NOW)
    # When another customer uses the same key / Then it is a new order
    second = place_order(_request(customerId="customer-7"), "key-1", store, now=NOW)
    assert second.replayed is False and second.order.order_id != first.order.order_id


def test_a_partially_stored_order_is_reported_as_unavailable(store: InMemoryOrderStore) -> None:
    # Given an outbox record without its order (not reachable through the transaction; defensive)
    placed = place_order(_request(), "key-1", store, now=NOW)
    del store.orders[placed.order.order_id]
    # When the request is retried / Then the API says "retry later" rather than guessing
    with pytest.raises(OrderStoreUnavailable):
        place_order(_request(), "key-1", store, now=NOW)


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_order_ids_are_deterministic_uuids(customer_id: str, key: str) -> None:
    # Given a customer and key / When the id is derived twice / Then it is the same UUID
    assert order_id_for(customer_id, key) == order_id_for(customer_id, key)
    assert uuid.UUID(order_id_for(customer_id, key)).version == 5


def test_the_request_hash_ignores_formatting_but_not_content() -> None:
    # Given the same request with padded whitespace, and a different request
    same = _request(shippingAddress={**order_body()["shippingAddress"], "city": "  Berlin "})
    # When hashed / Then formatting does not matter, content does
    assert request_hash(same) == request_hash(_request())
    assert request_hash(_request(currency="USD")) != request_hash(_request())


def test_reading_an_unknown_order_fails_by_name(store: InMemoryOrderStore) -> None:
    # Given an empty store / When an order is read / Then OrderNotFound
    with pytest.raises(OrderNotFound):
        get_order(str(uuid.uuid4()), store)


def test_reading_a_stored_order_returns_it(store: InMemoryOrderStore) -> None:
    # Given a stored order / When read / Then it is returned
    placed = place_order(_request(), "key-1", store, now=NOW)
    assert get_order(placed.order.order_id, store) == placed.order
