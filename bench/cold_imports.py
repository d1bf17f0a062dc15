"""Cold import time of each handler module, against `import boto3` alone.

Each figure is the median of fresh interpreter runs (a Lambda cold start pays
exactly this once per execution environment).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from workflows.constants import LAMBDA_RUNTIME_TUNING

REPO_ROOT = Path(__file__).resolve().parent.parent
HANDLER_MODULES = (
    "orders_api.handler",
    "outbox_publisher.claim_handler",
    "outbox_publisher.failed_entries_handler",
    "outbox_publisher.mark_handler",
    "order_saga.begin_handler",
    "order_saga.reserve_handler",
    "payment_webhook.handler",
)
FUNCTION_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    **LAMBDA_RUNTIME_TUNING,
}
"""What every function's environment holds that changes how its modules import."""
_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", _PROBE.format(module=module)],
            cwd=REPO_ROOT / "lambdas",
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "", **FUNCTION_ENVIRONMENT},
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]))
    return statistics.median(samples)


def measure(runs: int = 5) -> list[tuple[str, float, float]]:
    baseline = import_seconds("boto3", runs)
    rows = [("boto3 (baseline)", baseline * 1000, 1.0)]
    for module in HANDLER_MODULES:
        seconds = import_seconds(module, runs)
        rows.append((module, seconds * 1000, seconds / baseline))
    return rows
