"""Cold start of each deployed function, whole: Lambda's init plus its first invocation, with the
event that function really receives and the AWS call it really makes first.

How: the demo's story runs on an embedded app, which keeps the first event each function was
given; the app is then served behind a local AWS endpoint. Each function's staged asset is
imported and invoked with that event in fresh interpreters, with the function's own environment
pointed at the endpoint, so the first call goes over HTTP to a live service, as it does on AWS.
A first run notes which AWS call the handler makes first.

The yardstick is a minimal Powertools handler: Logger, Tracer and Metrics decorators around
one boto3 call, the same service, operation and parameters, in the same kind of fresh
interpreter. What the platform's handler adds on top is its own: models, validation, adapters,
settings. The goal is 1.3x or less.

Lambda's X-Ray daemon is not here, so both run with the tracer disabled, as the embedded
runtime runs them. Times count from the interpreter's spawn. Each figure is the best of `runs`
interpreters, the two kinds run in turn: a busy moment of the machine only ever adds time, and
the best is what the code costs. A function the demo's story never invokes has no event to
replay and is listed without figures.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore import xform_name

from local_runtime import LocalApp
from local_runtime.lambda_service import FunctionSpec
from local_runtime.serve import LocalEndpoint

REPO_ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.3
"""A handler's init plus first call at most this many times the minimal handler's."""
LAMBDA_PER_GB_SECOND = 0.0000133334
"""Lambda duration on arm64, USD per GB-second (us-east-1 list price); init is billed as duration."""
SNAPSTART_CACHE_PER_GB_SECOND = 0.0000015046
"""SnapStart's snapshot cache, USD per GB-second while the version is published (us-east-1)."""
SNAPSTART_RESTORE_PER_GB = 0.0001397998
"""SnapStart's restore, USD per GB restored, once per new execution environment (us-east-1)."""
SECONDS_A_MONTH = 30 * 24 * 3600

_CONTEXT = """
class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    aws_request_id = "bench-request"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self):
        return 10_000
"""

_HANDLER_PROBE = (
    _CONTEXT
    + """
import contextlib, io, json, os, sys, time
record = {record}
spawned = float(os.environ["PROBE_SPAWNED_AT"])
import {module} as handler
imported = time.monotonic() - spawned
first = []
if record:
    import botocore.client

    original = botocore.client.BaseClient._make_api_call

    def recording(client, operation, params):
        if not first:
            first.append([client.meta.service_model.service_name, operation, params])
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = recording
event = json.loads(sys.stdin.read())
error = ""
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        handler.{attribute}(event, Context())
    except Exception as failed:
        error = type(failed).__name__
total = time.monotonic() - spawned


def encoded(value):
    if isinstance(value, (bytes, bytearray)):
        return {{"__bytes__": __import__("base64").b64encode(bytes(value)).decode()}}
    if hasattr(value, "read"):
        return encoded(value.read())
    return str(value)


print("RESULT " + json.dumps({{"import": imported, "total": total, "first": first[0] if first else None,
                              "error": error}}, default=encoded))
"""
)

_MINIMAL_PROBE = (
    _CONTEXT
    + """
import contextlib, io, json, os, sys, time
spawned = float(os.environ["PROBE_SPAWNED_AT"])
import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="minimal")
tracer = Tracer(service="minimal")
metrics = Metrics(service="minimal", namespace="Bench")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    call = event["call"]
    if call is None:
        return {}
    service, operation, params = call
    client = boto3.client(service)
    try:
        getattr(client, operation)(**params)
    except client.exceptions.ClientError:
        pass
    return {}


imported = time.monotonic() - spawned
event = json.loads(sys.stdin.read())
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    lambda_handler(event, Context())
total = time.monotonic() - spawned
print("RESULT " + json.dumps({"import": imported, "total": total}))
"""
)


def _decoded(value: Any) -> Any:
    """Bytes a probe recorded as ``{"__bytes__": base64}`` back to bytes, anywhere in `value`."""
    if isinstance(value, dict):
        if set(value) == {"__bytes__"}:
            return base64.b64decode(value["__bytes__"])
        return {key: _decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decoded(item) for item in value]
    return value


class _BytesAsBase64(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, bytes):
            return {"__bytes__": base64.b64encode(o).decode()}
        return super().default(o)


def first_events(assembly: Path) -> tuple[LocalApp, dict[str, tuple[FunctionSpec, Any]]]:
    """A started app after the demo's story, and the first event each function was given."""
    from demo import platform

    app = LocalApp(assembly, log_level="WARNING").start()
    seen: dict[str, tuple[FunctionSpec, Any]] = {}
    invoke = app.lambdas.invoke

    def keeping_the_first(function: str, payload: bytes, asynchronous: bool = False) -> Any:
        spec = app.lambdas.spec(function)
        seen.setdefault(spec.name, (spec, json.loads(payload) if payload else {}))
        return invoke(function, payload, asynchronous)

    app.lambdas.invoke = keeping_the_first  # type: ignore[method-assign]
    sample = json.loads((REPO_ROOT / "sample_events" / "place_order.json").read_text())
    with contextlib.redirect_stdout(io.StringIO()):
        problems = platform.run(app, sample)
        _off_the_happy_path(app, sample)
    app.lambdas.invoke = invoke  # type: ignore[method-assign]
    if problems:
        app.stop()
        raise RuntimeError(f"the demo's story failed: {problems}")
    return app, seen


def _off_the_happy_path(app: LocalApp, sample: dict[str, Any]) -> None:
    """What the demo's story never does, so that every function gets its own first event: a
    confirmation failing after the shipment (CancelShipment runs) whose payment void then breaks
    its contract (ParkOrder), a PutEvents rejecting an entry (SelectFailedEntries), and an
    upload whose payload fails verification (MarkClaimFailed)."""
    from demo.customers import post_order
    from demo.payment_provider import PaymentProvider

    app.lambdas.inject_failure(app.function_name("ConfirmOrder"), "OrderStoreCorrupt")
    app.lambdas.inject_failure(app.function_name("VoidPayment"), "InvalidSagaInput")
    app.bus.reject(lambda entry: True, times=1)
    post_order(app, {**sample, "customerId": "cust-0045"})
    PaymentProvider(app).settle()
    app.lambdas.inject_failure(app.function_name("VerifyPayload"), "ClaimIntegrityError")
    line = json.dumps({**sample, "customerId": "partner-9-0001"})
    app.client("s3").put_object(
        Bucket=app.output("PayloadBucketName"), Key="intake/tampered.jsonl", Body=line
    )
    app.drain()


def _probe(script: str, stdin: Any, cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run `script` in a fresh interpreter; its times count from the moment it was spawned, so
    they hold the interpreter's own start, as a Lambda cold start does (on the monotonic clock,
    which every process shares and the app's virtual clock leaves alone)."""
    env = {**env, "PROBE_SPAWNED_AT": repr(time.monotonic())}
    output = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(stdin, cls=_BytesAsBase64),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def _environment(app: LocalApp, spec: FunctionSpec, endpoint: str) -> dict[str, str]:
    """The function's variables as the template sets them, and Lambda's, with AWS at `endpoint`."""
    return {
        "PATH": "",
        **spec.environment,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "AWS_REGION": app.region,
        "AWS_DEFAULT_REGION": app.region,
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "_HANDLER": spec.handler,
    }


@dataclass(frozen=True)
class ColdStart:
    """One function's cold start, whole and against the minimal handler (None: never invoked)."""

    handler: str
    memory_mb: int
    first_call: str | None = None
    init_ms: float | None = None
    whole_ms: float | None = None
    minimal_ms: float | None = None


def measure(assembly: Path, runs: int = 5) -> list[ColdStart]:
    """Every deployed function's cold start, the invoked ones first."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per AWS call
    app, seen = first_events(assembly)
    endpoint = LocalEndpoint(app, "127.0.0.1", 0, 0, virtual_clock=True).start()
    starts: list[ColdStart] = []
    try:
        for spec, event in sorted(seen.values(), key=lambda seen_event: seen_event[0].handler):
            module, _, attribute = spec.handler.rpartition(".")
            env = _environment(app, spec, endpoint.url)
            script = _HANDLER_PROBE.format(module=module, attribute=attribute, record=False)
            recording = _HANDLER_PROBE.format(module=module, attribute=attribute, record=True)
            first = _probe(recording, event, spec.code_dir, env)["first"]
            call = None if first is None else [first[0], xform_name(first[1]), _decoded(first[2])]
            handler, minimal = [], []
            for _ in range(runs):  # side by side, so a slow moment of the machine hits both
                handler.append(_probe(script, event, spec.code_dir, env))
                minimal.append(_probe(_MINIMAL_PROBE, {"call": call}, spec.code_dir, env))
            starts.append(
                ColdStart(
                    _name(spec),
                    spec.memory_mb,
                    f"{first[0]}.{first[1]}" if first else "(none)",
                    min(result["import"] for result in handler) * 1000,
                    min(result["total"] for result in handler) * 1000,
                    min(result["total"] for result in minimal) * 1000,
                )
            )
        reached = {spec.name for spec, _ in seen.values()}
        starts += [
            ColdStart(_name(spec), spec.memory_mb)
            for spec in sorted(app.lambdas.functions(), key=lambda spec: spec.handler)
            if spec.name not in reached
        ]
    finally:
        endpoint.stop()
        app.stop()
    return starts


def _name(spec: FunctionSpec) -> str:
    return spec.handler.removesuffix(".lambda_handler")


def rows(starts: list[ColdStart]) -> list[tuple[Any, ...]]:
    """handler, first AWS call, init ms, init + first call ms, minimal ms, x minimal, goal."""
    table: list[tuple[Any, ...]] = []
    for start in starts:
        if start.whole_ms is None or start.minimal_ms is None or start.init_ms is None:
            table.append((start.handler, "(not invoked by the demo)", "", "", "", "", ""))
            continue
        ratio = start.whole_ms / start.minimal_ms
        table.append(
            (
                start.handler,
                start.first_call,
                round(start.init_ms),
                round(start.whole_ms),
                round(start.minimal_ms),
                round(ratio, 2),
                "yes" if ratio <= GOAL else "NO",
            )
        )
    return table


def snapstart_rows(starts: list[ColdStart]) -> list[tuple[Any, ...]]:
    """function, memory MB, init ms, billed init spared USD per million cold starts, restore USD
    per million, SnapStart's cache USD a month (per published version)."""
    table: list[tuple[Any, ...]] = []
    for start in starts:
        if start.init_ms is None:
            continue
        gb = start.memory_mb / 1024
        spared = start.init_ms / 1000 * gb * LAMBDA_PER_GB_SECOND * 1e6
        restore = gb * SNAPSTART_RESTORE_PER_GB * 1e6
        cache = gb * SECONDS_A_MONTH * SNAPSTART_CACHE_PER_GB_SECOND
        table.append(
            (
                start.handler,
                start.memory_mb,
                round(start.init_ms),
                round(spared, 2),
                round(restore, 2),
                round(cache, 2),
            )
        )
    return table


HEADERS = ["handler", "first AWS call", "init ms", "init + first call ms", "minimal ms", "x minimal", "goal"]
TITLE = (
    "Cold start of each deployed function, whole (init + first invocation with the event the demo"
    " gave it, its first AWS call answered by the served local endpoint), from the interpreter's"
    " spawn, best of 5 fresh interpreters, against a minimal Powertools handler making the same"
    f" first call (goal {GOAL}x or less)"
)
SNAPSTART_HEADERS = [
    "handler",
    "memory MB",
    "init ms",
    "billed init spared USD/M cold starts",
    "restore USD/M cold starts",
    "cache USD/month",
]
SNAPSTART_TITLE = (
    "SnapStart for each function, at public us-east-1 list prices (arm64 duration, SnapStart"
    " cache and restore): the init it would take off each cold start (measured above, on this"
    " machine) against what each restore costs, and the snapshot's cache for every month the"
    " version is published"
)


if __name__ == "__main__":
    from bench.table import render

    measured = measure(REPO_ROOT / "cdk.out", runs=int(sys.argv[1]) if sys.argv[1:] else 5)
    print(render(TITLE, HEADERS, rows(measured)))
    print()
    print(render(SNAPSTART_TITLE, SNAPSTART_HEADERS, snapstart_rows(measured)))
