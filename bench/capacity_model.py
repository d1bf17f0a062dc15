"""How far the stack scales on AWS, and what a million orders cost (issue 22): the consumption per
order measured on the embedded runtime (`bench.capacity`), against the account quotas that apply
and the public prices, both read from one data file (`bench/aws_limits.json`: each value with its
region, its source page and the date it was read). `make capacity` prints it.

For each quota, the orders per second it allows is its rate divided by what one order asks of it;
the lowest is the highest sustainable rate, and its quota the first to bind. Lambda concurrency is
a count of environments at once, so it is divided by the seconds of Lambda one order keeps busy
(invocations times the billed duration measured here, on this machine, an upper bound of AWS's).
The hot item is one DynamoDB key: a best-selling SKU in every order, its partition's write
throughput divided by the write units one order spends on that key. Sharded over N items
(`order_saga.stock`), orders spread over the shards by a hash of their id, so the SKU takes N
partitions' throughput: the model is run for the shard count given (`--shards`, 1 by default,
the layout of a SKU nobody sharded), and says how many shards lift the hot item above every
other quota of the path.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.capacity import REPO_ROOT, run_paths

LIMITS = Path(__file__).with_name("aws_limits.json")
MIN_ORDERS = 5
"""The hottest key is read as the one every order writes (a best-selling SKU's stock item): with
fewer orders an order's own item (written ~4 times by its saga) can outweigh it and pass for a
hot key that no two orders share. With 5 the shared stock item leads by far."""


@dataclass(frozen=True)
class Quota:
    name: str
    per_second: float
    """The quota as a rate (or, for concurrency, a count of environments at once)."""
    usage: Callable[[dict[str, Any]], float]
    """What one order asks of it: per order (or, for concurrency, busy seconds per order)."""
    raise_first: str


def _value(limits: dict[str, Any], key: str) -> float:
    return float(limits[key]["value"])


def _per_order(result: dict[str, Any], read: Callable[[dict[str, Any]], float]) -> float:
    return read(result) / result["orders"]


def _standard_transitions(r: dict[str, Any]) -> float:
    return sum(n for m, n in r["transitions"].items() if m not in r["express"])


def _starts(r: dict[str, Any], express: bool) -> float:
    consumed = r["consumed"]
    return sum(
        n
        for (service, operation, target), n in consumed.requests.items()
        if service == "stepfunctions"
        and operation in ("StartExecution", "StartSyncExecution")
        and (target in r["express_arns"]) == express
    )


HOT_ITEM = "DynamoDB hot item"


def quotas(limits: dict[str, Any], shards: int = 1) -> list[Quota]:
    """The quotas one order meets; the hot item's throughput is its shards' together."""
    return [
        Quota(
            "Lambda concurrency (account)",
            _value(limits, "lambda_concurrency"),
            lambda r: _per_order(r, lambda r: r["busy_ms"] / 1000),
            "ask for a higher account concurrency (Service Quotas), then trim the saga's invocations",
        ),
        Quota(
            "Standard StartExecution (refill per s)",
            _value(limits, "sfn_standard_start_refill"),
            lambda r: _per_order(r, lambda r: _starts(r, express=False)),
            "ask for a higher StartExecution rate",
        ),
        Quota(
            "Standard state transitions (refill per s)",
            _value(limits, "sfn_standard_transition_refill"),
            lambda r: _per_order(r, _standard_transitions),
            "ask for a higher StateTransition rate",
        ),
        Quota(
            "Express StartExecution (per s)",
            _value(limits, "sfn_express_start_rate"),
            lambda r: _per_order(r, lambda r: _starts(r, express=True)),
            "ask for a higher Express start rate; batch more events per publication",
        ),
        Quota(
            "EventBridge PutEvents (requests per s)",
            _value(limits, "eventbridge_putevents_tps"),
            lambda r: _per_order(r, lambda r: r["consumed"].requests_of("events", "PutEvents")),
            "ask for a higher PutEvents rate",
        ),
        Quota(
            f"{HOT_ITEM} (write units per s, {shards} partition{'s' if shards > 1 else ''})",
            _value(limits, "dynamodb_partition_wcu") * shards,
            _hot_units,
            "shard the best-selling SKU's stock (order_saga.stock; see the hot item)",
        ),
        Quota(
            "DynamoDB table (on-demand write units per s)",
            _value(limits, "dynamodb_table_wcu"),
            lambda r: _per_order(
                r, lambda r: max(r["consumed"].units_by_table(r["consumed"].write_units).values())
            ),
            "raise the table's on-demand maximum",
        ),
        Quota(
            "API Gateway (requests per s, account)",
            _value(limits, "apigateway_account_rps"),
            lambda r: 0.0 if r["path"].startswith("imported") else 1.0,
            "ask for a higher account throttle",
        ),
    ]


def _hot_units(r: dict[str, Any]) -> float:
    """Write units one order spends on the hottest key (the best seller's stock item)."""
    return _per_order(r, lambda r: r["consumed"].hottest_key(r["consumed"].write_units)[2])


def shards_needed(r: dict[str, Any], limits: dict[str, Any]) -> int:
    """The fewest shards that lift the hot item to at least the path's next-lowest quota."""
    others = [
        q.per_second / q.usage(r) for q in quotas(limits) if not q.name.startswith(HOT_ITEM) and q.usage(r)
    ]
    units = _hot_units(r)
    if not units or not others:
        return 1
    return max(1, math.ceil(min(others) * units / _value(limits, "dynamodb_partition_wcu")))


def cost_per_million(r: dict[str, Any], limits: dict[str, Any]) -> float:
    """USD for a million orders of this path, at the data file's prices."""
    per = lambda read: _per_order(r, read)  # noqa: E731 - a table of terms reads better with it
    consumed = r["consumed"]
    gb_seconds = per(lambda r: r["busy_ms"] / 1000) * r["memory_mb"] / 1024
    terms = [
        per(_standard_transitions) * _value(limits, "price_sfn_standard_transition"),
        per(lambda r: _starts(r, express=True)) * _value(limits, "price_sfn_express_request"),
        per(lambda r: r["invocations"]) * _value(limits, "price_lambda_request"),
        gb_seconds * _value(limits, "price_lambda_arm_gb_second"),
        per(lambda r: consumed.put_events_entries) * _value(limits, "price_eventbridge_event"),
        per(lambda r: sum(consumed.write_units.values())) * _value(limits, "price_dynamodb_wru"),
        per(lambda r: sum(consumed.read_units.values())) * _value(limits, "price_dynamodb_rru"),
        per(lambda r: consumed.requests_of("sqs") + r["queued"]) * _value(limits, "price_sqs_request"),
        (0.0 if r["path"].startswith("imported") else 1.0) * _value(limits, "price_apigateway_request"),
    ]
    return sum(terms) * 1_000_000


def model(
    results: dict[str, dict[str, Any]], limits: dict[str, Any], shards: int = 1
) -> tuple[list[str], list[tuple[Any, ...]]]:
    paths = list(results)
    rows: list[tuple[Any, ...]] = []
    allowed: dict[str, list[tuple[float, Quota]]] = {p: [] for p in paths}
    for quota in quotas(limits, shards):
        cells = []
        for p in paths:
            usage = quota.usage(results[p])
            rate = quota.per_second / usage if usage else float("inf")
            allowed[p].append((rate, quota))
            cells.append(f"{rate:,.0f}/s ({usage:.2f})" if usage else "-")
        rows.append((f"{quota.name}: {quota.per_second:,.0f}", *cells))
    binding = {p: min(allowed[p], key=lambda entry: entry[0]) for p in paths}
    rows.append(("highest sustainable rate (orders per s)", *[f"{binding[p][0]:,.0f}" for p in paths]))
    rows.append(("first quota to bind", *[binding[p][1].name for p in paths]))
    rows.append(
        ("best seller's shards so it binds last", *[str(shards_needed(results[p], limits)) for p in paths])
    )
    rows.append(("USD per million orders", *[f"{cost_per_million(results[p], limits):,.0f}" for p in paths]))
    return ["quota (orders per s it allows, and per-order usage)", *paths], rows


def main(argv: list[str]) -> int:
    from bench.table import render

    parser = argparse.ArgumentParser(
        prog="python -m bench.capacity_model", description=__doc__.split("\n")[0]
    )
    parser.add_argument("orders", nargs="?", type=int, default=5, help=f"orders per path (>= {MIN_ORDERS})")
    parser.add_argument("--shards", type=int, default=1, help="the best seller's stock shards (>= 1)")
    args = parser.parse_args(argv)
    if args.orders < MIN_ORDERS or args.shards < 1:
        parser.error(f"ORDERS must be >= {MIN_ORDERS} and --shards >= 1")
    limits = json.loads(LIMITS.read_text())
    sample = json.loads((REPO_ROOT / "sample_events" / "place_order.json").read_text())
    results = run_paths(REPO_ROOT / "cdk.out", sample, args.orders)
    header, rows = model(results, limits, args.shards)
    region = limits["_region"]
    title = f"Capacity on AWS ({region}, quotas and prices read {limits['_read']}), per path"
    print(render(f"{title}, best seller in {args.shards} shard(s)", header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
