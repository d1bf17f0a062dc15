"""Every AWS request applies atomically against every other, as DynamoDB's do.

Threads switching every microsecond race conditional writes on one counter and on the same keys;
nothing is lost and no key has two owners. Without the storage lock (moto as shipped) the same
race, staged so the parties meet inside storage, loses updates and makes two owners.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalApp, moto_patches, storage

THREADS = 8


@contextmanager
def _preemptive(interval: float = 1e-6) -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _in_threads(work: Callable[[int], int], threads: int = THREADS) -> int:
    """Run `work(n)` in `threads` threads at once; the sum of what they return."""
    results = [0] * threads
    start = threading.Barrier(threads)

    def run(n: int) -> None:
        start.wait()
        results[n] = work(n)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(results)


def _take_units(app: LocalApp, table: str, attempts: int) -> Callable[[int], int]:
    dynamodb = app.client("dynamodb")

    def work(_: int) -> int:
        taken = 0
        for _ in range(attempts):
            try:
                dynamodb.update_item(
                    TableName=table,
                    Key={"pk": {"S": "counter"}},
                    UpdateExpression="SET available = available - :one",
                    ConditionExpression="available >= :one",
                    ExpressionAttributeValues={":one": {"N": "1"}},
                )
                taken += 1
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
        return taken

    return work


def _claim_keys(app: LocalApp, table: str, keys: int) -> Callable[[int], int]:
    dynamodb = app.client("dynamodb")

    def work(n: int) -> int:
        owned = 0
        for key in range(keys):
            try:
                dynamodb.put_item(
                    TableName=table,
                    Item={"pk": {"S": f"lock-{key}"}, "owner": {"S": f"thread-{n}"}},
                    ConditionExpression="attribute_not_exists(pk)",
                )
                owned += 1
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
        return owned

    return work


def _available(app: LocalApp, table: str) -> int:
    item = app.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "counter"}})["Item"]
    return int(item["available"]["N"])


def _stock(app: LocalApp, table: str, units: int) -> None:
    app.client("dynamodb").put_item(
        TableName=table, Item={"pk": {"S": "counter"}, "available": {"N": str(units)}}
    )


def test_racing_conditional_updates_lose_no_update(tiny_app: LocalApp) -> None:
    # Given a counter of 100 units and 8 threads each trying to take 25 (200 attempts)
    table = tiny_app.table_name("Tiny/Table")
    _stock(tiny_app, table, 100)
    # When they race, switching every microsecond
    with _preemptive():
        taken = _in_threads(_take_units(tiny_app, table, attempts=25))
    # Then exactly the 100 units were taken, every success is on the counter, and none is negative
    assert taken == 100
    assert _available(tiny_app, table) == 0


def test_racing_conditional_puts_give_each_key_one_owner(tiny_app: LocalApp) -> None:
    # Given 8 threads each claiming the same 30 keys only if nobody has
    table = tiny_app.table_name("Tiny/Table")
    with _preemptive():
        owned = _in_threads(_claim_keys(tiny_app, table, keys=30))
    # Then every key was won exactly once
    assert owned == 30


def test_storage_counts_requests_and_contention(tiny_app: LocalApp) -> None:
    table = tiny_app.table_name("Tiny/Table")
    _stock(tiny_app, table, 40)
    storage.STATS.reset()
    with _preemptive():
        _in_threads(_take_units(tiny_app, table, attempts=10))
    assert storage.STATS.requests >= 80
    assert 0 <= storage.STATS.contended <= storage.STATS.requests


@pytest.fixture
def without_atomic_storage(tiny_app: LocalApp) -> Iterator[LocalApp]:
    with moto_patches.without("storage_lock"):
        yield tiny_app


def test_without_the_patch_a_counter_is_overdrawn(without_atomic_storage: LocalApp) -> None:
    # Given 4 units, and 8 threads whose updates are staged to meet inside storage
    app = without_atomic_storage
    table = app.table_name("Tiny/Table")
    _stock(app, table, 4)
    race = app.races.gather("dynamodb", "UpdateItem", target=table, parties=THREADS)
    # When the 8 threads take one unit each, at once
    taken = _in_threads(_take_units(app, table, attempts=1))
    # Then every update passed its `available >= 1` check: 8 units taken out of 4
    assert race.released
    assert taken == THREADS
    assert _available(app, table) == 4 - THREADS


def test_without_the_patch_a_key_gets_two_owners(without_atomic_storage: LocalApp) -> None:
    app = without_atomic_storage
    table = app.table_name("Tiny/Table")
    race = app.races.gather("dynamodb", "PutItem", target=table, parties=2)
    owned = _in_threads(_claim_keys(app, table, keys=1), threads=2)
    assert race.released
    assert owned == 2


def test_with_the_lock_the_staged_race_has_one_winner(tiny_app: LocalApp) -> None:
    # The same staged race as above, on atomic storage: the parties apply one after another
    table = tiny_app.table_name("Tiny/Table")
    _stock(tiny_app, table, 4)
    race = tiny_app.races.gather("dynamodb", "UpdateItem", target=table, parties=THREADS)
    taken = _in_threads(_take_units(tiny_app, table, attempts=1))
    assert race.released
    assert taken == 4
    assert _available(tiny_app, table) == 0
