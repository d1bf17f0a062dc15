"""Key builders for the single order table.

Every key string is built here and nowhere else, so the table layout can be read in one place:
an order is ``ORDER#<id>`` / ``ORDER``; its outbox records share the partition and sort by
sequence (``OUTBOX#0000000001``), which keeps an aggregate's events in order and lets one
transaction touch the order and its next event. The order saga's idempotency lock is
``ORDER#<id>`` / ``SAGA``: next to the order it guards, never in the outbox's way.
"""

import hashlib

ORDER_PK_PREFIX = "ORDER#"
ORDER_SK = "ORDER"
OUTBOX_SK_PREFIX = "OUTBOX#"
SAGA_SK = "SAGA"
ORDER_RECORD_TYPE = "ORDER"
OUTBOX_RECORD_TYPE = "OUTBOX"
SAGA_RECORD_TYPE = "SAGA"

PENDING_OUTBOX_INDEX = "PendingOutbox"
"""Sparse GSI (pendingShard, createdAt): holds only outbox records that are not yet published."""

PENDING_SHARD_COUNT = 4
"""Unpublished records are spread over a few GSI partitions so no single index key gets hot."""

_SEQUENCE_WIDTH = 10


def order_pk(order_id: str) -> str:
    """Partition key shared by an order and all of its outbox records."""
    return f"{ORDER_PK_PREFIX}{order_id}"


def outbox_sk(sequence: int) -> str:
    """Zero-padded so the sort key orders an aggregate's events by sequence."""
    if not 1 <= sequence < 10**_SEQUENCE_WIDTH:
        raise ValueError(f"outbox sequence out of range: {sequence}")
    return f"{OUTBOX_SK_PREFIX}{sequence:0{_SEQUENCE_WIDTH}d}"


def pending_shard(aggregate_id: str) -> str:
    """The GSI partition of an unpublished record.

    Derived from a stable hash (not Python's salted ``hash``) so every process, and every
    re-write of the same aggregate, picks the same shard.
    """
    digest = hashlib.sha256(aggregate_id.encode("utf-8")).digest()
    return f"PENDING#{digest[0] % PENDING_SHARD_COUNT}"


def pending_shards() -> tuple[str, ...]:
    """Every shard a sweep has to query."""
    return tuple(f"PENDING#{index}" for index in range(PENDING_SHARD_COUNT))
