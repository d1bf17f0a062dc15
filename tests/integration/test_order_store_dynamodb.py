"""The DynamoDB adapter against moto: transactions, conditions and the sparse pending index.

The outbox condition checks run against both the adapter and the in-memory fake the unit tests
use, so the fake cannot drift from the table's behaviour unnoticed.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from dynamo_tables import from_item, to_item
from order_store.dynamodb import DynamoOrderRepository, DynamoOutboxRepository
from order_store.errors import OrderAlreadyExists, OrderNotFound, OutboxSequenceConflict
from order_store.events import ORDER_PLACED, new_order_event, order_placed_data
from order_store.keys import pending_shard
from order_store.models import Order, OutboxKey, OutboxRecord, PublishFailure
from order_store.ports import OutboxRepository
from tests.unit.fakes import InMemoryOrderStore
from tests.unit.samples import NOW, order_model

TOKEN = "execution-1"


def _order(order_id: str = "3f2b8c1e-0000-5000-8000-000000000001") -> Order:
    return order_model(order_id)


def _first_event(order: Order, created: datetime = NOW) -> OutboxRecord:
    return new_order_event(
        order_id=order.order_id,
        sequence=1,
        event_type=ORDER_PLACED,
        data=order_placed_data(order),
        now=created,
        event_id=f"event-{order.order_id}",
    )


def _raw(dynamodb: Any, table: str, pk: str, sk: str) -> dict[str, Any] | None:
    item = dynamodb.get_item(TableName=table, Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=True).get(
        "Item"
    )
    return from_item(item) if item else None


@pytest.fixture
def orders(dynamodb: Any, orders_table: str) -> DynamoOrderRepository:
    return DynamoOrderRepository(orders_table, dynamodb)


def test_an_order_and_its_first_event_are_written_together(
    orders: DynamoOrderRepository, dynamodb: Any, orders_table: str
) -> None:
    # Given a new order and its OrderPlaced record
    order = _order()
    event = _first_event(order)
    # When it is created
    orders.create_order(order, event)
    # Then both items exist with the documented layout
    order_item = _raw(dynamodb, orders_table, f"ORDER#{order.order_id}", "ORDER")
    assert order_item is not None
    assert order_item["recordType"] == "ORDER" and order_item["status"] == "PLACED"
    assert order_item["totalAmount"] == 3499 and order_item["outboxSequence"] == 1
    assert order_item["shippingAddress"]["country"] == "DE" and "line2" not in order_item["shippingAddress"]
    outbox_item = _raw(dynamodb, orders_table, f"ORDER#{order.order_id}", "OUTBOX#0000000001")
    assert outbox_item is not None
    assert outbox_item["recordType"] == "OUTBOX" and outbox_item["status"] == "PENDING"
    assert outbox_item["pendingShard"] == pending_shard(order.order_id)
    assert outbox_item["attempts"] == 0 and outbox_item["aggregateType"] == "Order"
    assert "claimToken" not in outbox_item and "expiresAt" not in outbox_item
    # And the order reads back as the same model (numbers back to int)
    assert orders.get_order(order.order_id) == order


def test_creating_the_same_order_again_conflicts_and_changes_nothing(
    orders: DynamoOrderRepository, dynamodb: Any, orders_table: str
) -> None:
    # Given a stored order
    order = _order()
    orders.create_order(order, _first_event(order))
    # When the same id is created with other content
    changed = order.model_copy(update={"request_hash": "b" * 64})
    with pytest.raises(OrderAlreadyExists):
        orders.create_order(changed, _first_event(changed).model_copy(update={"event_id": "other"}))
    # Then the stored items are untouched
    assert orders.get_order(order.order_id) == order
    outbox_item = _raw(dynamodb, orders_table, f"ORDER#{order.order_id}", "OUTBOX#0000000001")
    assert outbox_item is not None and outbox_item["eventId"] == f"event-{order.order_id}"


def test_the_transaction_writes_neither_item_when_one_condition_fails(
    orders: DynamoOrderRepository, dynamodb: Any, orders_table: str
) -> None:
    # Given an outbox item already occupying the new order's first outbox key
    order = _order()
    dynamodb.put_item(TableName=orders_table, Item=to_item(_first_event(order).model_dump(exclude_none=True)))
    # When the order is created
    with pytest.raises(OrderAlreadyExists):
        orders.create_order(order, _first_event(order))
    # Then the order item was not written either
    assert orders.get_order(order.order_id) is None


def test_an_unknown_order_reads_as_none(orders: DynamoOrderRepository) -> None:
    # Given an empty table / When an order is read / Then there is none
    assert orders.get_order("nope") is None


def test_append_event_bumps_the_sequence_and_puts_the_next_record(
    orders: DynamoOrderRepository, dynamodb: Any, orders_table: str
) -> None:
    # Given a placed order (sequence 1)
    order = _order()
    orders.create_order(order, _first_event(order))
    # When the saga appends OrderConfirmed expecting sequence 1
    record = orders.append_event(
        order.order_id, 1, "OrderConfirmed", {"orderId": order.order_id}, "CONFIRMED", now=NOW, event_id="e-2"
    )
    # Then the order moved to sequence 2 and CONFIRMED, and record 2 is pending
    stored = orders.get_order(order.order_id)
    assert stored is not None and (stored.outbox_sequence, stored.status) == (2, "CONFIRMED")
    assert (record.sk, record.sequence, record.event_id) == ("OUTBOX#0000000002", 2, "e-2")
    raw = _raw(dynamodb, orders_table, record.pk, record.sk)
    assert raw is not None and raw["status"] == "PENDING" and raw["eventType"] == "OrderConfirmed"


def test_append_event_with_a_stale_sequence_conflicts_and_writes_nothing(
    orders: DynamoOrderRepository, dynamodb: Any, orders_table: str
) -> None:
    # Given an order at sequence 2
    order = _order()
    orders.create_order(order, _first_event(order))
    orders.append_event(order.order_id, 1, "OrderConfirmed", {}, now=NOW)
    # When another writer still expects sequence 1
    with pytest.raises(OutboxSequenceConflict) as conflict:
        orders.append_event(order.order_id, 1, "OrderCancelled", {}, "CANCELLED", now=NOW)
    # Then it learns the current sequence, and neither the order nor a third record changed
    assert conflict.value.actual == 2
    stored = orders.get_order(order.order_id)
    assert stored is not None and stored.status == "PLACED"
    assert _raw(dynamodb, orders_table, f"ORDER#{order.order_id}", "OUTBOX#0000000003") is None


def test_append_event_to_an_unknown_order_fails_by_name(orders: DynamoOrderRepository) -> None:
    # Given no order / When an event is appended / Then OrderNotFound
    with pytest.raises(OrderNotFound):
        orders.append_event("missing", 1, "OrderConfirmed", {}, now=NOW)


# --- outbox conditions: the same checks on the adapter and on the unit tests' fake ---

Seed = Callable[[OutboxRecord], None]


@pytest.fixture(params=["dynamodb", "in-memory fake"])
def outbox(request: pytest.FixtureRequest) -> tuple[OutboxRepository, Seed]:
    """The repository under test and a way to put a record into it directly."""
    if request.param == "in-memory fake":
        fake = InMemoryOrderStore()
        return fake, fake.put_outbox
    dynamodb = request.getfixturevalue("dynamodb")
    table = request.getfixturevalue("orders_table")

    def seed(record: OutboxRecord) -> None:
        dynamodb.put_item(TableName=table, Item=to_item(record.model_dump(exclude_none=True)))

    return DynamoOutboxRepository(table, dynamodb), seed


def _record(order_id: str, created: datetime = NOW, **changes: Any) -> OutboxRecord:
    record = _first_event(_order(order_id), created)
    return record.model_copy(update=changes)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def test_claim_takes_a_pending_record(outbox: tuple[OutboxRepository, Seed]) -> None:
    # Given a pending record
    repository, seed = outbox
    record = _record("o-1")
    seed(record)
    # When claimed
    claimed = repository.claim(record.key, TOKEN, NOW, 60)
    # Then the current record comes back PUBLISHING under our token with the lease end
    assert claimed is not None
    assert (claimed.status, claimed.claim_token, claimed.claim_expires_at) == (
        "PUBLISHING",
        TOKEN,
        _epoch(NOW) + 60,
    )
    assert claimed.detail == record.detail and claimed.attempts == 0


def test_a_live_claim_excludes_other_executions_but_not_its_own(
    outbox: tuple[OutboxRepository, Seed],
) -> None:
    # Given a record we claimed with a 60 s lease
    repository, seed = outbox
    record = _record("o-1")
    seed(record)
    repository.claim(record.key, TOKEN, NOW, 60)
    # When another execution tries within the lease, and our own retried task tries
    other = repository.claim(record.key, "execution-2", NOW + timedelta(seconds=30), 60)
    again = repository.claim(record.key, TOKEN, NOW + timedelta(seconds=30), 60)
    # Then the other is refused and we keep it
    assert other is None
    assert again is not None and again.claim_token == TOKEN


def test_an_expired_lease_can_be_taken_over(outbox: tuple[OutboxRepository, Seed]) -> None:
    # Given a record whose claim lease ended
    repository, seed = outbox
    record = _record("o-1")
    seed(record)
    repository.claim(record.key, TOKEN, NOW, 60)
    # When another execution claims after the lease / Then it owns the record
    taken = repository.claim(record.key, "execution-2", NOW + timedelta(seconds=61), 60)
    assert taken is not None and taken.claim_token == "execution-2"


@pytest.mark.parametrize("case", ["published", "wrong event id", "missing"])
def test_published_foreign_or_missing_records_cannot_be_claimed(
    outbox: tuple[OutboxRepository, Seed], case: str
) -> None:
    # Given a published record, or a key whose event id does not match, or no record
    repository, seed = outbox
    record = _record("o-1")
    key = record.key
    if case == "published":
        seed(record.model_copy(update={"status": "PUBLISHED", "pending_shard": None}))
    elif case == "wrong event id":
        seed(record)
        key = OutboxKey(pk=record.pk, sk=record.sk, event_id="another-event")
    # When claimed / Then nothing is claimed
    assert repository.claim(key, TOKEN, NOW, 60) is None


def test_mark_published_sets_ttl_and_leaves_the_pending_index(outbox: tuple[OutboxRepository, Seed]) -> None:
    # Given a record we claimed, created long ago
    repository, seed = outbox
    record = _record("o-1", created=NOW - timedelta(hours=1))
    seed(record)
    repository.claim(record.key, TOKEN, NOW, 60)
    # When marked published, and marked again a minute later (a retried mark task)
    expires = _epoch(NOW) + 7 * 86_400
    first = repository.mark_published(record.key, TOKEN, NOW, expires)
    second = repository.mark_published(record.key, TOKEN, NOW + timedelta(minutes=1), expires + 60)
    # Then both succeed, and the record is gone from the sweep's view
    assert first and second
    assert repository.find_stale(NOW + timedelta(days=1), 10) == []
    # And a claim cannot take it again
    assert repository.claim(record.key, "execution-2", NOW + timedelta(hours=1), 60) is None


def test_mark_published_refuses_a_record_another_execution_owns(
    outbox: tuple[OutboxRepository, Seed],
) -> None:
    # Given a record taken over by another execution after our lease ended
    repository, seed = outbox
    record = _record("o-1")
    seed(record)
    repository.claim(record.key, TOKEN, NOW, 60)
    repository.claim(record.key, "execution-2", NOW + timedelta(seconds=61), 60)
    # When we try to mark or release it / Then both are refused
    assert repository.mark_published(record.key, TOKEN, NOW, _epoch(NOW)) is False
    assert (
        repository.release(record.key, TOKEN, PublishFailure(code="InternalFailure", message="boom")) is False
    )
    assert repository.unclaim(record.key, TOKEN) is False


def test_release_returns_the_record_to_pending_with_the_attempt_counted(
    outbox: tuple[OutboxRepository, Seed],
) -> None:
    # Given a claimed record that failed twice in a row
    repository, seed = outbox
    record = _record("o-1", created=NOW - timedelta(hours=1))
    seed(record)
    for _ in range(2):
        repository.claim(record.key, TOKEN, NOW, 60)
        assert repository.release(
            record.key, TOKEN, PublishFailure(code="Throttled", message="EventBridge said no")
        )
    # When claimed again / Then it is pending with two attempts and the last error, and stale again
    reclaimed = repository.claim(record.key, "execution-2", NOW, 60)
    assert reclaimed is not None
    assert reclaimed.attempts == 2
    assert (reclaimed.last_error_code, reclaimed.last_error_message) == ("Throttled", "EventBridge said no")
    assert reclaimed.last_error == "Throttled: EventBridge said no"
    assert reclaimed.pending_shard == pending_shard("o-1")


def test_unclaim_gives_the_record_back_without_counting_an_attempt(
    outbox: tuple[OutboxRepository, Seed],
) -> None:
    # Given a claimed record
    repository, seed = outbox
    record = _record("o-1")
    seed(record)
    repository.claim(record.key, TOKEN, NOW, 60)
    # When unclaimed / Then anyone can claim it immediately, no attempt counted
    assert repository.unclaim(record.key, TOKEN)
    again = repository.claim(record.key, "execution-2", NOW, 60)
    assert again is not None and again.attempts == 0


def test_the_sweep_finds_only_stale_unpublished_records_oldest_first(
    outbox: tuple[OutboxRepository, Seed],
) -> None:
    # Given records: stale pending, stale with an expired claim, fresh pending, stale published
    repository, seed = outbox
    cutoff = NOW - timedelta(minutes=2)
    stale = _record("o-stale", created=NOW - timedelta(minutes=10))
    stuck = _record(
        "o-stuck",
        created=NOW - timedelta(minutes=20),
        status="PUBLISHING",
        claim_token="dead",
        claim_expires_at=_epoch(NOW) - 600,
    )
    fresh = _record("o-fresh", created=NOW - timedelta(seconds=30))
    published = _record("o-done", created=NOW - timedelta(minutes=30), status="PUBLISHED", pending_shard=None)
    for record in (stale, stuck, fresh, published):
        seed(record)
    # When swept with a 2-minute minimum age
    found = repository.find_stale(cutoff, 10)
    # Then only the stale unpublished records come back, oldest first
    assert found == [stuck.key, stale.key]


def test_the_sweep_limit_applies_across_shards(outbox: tuple[OutboxRepository, Seed]) -> None:
    # Given 12 stale records spread over the shards
    repository, seed = outbox
    records = [_record(f"o-{i:02d}", created=NOW - timedelta(minutes=60 - i)) for i in range(12)]
    assert len({record.pending_shard for record in records}) > 1
    for record in records:
        seed(record)
    # When swept with a limit of 5 / Then the 5 oldest come back
    assert repository.find_stale(NOW, 5) == [record.key for record in records[:5]]
