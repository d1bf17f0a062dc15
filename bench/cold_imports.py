"""Cold start of each deployed handler: its module's import, and its first invocation's imports.

Each figure is the median of fresh interpreter runs (a Lambda cold start pays exactly this once
per execution environment). The issue's budget is on the import (Lambda's init): at most 1.5x
`import boto3`. Handlers keep pydantic and the models out of their init and import them in the
first invocation (README, "Cold start"), so the second figure shows the whole bill: the import
plus what the first call imports before it does any work (it is given an empty event and no
settings, so it fails right after its imports, without calling AWS).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from workflows.constants import LAMBDA_RUNTIME_TUNING

REPO_ROOT = Path(__file__).resolve().parent.parent
IMPORT_BUDGET = 1.5
"""A handler's import at most this many times `import boto3` (the cold-start issue's target)."""
FUNCTION_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    **LAMBDA_RUNTIME_TUNING,
}
"""What every function's environment holds that changes how its modules import."""
_API_EVENT = {
    "httpMethod": "GET",
    "path": "/orders/ord-1",
    "resource": "/orders/{order_id}",
    "headers": {},
    "requestContext": {"httpMethod": "GET", "path": "/orders/ord-1", "identity": {}},
}
"""What reaches an API handler's route, so its first call imports what a request needs."""
_PROBE = """
import io, contextlib, json, sys, time
from types import SimpleNamespace
started = time.perf_counter()
import {module} as handler
imported = time.perf_counter() - started
if {first_call}:
    context = SimpleNamespace(
        function_name="bench", memory_limit_in_mb=256, aws_request_id="bench",
        invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:bench",
    )
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            handler.lambda_handler(json.loads(sys.argv[1]), context)
        except Exception:
            pass
print("TIMES", imported, time.perf_counter() - started)
"""


def deployed_handlers(assembly: Path) -> list[str]:
    """The handler modules of every function of the synthesized stack."""
    template = json.loads(next(assembly.glob("*.template.json")).read_text())
    return sorted(
        {
            r["Properties"]["Handler"].rsplit(".", 1)[0]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::Lambda::Function"
        }
    )


def seconds(module: str, runs: int, *, first_call: bool) -> tuple[float, float]:
    """Median (import, import + first call) of `runs` fresh interpreters."""
    event = _API_EVENT if module.endswith(".handler") else {}
    imports, totals = [], []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", _PROBE.format(module=module, first_call=first_call), json.dumps(event)],
            cwd=REPO_ROOT / "lambdas",
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "", **FUNCTION_ENVIRONMENT},
        ).stdout
        line = next(line for line in output.splitlines() if line.startswith("TIMES "))
        imported, total = (float(value) for value in line.split()[1:])
        imports.append(imported)
        totals.append(total)
    return statistics.median(imports), statistics.median(totals)


def measure(assembly: Path, runs: int = 5) -> list[tuple[str, float, float, str, float]]:
    """Rows: module, import ms, x boto3, within budget, import + first call ms."""
    baseline, _ = seconds("boto3", runs, first_call=False)
    rows = [("boto3 (baseline)", baseline * 1000, 1.0, "", baseline * 1000)]
    for module in deployed_handlers(assembly):
        imported, total = seconds(module, runs, first_call=True)
        ratio = imported / baseline
        rows.append((module, imported * 1000, ratio, "yes" if ratio <= IMPORT_BUDGET else "NO", total * 1000))
    return rows
