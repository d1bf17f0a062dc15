"""What an account change costs: the workflow version beside seed-style enrichment in the pipe.

Transitions and invocations are counted from the notification workflow's execution on the
embedded engine (the same ASL as deployed). Both versions are priced from one table of public
on-demand list prices (us-east-1): Express workflows $1.00 per million requests plus
$0.00001667 per GB-second (billed in 64 MB and 100 ms steps); Lambda (arm64) $0.20 per million
requests plus $0.0000133334 per GB-second; EventBridge Pipes $0.40 per million requests; SQS
$0.40 per million requests. Assumed: every Lambda runs 100 ms billed at 256 MB, an SDK task
(Cognito, DynamoDB) 50 ms of workflow time. Left out because both versions pay them alike: SES
($0.10 per 1,000 emails), Cognito (no charge per AdminGetUser), the DynamoDB writes of the
notice record and of idempotency, the stream reads.

The pipe-enrichment version: pipe → enrichment Lambda (diff, Cognito lookup, compose) → SQS →
sender Lambda. A change that is not security-relevant ends in the enrichment Lambda (it returns
nothing, so nothing is queued); a notified one adds three SQS requests (send, receive, delete)
and the sender's invocation.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from demo.customers import customers
from local_runtime import LocalApp

EXPRESS_PER_REQUEST = 1.00 / 1_000_000
EXPRESS_PER_GB_SECOND = 0.00001667
EXPRESS_MEMORY_GB = 64 / 1024
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_PER_GB_SECOND = 0.0000133334
LAMBDA_BILLED_SECONDS, LAMBDA_MEMORY_GB = 0.1, 0.25
PIPES_PER_REQUEST = 0.40 / 1_000_000
SQS_PER_REQUEST = 0.40 / 1_000_000
SDK_TASK_SECONDS = 0.05
MILLION = 1_000_000
NOTIFIED_SHARE = 0.2
"""The mix row: one account change in five is security-relevant."""


def _lambda() -> float:
    return LAMBDA_PER_REQUEST + LAMBDA_BILLED_SECONDS * LAMBDA_MEMORY_GB * LAMBDA_PER_GB_SECOND


def _run(assembly: Path, update: dict[str, Any]) -> tuple[int, int, int]:
    """Transitions, Lambda invocations and SDK tasks of one account change's execution."""
    with LocalApp(assembly, log_level="WARNING") as app:
        app.pause_pipe("OrderSaga")
        sub = customers(app).register("bench", given_name="Bench").customer_id
        table = app.output("AccountsTableName")
        dynamodb = app.client("dynamodb")
        dynamodb.put_item(
            TableName=table,
            Item={"pk": {"S": sub}, "sub": {"S": sub}, "phone": {"S": "1"}, "nickname": {"S": "a"}},
        )
        app.drain()
        dynamodb.update_item(TableName=table, Key={"pk": {"S": sub}}, **update)
        app.drain()
        (execution,) = app.executions(app.output("AccountChangeNotificationStateMachineArn"))
        history = app.history(execution["executionArn"])
        transitions = sum(1 for e in history if "stateEnteredEventDetails" in e)
        scheduled = [
            e["taskScheduledEventDetails"]["resourceType"] for e in history if e["type"] == "TaskScheduled"
        ]
        invocations = sum(1 for kind in scheduled if kind == "lambda")
        return transitions, invocations, len(scheduled) - invocations


def _workflow_cost(invocations: int, sdk_tasks: int) -> float:
    seconds = invocations * LAMBDA_BILLED_SECONDS + sdk_tasks * SDK_TASK_SECONDS
    billed = math.ceil(round(seconds * 10, 6)) / 10
    express = EXPRESS_PER_REQUEST + billed * EXPRESS_MEMORY_GB * EXPRESS_PER_GB_SECOND
    return PIPES_PER_REQUEST + express + invocations * _lambda()


def _pipe_enrichment_cost(notified: bool) -> float:
    cost = PIPES_PER_REQUEST + _lambda()
    if notified:
        cost += 3 * SQS_PER_REQUEST + _lambda()
    return cost


def measure(assembly: Path) -> list[tuple[str, int, int, float, float, float]]:
    """Rows: path, transitions, Lambda invocations, USD per million (workflow, pipe enrichment), ratio."""
    notified = _run(
        assembly, {"UpdateExpression": "SET phone = :p", "ExpressionAttributeValues": {":p": {"S": "2"}}}
    )
    quiet = _run(
        assembly, {"UpdateExpression": "SET nickname = :n", "ExpressionAttributeValues": {":n": {"S": "b"}}}
    )
    rows = []
    costs = {}
    for label, (transitions, invocations, sdk_tasks), is_notified in (
        ("security change (notified)", notified, True),
        ("other change (no email)", quiet, False),
    ):
        workflow = _workflow_cost(invocations, sdk_tasks) * MILLION
        pipe = _pipe_enrichment_cost(is_notified) * MILLION
        costs[is_notified] = (workflow, pipe)
        rows.append((label, transitions, invocations, workflow, pipe, workflow / pipe))
    mix_workflow = NOTIFIED_SHARE * costs[True][0] + (1 - NOTIFIED_SHARE) * costs[False][0]
    mix_pipe = NOTIFIED_SHARE * costs[True][1] + (1 - NOTIFIED_SHARE) * costs[False][1]
    rows.append(
        (f"mix: {NOTIFIED_SHARE:.0%} notified", 0, 0, mix_workflow, mix_pipe, mix_workflow / mix_pipe)
    )
    return rows
