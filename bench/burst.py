"""A burst beyond the stack's limit, played on the virtual clock with AWS's quotas on (issue 22).

`python -m bench.burst [ORDERS] [--window SECONDS]` (`make burst`: 5,000 orders over 10 virtual
minutes). The orders arrive through the API at three times the rate the capacity model allows.
AWS's quotas are those of `bench/aws_limits.json`, every one scaled by the same factor so the
model's limit is ORDERS / WINDOW / 3 orders a second: the same shape of system (which quota
binds, how far the others are), small enough for a laptop to play in minutes rather than hours.

Enforced on the runtime (`local_runtime.quotas`): the Standard StartExecution bucket on the saga,
the Express start rate on the outbox publisher, PutEvents, and DynamoDB's per-key write rate, with
the best seller's stock over `SHARDS` shards. Not enforced, and shown as the model computes them:
Lambda concurrency (a handler's run takes no virtual time here, so concurrency cannot bind in
virtual time), state transitions, a table's on-demand ceiling and API Gateway's rate; none of
them binds before StartExecution at these figures, which the table shows.

What is checked and printed: every order ended by its business rule (confirmed while its stock
lasted and the provider authorized it; cancelled for a decline or a shortage), nothing oversold
(no shard below zero, the stock moved by exactly what was confirmed), every event on the bus once
(OrderPlaced, and one OrderConfirmed or OrderCancelled per order, none twice), every dead-letter
queue empty; the saga queue's peak depth and the time from the last arrival to the last saga's
end; the throttles; and the measured limit (saga starts per second while the queue was backed
up) against the model's.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bench.capacity import PATHS, REPO_ROOT, run_path
from bench.capacity_model import LIMITS, quotas
from bench.table import render
from demo.customers import post_order
from demo.inventory import inventory_items, seed_stock, stock_levels
from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp, storage
from local_runtime.moto_patches import backends
from order_saga.stock import stock_pk

OVERLOAD = 3.0
"""Arrivals at this multiple of the model's limit."""
DECLINED_SHARE = 0.1
"""One order in ten is priced above the provider's authorization limit (declined)."""
SHARDS = 4
"""The best seller's stock shards (the README's recommendation)."""
ENFORCED = ("Standard StartExecution", "Express StartExecution", "EventBridge PutEvents", "DynamoDB hot item")
"""The model's quotas the runtime enforces in this bench (see the module's docstring)."""
BEST_SELLER, SECOND = "SKU-KETTLE-01", "SKU-MUG-02"


@dataclass
class Run:
    """What the burst did, read from the app as it went."""

    placed: dict[str, str] = field(default_factory=dict)
    """order id -> "declined" or "normal"."""
    depth: list[tuple[float, int]] = field(default_factory=list)
    """(virtual second, saga queue depth) each second."""
    last_arrival: float = 0.0
    drained_at: float = 0.0
    wall_seconds: float = 0.0


def _mix_usage(results: dict[str, dict[str, Any]], limits: dict[str, Any]) -> dict[str, float]:
    """Per order of the bench's mix, what each quota is asked (the model's own usage functions)."""
    mix = {"fulfilled": 1 - DECLINED_SHARE, "declined": DECLINED_SHARE}
    return {
        quota.name: sum(share * quota.usage(results[path]) for path, share in mix.items())
        for quota in quotas(limits, SHARDS)
    }


def _scaled(limits: dict[str, Any], factor: float) -> dict[str, Any]:
    return {
        key: ({**entry, "value": entry["value"] * factor} if not key.startswith(("_", "price_")) else entry)
        for key, entry in limits.items()
    }


def modeled_limit(usage: dict[str, float], limits: dict[str, Any]) -> tuple[float, str]:
    """The lowest rate among the quotas, with its name."""
    rates = [
        (quota.per_second / usage[quota.name], quota.name)
        for quota in quotas(limits, SHARDS)
        if usage[quota.name]
    ]
    return min(rates)


def _quotas_on(app: LocalApp, limits: dict[str, Any]) -> None:
    value = lambda key: float(limits[key]["value"])  # noqa: E731 - a table of quotas reads better
    saga = app.output("OrderSagaStateMachineArn")
    outbox = app.output("OutboxPublisherStateMachineArn")
    app.quotas.limit(
        "stepfunctions",
        "StartExecution",
        value("sfn_standard_start_refill"),
        max(1.0, value("sfn_standard_start_bucket")),
        target=saga,
    )
    app.quotas.limit("stepfunctions", "StartExecution", value("sfn_express_start_rate"), target=outbox)
    app.quotas.limit("events", "PutEvents", value("eventbridge_putevents_tps"))
    app.quotas.limit_key_writes(max(2.0, value("dynamodb_partition_wcu")))


def _queue_depth(app: LocalApp, url: str) -> int:
    """Messages in a queue: waiting, in flight and delayed (what a backlog is)."""
    with storage.atomic():
        return backends.messages_held(app.account, app.region, url.rsplit("/", 1)[-1])


def _play(app: LocalApp, sample: dict[str, Any], orders: int, window: float, stock: dict[str, int]) -> Run:
    run = Run()
    queue = app.output("OrderSagaQueueUrl")
    saga = app.output("OrderSagaStateMachineArn")
    start = app.now()
    started = time.perf_counter()
    rate = orders / window
    due = 0.0
    second = 0
    while len(run.placed) < orders:
        due += rate
        while len(run.placed) < min(orders, math.floor(due + 1e-9)):
            n = len(run.placed)
            declined = (n % round(1 / DECLINED_SHARE)) == round(1 / DECLINED_SHARE) - 1
            order = PATHS["declined" if declined else "fulfilled"]({**sample, "customerId": f"burst-{n}"})
            response = post_order(app, order)
            if response.status != 201:
                raise RuntimeError(f"order {n} refused by the API: {response.status} {response.json()}")
            run.placed[str((response.json() or {})["orderId"])] = "declined" if declined else "normal"
        app.advance(timedelta(seconds=1))
        second += 1
        run.depth.append((float(second), _queue_depth(app, queue)))
        _progress(second, len(run.placed), run.depth[-1][1], started)
    run.last_arrival = (app.now() - start).total_seconds()
    while True:
        # (listing every execution costs as much as a few orders: only once the queue is empty,
        # and listed rather than described, one request per thousand)
        if run.depth[-1][1] == 0 and not app.parked_executions() and _sagas_ended(app, saga) >= orders:
            break
        app.advance(timedelta(seconds=1))
        second += 1
        run.depth.append((float(second), _queue_depth(app, queue)))
        _progress(second, len(run.placed), run.depth[-1][1], started)
        if second > 20 * window:
            raise RuntimeError(f"not drained after {second} virtual seconds")
    app.drain()
    run.drained_at = (app.now() - start).total_seconds()
    run.wall_seconds = time.perf_counter() - started
    return run


def _saga_list(app: LocalApp, saga: str) -> list[dict[str, Any]]:
    """The saga's executions as listed (status and start), without describing each one (a
    description finds its execution among all of them: thousands of descriptions are minutes)."""
    pages = app.client("stepfunctions").get_paginator("list_executions")
    result = pages.paginate(stateMachineArn=app.state_machine_arn(saga)).build_full_result()
    listed: list[dict[str, Any]] = result["executions"]
    return listed


def _sagas_ended(app: LocalApp, saga: str) -> int:
    return sum(1 for execution in _saga_list(app, saga) if execution["status"] != "RUNNING")


def _progress(second: int, placed: int, depth: int, started: float) -> None:
    """A line on stderr each virtual minute: the run takes minutes of wall time."""
    if second % 60 == 0:
        print(
            f"  {second:>5} virtual s: {placed} orders placed, {depth} in the saga queue"
            f" ({time.perf_counter() - started:,.0f} s of wall time,"
            f" peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB,"
            f" {threading.active_count()} threads)",
            file=sys.stderr,
            flush=True,
        )


def _measured_limit(app: LocalApp, run: Run) -> float:
    """Saga starts per virtual second while the queue was backed up (after the first minute, which
    the full StartExecution bucket serves faster, until the queue last held a backlog)."""
    saga = app.output("OrderSagaStateMachineArn")
    listed = _saga_list(app, saga)
    origin = min(e["startDate"] for e in listed)
    starts = sorted((e["startDate"] - origin).total_seconds() for e in listed)
    backed_up = [t for t, depth in run.depth if depth > 0]
    if not backed_up:
        return 0.0
    window = [t for t in starts if 60.0 <= t <= backed_up[-1]]
    if len(window) < 2:
        return 0.0
    return (len(window) - 1) / (window[-1] - window[0])


def _order_ends(app: LocalApp, run: Run) -> Counter[tuple[str, str]]:
    """(kind, final status) -> orders, from the orders table."""
    pages = (
        app.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=app.output("OrdersTableName"),
            FilterExpression="recordType = :order",
            ExpressionAttributeValues={":order": {"S": "ORDER"}},
        )
    )
    statuses = {item["orderId"]["S"]: item["status"]["S"] for page in pages for item in page["Items"]}
    return Counter((kind, statuses.get(order_id, "MISSING")) for order_id, kind in run.placed.items())


def _end_problems(ends: Counter[tuple[str, str]]) -> list[str]:
    """Each order ended by its rule: declined orders cancelled, every order confirmed or cancelled."""
    problems = [
        f"{n} declined orders ended {status}"
        for (kind, status), n in ends.items()
        if kind == "declined" and status != "CANCELLED"
    ]
    problems += [
        f"{n} {kind} orders ended {status}"
        for (kind, status), n in ends.items()
        if status not in ("CONFIRMED", "CANCELLED")
    ]
    return problems


def _stock_problems(
    app: LocalApp, run: Run, stock: dict[str, int], ends: Counter[tuple[str, str]]
) -> tuple[list[str], dict[str, int]]:
    """Nothing oversold: no shard below zero, and stock moved by exactly what was confirmed."""
    problems: list[str] = []
    confirmed = ends[("normal", "CONFIRMED")]
    levels = stock_levels(app)
    quantities = {line["sku"]: line["quantity"] for line in _sample()["items"]}
    for sku, initial in stock.items():
        if levels.get(sku) != initial - confirmed * quantities.get(sku, 0):
            problems.append(f"{sku}: {initial} - {confirmed} confirmed orders left {levels.get(sku)}")
    best = stock_pk(BEST_SELLER)
    shards = {
        str(i["pk"]): int(i["available"]) for i in inventory_items(app) if str(i["pk"]).startswith(best)
    }
    if any(level < 0 for level in shards.values()):
        problems.append(f"a shard went below zero: {shards}")
    # an order cancelled for want of stock met a shortage: afterwards only the releases of declined
    # orders can have put units back, so less than one order's quantity plus theirs is left
    declined = sum(1 for kind in run.placed.values() if kind == "declined")
    room = quantities[BEST_SELLER] * (1 + declined)
    if ends[("normal", "CANCELLED")] and levels.get(BEST_SELLER, 0) >= room:
        problems.append(f"orders cancelled while {levels.get(BEST_SELLER)} units were left")
    return problems, shards


def _event_problems(app: LocalApp, run: Run, tap: str) -> tuple[list[str], int]:
    """Every order's OrderPlaced and its one ending on the bus, no event twice."""
    events: Counter[tuple[str, str]] = Counter()
    by_id: Counter[str] = Counter()
    for event in app.receive_all(tap):
        detail = event.get("detail", {})
        events[(str(detail.get("eventType")), str(detail.get("aggregateId", "")))] += 1
        by_id[str(detail.get("eventId", event.get("id")))] += 1
    problems = (
        [f"{sum(1 for n in by_id.values() if n > 1)} events delivered more than once"]
        if any(n > 1 for n in by_id.values())
        else []
    )
    for order_id in run.placed:
        if events[("OrderPlaced", order_id)] != 1:
            problems.append(
                f"order {order_id}: OrderPlaced delivered {events[('OrderPlaced', order_id)]} times"
            )
        ending = events[("OrderConfirmed", order_id)] + events[("OrderCancelled", order_id)]
        if ending != 1:
            problems.append(f"order {order_id}: {ending} OrderConfirmed/OrderCancelled events")
    return problems, sum(by_id.values())


def _parked_problems(app: LocalApp) -> list[str]:
    """Every dead-letter and failures queue empty."""
    parked = {
        url.rsplit("/", 1)[-1]: _queue_depth(app, url)
        for url in app.client("sqs").list_queues().get("QueueUrls", [])
        if any(word in url.lower() for word in ("dlq", "failure", "dead"))
    }
    return [f"messages parked in {queue}: {n}" for queue, n in parked.items() if n]


def _sample() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "sample_events" / "place_order.json").read_text())  # type: ignore[no-any-return]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__.split("\n")[0])
    parser.add_argument("orders", nargs="?", type=int, default=5000)
    parser.add_argument("--window", type=float, default=600.0, help="virtual seconds the orders arrive over")
    args = parser.parse_args(argv)
    if args.orders < 50 or args.window < 10:
        parser.error("at least 50 orders over at least 10 virtual seconds")
    assembly = REPO_ROOT / "cdk.out"
    sample = _sample()
    limits = json.loads(LIMITS.read_text())
    results = {path: run_path(assembly, sample, path, 5) for path in ("fulfilled", "declined")}
    usage = _mix_usage(results, limits)
    full_limit, _ = modeled_limit(usage, limits)
    target = args.orders / args.window / OVERLOAD
    factor = target / full_limit
    scaled = _scaled(limits, factor)
    limit, binding = modeled_limit(usage, scaled)
    enforced_limit, enforced_binding = min(
        (q.per_second / usage[q.name], q.name)
        for q in quotas(scaled, SHARDS)
        if usage[q.name] and q.name.startswith(ENFORCED)
    )
    stock = {BEST_SELLER: int(args.orders * 0.85), SECOND: args.orders * 10}
    with LocalApp(assembly, log_level="ERROR") as app:
        seed_stock(app, stock, shards={BEST_SELLER: SHARDS})
        _quotas_on(app, scaled)
        app.add_party(PaymentProvider(app))
        tap = app.subscribe(app.output("EventBusName"), {"source": ["order-platform.orders"]})
        run = _play(app, sample, args.orders, args.window, stock)
        measured = _measured_limit(app, run)
        ends = _order_ends(app, run)
        stock_problems, shards = _stock_problems(app, run, stock, ends)
        event_problems, events_seen = _event_problems(app, run, tap)
        problems = [*_end_problems(ends), *stock_problems, *event_problems, *_parked_problems(app)]
        throttled = app.quotas.throttled
        pipe_throttles = sum(stats.throttled_attempts for stats in app.pipes.stats.values())
    rows: list[tuple[Any, ...]] = [
        (
            q.name,
            f"{q.per_second:,.2f}",
            f"{usage[q.name]:.2f}",
            f"{q.per_second / usage[q.name]:,.2f}" if usage[q.name] else "-",
            "yes" if q.name.startswith(ENFORCED) else "no",
        )
        for q in quotas(scaled, SHARDS)
    ]
    print(
        render(
            f"The model for the burst's mix ({1 - DECLINED_SHARE:.0%} fulfilled, {DECLINED_SHARE:.0%}"
            f" declined), every quota scaled by {factor:.5f}; best seller in {SHARDS} shards",
            ["quota", "scaled rate", "per order", "orders per s", "enforced here"],
            rows,
        )
    )
    peak = max(run.depth, key=lambda entry: entry[1])
    summary = [
        (
            "orders",
            f"{args.orders} over {args.window:.0f} virtual s"
            f" ({args.orders / args.window:.2f}/s, {OVERLOAD:g}x the model)",
        ),
        ("model's limit (first to bind)", f"{limit:.2f}/s ({binding})"),
        ("model's limit among enforced quotas", f"{enforced_limit:.2f}/s ({enforced_binding})"),
        (
            "measured limit (saga starts/s while backed up)",
            f"{measured:.2f}/s ({measured / enforced_limit:.0%} of the model)",
        ),
        ("saga queue: peak depth", f"{peak[1]} at {peak[0]:.0f} s"),
        ("time to drain after the last arrival", f"{run.drained_at - run.last_arrival:,.0f} virtual s"),
        ("orders ended", ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(ends.items()))),
        (
            "best seller's shards at the end",
            ", ".join(str(level) for _, level in sorted(shards.items())),
        ),
        ("events on the bus (placed, confirmed, cancelled)", str(events_seen)),
        (
            "throttled requests",
            ", ".join(f"{s} {o}: {n}" for (s, o), n in sorted(throttled.items()) if n) or "none",
        ),
        ("pipe retries of a throttled start", str(pipe_throttles)),
        ("wall time", f"{run.wall_seconds:,.0f} s"),
        ("checks", "all hold" if not problems else "; ".join(problems[:10])),
    ]
    print(render("The burst", ["", ""], summary))
    agrees = enforced_limit and abs(measured / enforced_limit - 1) <= 0.2
    if not agrees:
        print(
            f"measured {measured:.2f}/s is not within 20% of the model's {enforced_limit:.2f}/s",
            file=sys.stderr,
        )
    return 0 if not problems and agrees else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
