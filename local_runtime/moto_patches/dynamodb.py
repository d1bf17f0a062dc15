"""DynamoDB: transactions that roll back only what they wrote, and stream records the runtime sees.

Each patch is declared with its gap in `PATCHES`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any, cast

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard, Table

from local_runtime.moto_patches.declare import Applied, Gap, Patch, Replace, node
from local_runtime.moto_patches.source_writes import report_write

SERVICE = "dynamodb"
_GAP_TESTS = "tests/local_runtime/test_patch_gaps.py"

_transaction = threading.local()

STREAM_RECORDS = Replace(
    "add_stream_record",
    SERVICE,
    StreamShard,
    "add",
    (
        Gap(
            "a stream record tells no one (a pipe reading the stream could only poll in real time)",
            node(_GAP_TESTS, "test_without_the_patch_a_stream_record_tells_no_one"),
        ),
    ),
)


@STREAM_RECORDS.by
def _add_stream_record(self: StreamShard, old: Any, new: Any) -> Any:
    pending: list[tuple[StreamShard, Any, Any]] | None = getattr(_transaction, "stream_records", None)
    if pending is not None:
        pending.append((self, old, new))  # a transaction's records appear when it commits
        return None
    result = STREAM_RECORDS.original(self, old, new)
    report_write(self.table.name)
    return result


def _table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
    """Inside a patched transaction a table's "backup" is the table itself (the transaction keeps
    its own, narrower snapshot); anywhere else, a deep copy as before."""
    if getattr(_transaction, "active", False):
        return self
    clone = cast(Table, self.__class__.__new__(self.__class__))
    memo[id(self)] = clone
    for name, value in self.__dict__.items():
        setattr(clone, name, copy.deepcopy(value, memo))
    return clone


_shipped_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """TransactWriteItems that rolls back exactly what it wrote. moto deep-copies every table it
    touches (items and the whole stream) and restores the copies on failure: a cost as big as the
    tables, and a write another request made meanwhile (a stream record appended by another
    thread) vanishes with the restore. Here the transaction snapshots only the items it names and
    restores those; its stream records are held back and appended when it commits, in order, so
    a failed transaction leaves no record and never touches another request's."""
    snapshots: list[tuple[Table, Any, Any, Any]] = []
    for entry in transact_items:
        op: dict[str, Any] = next(iter(entry.values()), {}) if isinstance(entry, dict) else {}
        table = self.tables.get(str(op.get("TableName"))) if isinstance(op, dict) else None
        if table is None:
            continue
        try:
            keys = op.get("Key") or {
                name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name
            }
            hash_key, range_key = self.get_keys_value(table, keys)
            current = table.get_item(hash_key, range_key)
        except Exception:  # noqa: BLE001 - an invalid request: the original raises the right error
            continue
        snapshots.append((table, hash_key, range_key, copy.deepcopy(current)))
    _transaction.active = True
    _transaction.stream_records = []
    try:
        _shipped_transact_write_items(self, transact_items)
    except Exception:
        for table, hash_key, range_key, before in reversed(snapshots):
            if before is None:
                (table.items[hash_key] if range_key else table.items).pop(range_key or hash_key, None)
            elif range_key:
                table.items[hash_key][range_key] = before
            else:
                table.items[hash_key] = before
        raise
    else:
        committed = _transaction.stream_records
        _transaction.stream_records = None
        for shard, old, new in committed:
            _add_stream_record(shard, old, new)
    finally:
        _transaction.active = False
        _transaction.stream_records = None


def _narrow_transactions() -> Callable[[], None]:
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    Table.__deepcopy__ = _table_deepcopy  # type: ignore[attr-defined]

    def undo() -> None:
        DynamoDBBackend.transact_write_items = _shipped_transact_write_items  # type: ignore[method-assign]
        del Table.__deepcopy__  # type: ignore[attr-defined]

    return undo


TRANSACTIONS = Applied(
    "transact_write_items",
    SERVICE,
    _narrow_transactions,
    (
        Gap(
            "a failed transaction rolls back by restoring copies, taking another request's write with it",
            node(
                "tests/local_runtime/test_transactions.py",
                "test_without_the_patch_a_failed_transaction_takes_another_requests_write_with_it",
            ),
        ),
    ),
)

PATCHES: tuple[Patch, ...] = (TRANSACTIONS, STREAM_RECORDS)
