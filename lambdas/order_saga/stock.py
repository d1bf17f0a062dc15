"""Where a SKU's stock lives: one item, or shards of it for a best seller (the hot item).

Every reservation of a SKU writes the item that holds its stock. DynamoDB takes about 1,000
write units a second on one partition key, and a reservation is a transactional write (two
units), so one item caps a SKU at 500 reservations a second, 250 when each is released again.
A best seller's stock is therefore split over ``shards`` items, and the cap rises with them:

- ``SKU#<sku>``: the SKU's own item ({sku, available}), shard 0. It says how many shards there
  are (``shards``; absent means 1, the layout of every SKU that is not sharded).
- ``SKU#<sku>#SHARD#<n>`` for n = 1 .. shards - 1: the other shards ({sku, available}).

The stock of a SKU is the sum of its shards' ``available``. Each shard is decremented under its
own condition (``available >= quantity``), so no shard goes below zero and the SKU is never
oversold. An order starts at a shard chosen by a hash of its id (the same on every retry, and
spread evenly over a burst); a reservation that one shard cannot serve tries the others, and
takes its quantity from several shards only when no single one holds enough.

Why shards rather than batched reservations: a shard costs nothing per order (the same one
transaction, no waiting for a batch to fill) and lifts the cap by its count; a batcher would
add a single writer per SKU, a batching delay to every order, and a queue to operate.
"""

from collections.abc import Iterable, Mapping
from hashlib import sha256
from typing import Any

_SHARD = "#SHARD#"
SKU_PREFIX = "SKU#"


def stock_pk(sku: str, shard: int = 0) -> str:
    """The key of one shard of a SKU's stock (shard 0 is the SKU's own item)."""
    return f"{SKU_PREFIX}{sku}" if shard == 0 else f"{SKU_PREFIX}{sku}{_SHARD}{shard}"


def first_shard(order_id: str, sku: str, shards: int) -> int:
    """The shard an order's reservation of a SKU tries first: stable for the order (a retry
    meets the same item), uniform over orders."""
    if shards <= 1:
        return 0
    digest = sha256(f"{order_id}/{sku}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards


def split(quantity: int, shards: int) -> list[int]:
    """``quantity`` spread over ``shards`` as evenly as whole units allow (the first take the
    remainder)."""
    if shards < 1:
        raise ValueError("a SKU has at least one shard")
    base, extra = divmod(quantity, shards)
    return [base + (1 if n < extra else 0) for n in range(shards)]


def take_from(levels: Mapping[int, int], quantity: int) -> dict[int, int]:
    """Which shards give how much of ``quantity``, fullest first (fewest items written); empty
    when all of them together hold less."""
    if sum(max(0, level) for level in levels.values()) < quantity:
        return {}
    taken: dict[int, int] = {}
    for shard, level in sorted(levels.items(), key=lambda entry: (-entry[1], entry[0])):
        if quantity == 0:
            break
        part = min(level, quantity)
        if part > 0:
            taken[shard] = part
            quantity -= part
    return taken


def stock_items(sku: str, available: int, shards: int = 1) -> list[dict[str, Any]]:
    """The items that hold ``available`` units of a SKU over ``shards`` shards (plain values)."""
    parts = split(available, shards)
    items: list[dict[str, Any]] = []
    for shard, part in enumerate(parts):
        item: dict[str, Any] = {"pk": stock_pk(sku, shard), "sku": sku, "available": part}
        if shard == 0 and shards > 1:
            item["shards"] = shards
        items.append(item)
    return items


def is_stock_item(pk: str) -> bool:
    return pk.startswith(SKU_PREFIX)


def totals(items: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Each SKU's stock from the inventory's items (plain values): its shards' sum."""
    total: dict[str, int] = {}
    for item in items:
        if is_stock_item(str(item.get("pk", ""))):
            sku = str(item["sku"])
            total[sku] = total.get(sku, 0) + int(item["available"])
    return total
