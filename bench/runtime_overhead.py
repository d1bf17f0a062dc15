"""The outbox workflow on the embedded runtime vs bare moto running the same ASL with no-op tasks.

Embedded: an order placed through the API, the pipe, the real handlers against
moto DynamoDB, PutEvents on moto. Bare: the same definition in a plain
`mock_aws`, its Lambda tasks answered by a no-op that returns a canned result.
The ratio is what the runtime (sandboxes, pipe runner, real task code) costs on
top of moto's interpreter.
"""

from __future__ import annotations

import io
import json
import statistics
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.response import StreamingBody
from moto import mock_aws

from demo.customers import post_order
from local_runtime import LocalApp, moto_patches
from local_runtime.moto_patches import atomic_entrances

REPO_ROOT = Path(__file__).resolve().parent.parent
_ENTRY = {"Source": "bench", "DetailType": "OrderPlaced", "Detail": "{}", "EventBusName": "default"}
_NO_OP_RESULTS = {
    "claim": {
        "claimToken": "t",
        "claimed": 1,
        "skipped": 0,
        "batches": [{"attempt": 1, "entries": [_ENTRY], "keys": [{"pk": "p", "sk": "s", "eventId": "e"}]}],
    },
    "mark": {"published": 1, "failed": 0, "failedEventIds": []},
}


def _embedded(assembly: Path, sample: dict[str, Any], runs: int) -> list[float]:
    durations = []
    with LocalApp(assembly, log_level="WARNING") as app:
        app.pause_pipe("OrderSaga")  # the outbox alone, as the bare-moto side runs it
        for n in range(runs):
            started = time.perf_counter()
            post_order(app, {**sample, "customerId": f"bench-{n}"})
            app.drain()
            durations.append(time.perf_counter() - started)
    return durations


def _bare(runs: int) -> list[float]:
    definition = (REPO_ROOT / "asl" / "outbox_publisher.asl.json").read_text()
    for placeholder, name in (
        ("OutboxClaimFunctionArn", "claim"),
        ("OutboxRetryFunctionArn", "retry"),
        ("OutboxMarkFunctionArn", "mark"),
    ):
        definition = definition.replace(
            f"${{{placeholder}}}", f"arn:aws:lambda:eu-west-1:123456789012:function:{name}"
        )

    def no_op(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        name = params["url_path"].split("function%3A", 1)[1].split("/", 1)[0]
        body = json.dumps(_NO_OP_RESULTS.get(name, {})).encode()
        response = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body), len(body))}
        return type("R", (), {"status_code": 200, "headers": {}})(), response

    durations = []
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        moto_patches.install()
        for patch in atomic_entrances.PATCHES:
            patch.revert()  # the bare-moto side takes no storage lock (one request at a time)
        boto3._get_default_session().events.register("before-call.lambda.Invoke", no_op)
        sfn = boto3.client("stepfunctions", region_name="eu-west-1")
        arn = sfn.create_state_machine(
            name="bare-outbox",
            definition=definition,
            roleArn="arn:aws:iam::123456789012:role/bench",
            type="EXPRESS",
        )["stateMachineArn"]
        for n in range(runs):
            started = time.perf_counter()
            execution = sfn.start_execution(stateMachineArn=arn, name=f"bare-{n}", input="[]")["executionArn"]
            while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
                time.sleep(0.001)
            durations.append(time.perf_counter() - started)
    return durations


def measure(assembly: Path, sample: dict[str, Any], runs: int = 20) -> list[tuple[str, int, float, float]]:
    embedded = _embedded(assembly, sample, runs)
    bare = _bare(runs)
    rows = [
        ("bare moto, no-op tasks", runs, statistics.median(bare) * 1000, 1.0),
        (
            "embedded runtime (API + pipe + real handlers)",
            runs,
            statistics.median(embedded) * 1000,
            statistics.median(embedded) / statistics.median(bare),
        ),
    ]
    return rows
