"""A failed TransactWriteItems undoes exactly what it wrote, stream records included.

moto restores a deep copy of every table the transaction touched, taken before it started: a
write another request made meanwhile (its item, its stream record) vanishes with the restore.
The runtime snapshots only the transaction's own items and appends its stream records only when
it commits, so a failed transaction leaves no record and takes nothing of anyone else's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from local_runtime import LocalApp, moto_patches, storage


def _stream(app: LocalApp, table: str) -> list[dict[str, Any]]:
    shard = dynamodb_backends[app.account][app.region].get_table(table).stream_shard
    return [record.to_json() for record in shard.items]


def _keys(records: list[dict[str, Any]]) -> list[str]:
    return [record["dynamodb"]["Keys"]["pk"]["S"] for record in records]


@pytest.fixture
def writer_meanwhile(tiny_app: LocalApp, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """While a transaction writes its first item, another thread puts an item of its own (storage
    switched off, so the other request can land mid-transaction as it could in moto as shipped)."""
    table = tiny_app.table_name("Tiny/Table")
    done: list[str] = []
    original = Table.put_item

    def put_item(self: Table, *args: Any, **kwargs: Any) -> Any:
        written = original(self, *args, **kwargs)
        if not done and args and args[0].get("pk", {}).get("S") == "tx-1":
            done.append("other")
            other = threading.Thread(
                target=lambda: tiny_app.client("dynamodb").put_item(
                    TableName=table, Item={"pk": {"S": "other"}}
                )
            )
            other.start()
            other.join()
        return written

    monkeypatch.setattr(Table, "put_item", put_item)
    with storage.disabled():
        yield done


def _failing_transaction(app: LocalApp) -> None:
    table = app.table_name("Tiny/Table")
    app.client("dynamodb").put_item(TableName=table, Item={"pk": {"S": "taken"}})
    with pytest.raises(ClientError, match="TransactionCanceled"):
        app.client("dynamodb").transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "tx-1"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "taken"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )


def test_a_failed_transaction_leaves_no_stream_record_and_nobody_elses_write_is_lost(
    tiny_app: LocalApp, writer_meanwhile: list[str]
) -> None:
    table = tiny_app.table_name("Tiny/Table")
    _failing_transaction(tiny_app)
    assert writer_meanwhile == ["other"]
    # The transaction wrote nothing (its first put undone) and appended no stream record
    dynamodb = tiny_app.client("dynamodb")
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "tx-1"}})
    # The other request's item and its stream record are there
    assert "Item" in dynamodb.get_item(TableName=table, Key={"pk": {"S": "other"}})
    assert _keys(_stream(tiny_app, table)) == ["taken", "other"]


def test_without_the_patch_a_failed_transaction_takes_another_requests_write_with_it(
    tiny_app: LocalApp, writer_meanwhile: list[str]
) -> None:
    table = tiny_app.table_name("Tiny/Table")
    with moto_patches.without("transact_write_items"):
        _failing_transaction(tiny_app)
    assert writer_meanwhile == ["other"]
    dynamodb = tiny_app.client("dynamodb")
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "other"}})
    assert "other" not in _keys(_stream(tiny_app, table))


def test_a_committed_transaction_appends_its_records_in_order(tiny_app: LocalApp) -> None:
    table = tiny_app.table_name("Tiny/Table")
    tiny_app.client("dynamodb").transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": f"t-{n}"}}}} for n in range(3)]
    )
    assert _keys(_stream(tiny_app, table)) == ["t-0", "t-1", "t-2"]
