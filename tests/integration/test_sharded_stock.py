"""A best seller's stock split over shards (the hot item): reservations take from one shard,
move to another when theirs is short, take from several when no single one holds the quantity,
and give back where they took; the SKU is never oversold and never refused while it has stock."""

from typing import Any

import pytest

from dynamo_tables import from_item, to_item
from order_saga.dynamodb import DynamoInventory
from order_saga.errors import OutOfStock
from order_saga.models import Reservation, ReservedLine
from order_saga.stock import first_shard, stock_items, stock_pk, totals
from tests.unit.samples import NOW

HOT = "SKU-HOT"


def _seed(dynamodb: Any, table: str, sku: str, levels: list[int]) -> None:
    """One shard per level (the first is the SKU's own item and records the count)."""
    for item in stock_items(sku, 0, len(levels)):
        shard = levels[int(item["pk"].rsplit("#", 1)[-1]) if "#SHARD#" in item["pk"] else 0]
        dynamodb.put_item(TableName=table, Item=to_item({**item, "available": shard}))


def _levels(dynamodb: Any, table: str, sku: str, shards: int) -> list[int]:
    return [
        int(
            from_item(dynamodb.get_item(TableName=table, Key=to_item({"pk": stock_pk(sku, n)}))["Item"])[
                "available"
            ]
        )
        for n in range(shards)
    ]


def _reservation(order_id: str, quantity: int, sku: str = HOT) -> Reservation:
    return Reservation(
        reservation_id=f"r-{order_id}",
        order_id=order_id,
        lines=[ReservedLine(sku=sku, quantity=quantity)],
        status="RESERVED",
        reserved_at="2026-12-03T10:00:00.000Z",
    )


def _order_starting_at(shard: int, shards: int) -> str:
    return next(f"o-{n}" for n in range(1000) if first_shard(f"o-{n}", HOT, shards) == shard)


@pytest.fixture
def inventory(dynamodb: Any, inventory_table: str) -> DynamoInventory:
    return DynamoInventory(inventory_table, dynamodb)


def test_an_order_takes_from_its_own_shard_and_gives_back_there(
    dynamodb: Any, inventory_table: str, inventory: DynamoInventory
) -> None:
    _seed(dynamodb, inventory_table, HOT, [5, 5, 5, 5])
    order = _order_starting_at(2, 4)
    assert inventory.reserve(_reservation(order, 3))
    assert _levels(dynamodb, inventory_table, HOT, 4) == [5, 5, 2, 5]
    # a retried reservation finds the first one and takes nothing more
    assert not inventory.reserve(_reservation(order, 3))
    assert _levels(dynamodb, inventory_table, HOT, 4) == [5, 5, 2, 5]
    reservation = inventory.get_reservation(order)
    assert reservation is not None
    assert inventory.release(reservation, NOW)
    assert _levels(dynamodb, inventory_table, HOT, 4) == [5, 5, 5, 5]


def test_a_short_shard_sends_the_order_to_the_next_one(
    dynamodb: Any, inventory_table: str, inventory: DynamoInventory
) -> None:
    _seed(dynamodb, inventory_table, HOT, [4, 0, 4])
    order = _order_starting_at(1, 3)
    assert inventory.reserve(_reservation(order, 2))
    assert _levels(dynamodb, inventory_table, HOT, 3) == [4, 0, 2]


def test_a_quantity_no_single_shard_holds_is_taken_from_several_and_returned_to_them(
    dynamodb: Any, inventory_table: str, inventory: DynamoInventory
) -> None:
    _seed(dynamodb, inventory_table, HOT, [1, 2, 3])
    order = _order_starting_at(0, 3)
    assert inventory.reserve(_reservation(order, 6))
    assert _levels(dynamodb, inventory_table, HOT, 3) == [0, 0, 0]
    reservation = inventory.get_reservation(order)
    assert reservation is not None
    assert inventory.release(reservation, NOW)
    assert _levels(dynamodb, inventory_table, HOT, 3) == [1, 2, 3]


def test_a_sharded_sku_short_in_total_is_out_of_stock_and_nothing_is_taken(
    dynamodb: Any, inventory_table: str, inventory: DynamoInventory
) -> None:
    _seed(dynamodb, inventory_table, HOT, [1, 2, 3])
    with pytest.raises(OutOfStock) as short:
        inventory.reserve(_reservation("o-greedy", 7))
    assert short.value.skus == [HOT]
    assert _levels(dynamodb, inventory_table, HOT, 3) == [1, 2, 3]
    assert inventory.get_reservation("o-greedy") is None


def test_orders_drain_a_sharded_sku_to_exactly_zero(
    dynamodb: Any, inventory_table: str, inventory: DynamoInventory
) -> None:
    # Given 10 units over 4 shards (3, 3, 2, 2) and 14 orders of one unit
    for item in stock_items(HOT, 10, 4):
        dynamodb.put_item(TableName=inventory_table, Item=to_item(item))
    served, refused = 0, 0
    for n in range(14):
        try:
            served += inventory.reserve(_reservation(f"o-{n}", 1))
        except OutOfStock:
            refused += 1
    # Then exactly the stock was sold: no order refused while a unit was left, none oversold
    assert (served, refused) == (10, 4)
    assert _levels(dynamodb, inventory_table, HOT, 4) == [0, 0, 0, 0]
    items = [from_item(i) for i in dynamodb.scan(TableName=inventory_table)["Items"]]
    assert totals(items) == {HOT: 0}
