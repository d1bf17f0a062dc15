"""`make bench`: print every benchmark's table."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench import (
    capacity,
    claim_streaming,
    cold_start,
    notification_costs,
    platform_load,
    putevents_burst,
    runtime_concurrency,
    runtime_overhead,
    saga_costs,
)
from bench.table import render
from local_runtime.gc_policy import collect_less_often

REPO_ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    collect_less_often()
    os.environ.setdefault("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    assembly = REPO_ROOT / "cdk.out"
    sample = json.loads((REPO_ROOT / "sample_events" / "place_order.json").read_text())
    print(
        render(
            "Outbox workflow: embedded runtime vs bare moto (median wall time per order/execution)",
            ["setup", "runs", "median ms", "ratio"],
            runtime_overhead.measure(assembly, sample),
        )
    )
    print()
    print(
        render(
            "PutEvents calls per published event, burst of orders placed at once",
            ["orders", "executions", "PutEvents calls", "entries", "calls per event"],
            putevents_burst.measure(assembly, sample, (1, 10, 50, 200)),
        )
    )
    print()
    print(
        render(
            "Whole platform, API to OrderConfirmed (payment answered 2 s after its request), orders placed"
            " at once at the default concurrency, each size in a fresh interpreter warmed by one order on a"
            " throwaway app (every sandbox of the measured app still starts cold); floor = moto as shipped"
            " running the saga ASL and two outbox publications with no-op tasks, one order at a time, median"
            " of 10; x engine = against the same floor on moto with the runtime's speedups (what the platform"
            " runs on); each round measures the floors and the platform back to back, x is the median of the"
            " rounds' ratios",
            [
                "setup",
                "orders",
                "rounds",
                "ms per order",
                "x floor",
                "x engine",
                "peak RSS MiB",
                "confirmed",
                "distinct histories",
                "peak concurrency",
                "throttled",
            ],
            platform_load.measure_platform(),
        )
    )
    print()
    print(
        render(
            runtime_concurrency.STORAGE_TITLE,
            runtime_concurrency.STORAGE_HEADERS,
            runtime_concurrency.measure_storage(assembly),
        )
    )
    print()
    print(
        render(
            runtime_concurrency.BURST_TITLE,
            runtime_concurrency.BURST_HEADERS,
            runtime_concurrency.measure_burst(assembly, sample),
        )
    )
    print()
    print(
        render(
            "PutEvents calls per event, orders arriving one at a time at a steady rate (virtual clock;"
            " the outbox pipe's batching window is 1 s)",
            ["orders per second", "orders", "PutEvents calls", "events", "calls per event"],
            platform_load.measure_steady(),
        )
    )
    print()
    print(
        render(
            "Order saga per order: state transitions, Lambda invocations (incl. the payment webhook), "
            "USD per million orders at public prices (100 ms at 256 MB per invocation, arm64)",
            ["path", "transitions", "invocations", "Step Functions $", "Lambda $", "total $"],
            saga_costs.measure(assembly, sample),
        )
    )
    print()
    consumed_header, consumed_rows = capacity.measure(assembly, sample)
    print(render(capacity.TITLE, consumed_header, consumed_rows))
    print()
    cold_starts = cold_start.measure(assembly)
    print(render(cold_start.TITLE, cold_start.HEADERS, cold_start.rows(cold_starts)))
    print()
    print(
        render(
            cold_start.SNAPSTART_TITLE, cold_start.SNAPSTART_HEADERS, cold_start.snapstart_rows(cold_starts)
        )
    )
    print()
    print(
        render(
            "Account-change notification per change: the Express workflow vs seed-style pipe enrichment"
            " (USD per million changes, public list prices; assumptions in bench/notification_costs.py)",
            ["path", "transitions", "Lambda invocations", "workflow USD/M", "pipe enrichment USD/M", "ratio"],
            notification_costs.measure(assembly),
        )
    )
    print()
    print(render(claim_streaming.TITLE, claim_streaming.HEADERS, claim_streaming.measure()))


if __name__ == "__main__":
    main()
