"""The layout of a SKU's stock over shards (`order_saga.stock`)."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from order_saga.stock import first_shard, split, stock_items, stock_pk, take_from, totals


def test_an_unsharded_sku_keeps_its_one_item() -> None:
    assert stock_items("SKU-1", 7) == [{"pk": "SKU#SKU-1", "sku": "SKU-1", "available": 7}]


def test_a_sharded_sku_records_its_count_on_its_own_item_and_splits_its_stock() -> None:
    items = stock_items("SKU-1", 10, 4)
    assert [i["pk"] for i in items] == [
        "SKU#SKU-1",
        "SKU#SKU-1#SHARD#1",
        "SKU#SKU-1#SHARD#2",
        "SKU#SKU-1#SHARD#3",
    ]
    assert [i["available"] for i in items] == [3, 3, 2, 2]
    assert items[0]["shards"] == 4
    assert totals(items) == {"SKU-1": 10}


def test_an_order_starts_at_the_same_shard_every_time_and_orders_spread_evenly() -> None:
    assert first_shard("order-1", "SKU-1", 4) == first_shard("order-1", "SKU-1", 4)
    assert first_shard("order-1", "SKU-1", 1) == 0
    spread = Counter(first_shard(f"order-{n}", "SKU-1", 4) for n in range(4000))
    assert set(spread) == {0, 1, 2, 3}
    assert max(spread.values()) < 1.15 * min(spread.values())


@given(st.dictionaries(st.integers(0, 7), st.integers(0, 20), min_size=1), st.integers(1, 60))
def test_a_split_takes_the_quantity_exactly_and_never_more_than_a_shard_holds(
    levels: dict[int, int], quantity: int
) -> None:
    taken = take_from(levels, quantity)
    if sum(levels.values()) < quantity:
        assert taken == {}
    else:
        assert sum(taken.values()) == quantity
        assert all(0 < part <= levels[shard] for shard, part in taken.items())


def test_a_sku_has_at_least_one_shard() -> None:
    with pytest.raises(ValueError):
        split(3, 0)
    assert stock_pk("S", 0) == "SKU#S"
