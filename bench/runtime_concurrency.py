"""What atomic storage and concurrency cost, and what a burst at a concurrency limit does.

Storage lock: the same DynamoDB requests (PutItem, conditional UpdateItem, GetItem) through a
running app, with the lock and with it switched off (moto as shipped), from one thread and from
8 threads at once; and the bare acquire/release of the lock. The difference per request is the
lock's cost.

Throttled burst: N orders placed at once on an app whose functions run at most C invocations
each: how many invocations Lambda throttled (each absorbed by the Retry of the task that made
it), how the orders ended (by their business rule, or parked with their message: nothing may
be lost), and the virtual time the burst took to drain.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import timeit
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from demo.customers import post_order
from demo.inventory import seed_stock
from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp, storage

STORAGE_TITLE = (
    "Atomic storage: microseconds per DynamoDB request through a running app, with the storage lock"
    " and without it (moto as shipped); 3 runs of 600 requests per thread, median"
)
STORAGE_HEADERS = ["request mix", "threads", "with lock us", "without us", "lock cost us", "contended"]
BURST_TITLE = (
    "Orders placed at once at a concurrency limit (every function at most C invocations at once):"
    " throttles absorbed by the tasks' Retry, how the orders ended, virtual time to drain"
)
BURST_HEADERS = ["orders", "C", "throttled calls", "confirmed", "other end", "parked", "virtual s", "wall s"]
_REQUESTS = 600


def _requests(app: LocalApp, table: str, thread: int) -> Callable[[], None]:
    dynamodb = app.client("dynamodb")

    def run() -> None:
        for n in range(_REQUESTS // 3):
            key = {"pk": {"S": f"bench-{thread}-{n}"}, "sk": {"S": "ITEM"}}
            dynamodb.put_item(TableName=table, Item={**key, "count": {"N": "0"}})
            dynamodb.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET #c = #c + :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#c": "count"},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
            dynamodb.get_item(TableName=table, Key=key)

    return run


def _per_request_us(app: LocalApp, table: str, threads: int) -> float:
    runs = []
    for _ in range(3):
        workers = [threading.Thread(target=_requests(app, table, n)) for n in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        runs.append((time.perf_counter() - started) / (_REQUESTS * threads) * 1e6)
    return statistics.median(runs)


def measure_storage(assembly: Path) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    with LocalApp(assembly, log_level="WARNING") as app:
        table = app.output("OrdersTableName")
        for threads in (1, 8):
            storage.STATS.reset()
            locked = _per_request_us(app, table, threads)
            contended = storage.STATS.contended / max(storage.STATS.requests, 1)
            with storage.disabled():
                unlocked = _per_request_us(app, table, threads)
            rows.append(
                (
                    "PutItem + UpdateItem + GetItem",
                    threads,
                    locked,
                    unlocked,
                    locked - unlocked,
                    f"{contended:.0%}",
                )
            )
    bare = min(timeit.repeat(_acquire_release, number=100_000, repeat=5)) / 100_000 * 1e6
    rows.append(("the lock alone (acquire + release)", 1, bare, 0.0, bare, "0%"))
    return rows


def _acquire_release() -> None:
    with storage.atomic():
        pass


def _burst(assembly: Path, sample: dict[str, Any], orders: int, concurrency: int) -> tuple[Any, ...]:
    started = time.perf_counter()
    with LocalApp(assembly, log_level="ERROR", concurrency=concurrency) as app:
        seed_stock(app, {line["sku"]: 1_000_000 for line in sample["items"]})
        app.add_party(PaymentProvider(app, answer_after=timedelta(seconds=2)))
        placed_at = app.now()
        for n in range(orders):
            response = post_order(app, {**sample, "customerId": f"burst-{n}"})
            assert response.status == 201, response.body
        app.drain(timeout=3600)
        table = app.client("dynamodb")
        scanned = table.get_paginator("scan").paginate(TableName=app.output("OrdersTableName"))
        statuses = Counter(
            item["status"]["S"]
            for page in scanned
            for item in page["Items"]
            if item.get("recordType", {}).get("S") == "ORDER"
        )
        parked = sum(
            len(app.receive_all(app.output(queue)))
            for queue in ("WorkflowFailuresQueueUrl", "ClaimWorkflowFailuresQueueUrl")
        )
        other = {status: count for status, count in statuses.items() if status != "CONFIRMED"}
        return (
            orders,
            concurrency,
            sum(app.lambdas.throttles.values()),
            statuses.get("CONFIRMED", 0),
            json.dumps(other) if other else "-",
            parked,
            (app.now() - placed_at).total_seconds(),
            time.perf_counter() - started,
        )


def measure_burst(
    assembly: Path, sample: dict[str, Any], runs: tuple[tuple[int, int], ...] = ((100, 2), (200, 1))
) -> list[tuple[Any, ...]]:
    return [_burst(assembly, sample, orders, concurrency) for orders, concurrency in runs]
