"""PutEvents calls per published event when a burst of orders arrives at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from demo.customers import post_order
from local_runtime import LocalApp


def measure(
    assembly: Path, sample: dict[str, Any], burst_sizes: tuple[int, ...]
) -> list[tuple[int, int, int, int, float]]:
    rows = []
    for size in burst_sizes:
        with LocalApp(assembly, log_level="WARNING") as app:
            app.pause_pipe("OrderSaga")  # the outbox alone: no saga writes its own events
            for n in range(size):
                post_order(app, {**sample, "customerId": f"burst-{n}"})
            app.drain(timeout=600)
            executions = len(app.executions(app.output("OutboxPublisherStateMachineArn")))
            rows.append((size, executions, app.bus.calls, app.bus.entries, app.bus.calls / size))
    return rows
