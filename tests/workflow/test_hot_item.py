"""The hot item on the platform: a best seller's stock item takes about 1,000 write units a
second on AWS; beyond it DynamoDB throttles. A throttled reservation is a transient failure the
saga retries, never a shortage; a sharded best seller spreads its orders over its shards; and
racing orders never oversell a sharded SKU."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.inventory import inventory_items
from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from order_saga.stock import stock_pk
from tests.workflow.saga_helpers import (
    order_for,
    order_status,
    race_reservations,
    reservations,
    seed_stock,
    start_order,
    stock,
)

pytestmark = pytest.mark.workflow

KETTLE, MUG = "SKU-KETTLE-01", "SKU-MUG-02"


@pytest.fixture
def platform(assembly_dir: Path) -> Iterator[LocalApp]:
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        app.add_party(PaymentProvider(app))
        yield app


def test_reservations_beyond_a_hot_items_write_rate_are_throttled_retried_and_all_confirmed(
    platform: LocalApp, sample_order: dict[str, Any]
) -> None:
    app = platform
    # Given a stock item that takes one reservation a second (2 write units: a transaction's)
    seed_stock(app, {KETTLE: 10, MUG: 40})
    quota = app.quotas.limit_key_writes(per_second=2)
    # When four orders of it arrive at once
    placed = [start_order(app, order_for(sample_order)) for _ in range(4)]
    app.drain()
    # Then reservations were throttled, retried by the saga as the transient failure they are,
    # and every order was confirmed: none was cancelled as out of stock
    assert quota.throttled > 0
    assert [order_status(app, order_id)["status"] for order_id in placed] == ["CONFIRMED"] * 4
    assert stock(app) == {KETTLE: 6, MUG: 24}


def test_racing_orders_never_oversell_a_sharded_best_seller(
    platform: LocalApp, sample_order: dict[str, Any]
) -> None:
    app = platform
    # Given 2 kettles over 2 shards (one each) and 3 orders of one kettle, their reservations
    # meeting at once
    seed_stock(app, {KETTLE: 2, MUG: 40}, shards={KETTLE: 2})
    race = race_reservations(app, parties=3)
    placed = [start_order(app, order_for(sample_order)) for _ in range(3)]
    app.drain()
    assert race.released, "the three reservations reached the inventory at once"
    # Then two orders got the two kettles, wherever their shards were; one was cancelled for
    # want of stock; no shard went below zero
    statuses = sorted(order_status(app, order_id)["status"] for order_id in placed)
    assert statuses == ["CANCELLED", "CONFIRMED", "CONFIRMED"]
    assert stock(app)[KETTLE] == 0
    shards = {
        i["pk"]: int(i["available"]) for i in inventory_items(app) if i["pk"].startswith(stock_pk(KETTLE))
    }
    assert shards == {stock_pk(KETTLE, 0): 0, stock_pk(KETTLE, 1): 0}
    assert len(reservations(app)) == 2
