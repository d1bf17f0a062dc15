"""Stock on a running app: put a SKU's stock (sharded or not) and read every SKU's total.

The demo, the benches and the workflow tests all seed stock; they do it here, through the
saga's own layout (`order_saga.stock`), so a change of layout is made once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from local_runtime import LocalApp
from order_saga.stock import stock_items, totals

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def seed_stock(app: LocalApp, stock: Mapping[str, int], shards: Mapping[str, int] | None = None) -> None:
    """Put each SKU's stock, split over ``shards[sku]`` items (1: one item, the default)."""
    table = app.output("InventoryTableName")
    dynamodb = app.client("dynamodb")
    for sku, available in stock.items():
        for item in stock_items(sku, available, (shards or {}).get(sku, 1)):
            dynamodb.put_item(TableName=table, Item={k: _serializer.serialize(v) for k, v in item.items()})


def inventory_items(app: LocalApp) -> list[dict[str, Any]]:
    """Every item of the inventory table, as plain values."""
    pages = app.client("dynamodb").get_paginator("scan").paginate(TableName=app.output("InventoryTableName"))
    return [
        {k: _deserializer.deserialize(v) for k, v in item.items()}
        for item in pages.build_full_result()["Items"]
    ]


def stock_levels(app: LocalApp) -> dict[str, int]:
    """Each SKU's stock: the sum of its shards."""
    return totals(inventory_items(app))
