"""Account quotas on the virtual clock: a request beyond the rate is refused as AWS refuses it
(ThrottlingException), tokens come back as virtual time passes, and what retries gets through."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalApp

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def _machine(app: LocalApp, name: str, definition: dict[str, object]) -> str:
    return str(
        app.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=f"arn:aws:iam::{app.account}:role/q"
        )["stateMachineArn"]
    )


def test_starts_beyond_the_bucket_are_throttled_until_virtual_time_refills_it(tiny_app: LocalApp) -> None:
    machine = _machine(tiny_app, "limited", PASS)
    sfn = tiny_app.client("stepfunctions")
    quota = tiny_app.quotas.limit("stepfunctions", "StartExecution", per_second=2, burst=3)
    for n in range(3):  # the bucket starts full
        sfn.start_execution(stateMachineArn=machine, name=f"in-{n}")
    # the fourth is refused with AWS's code (botocore's own retries see the same still bucket)
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=machine, name="over")
    assert refused.value.response["Error"]["Code"] == "ThrottlingException"
    assert quota.throttled >= 1
    # a virtual second later two tokens are back: two more starts, and the next one refused again
    tiny_app.advance(timedelta(seconds=1))
    for n in range(2):
        sfn.start_execution(stateMachineArn=machine, name=f"later-{n}")
    with pytest.raises(ClientError):
        sfn.start_execution(stateMachineArn=machine, name="over-again")
    tiny_app.drain()
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 5


def test_a_throttled_sdk_task_retries_by_its_definition_and_every_event_gets_out(tiny_app: LocalApp) -> None:
    put = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:eventbridge:putEvents",
        "Parameters": {"Entries": [{"Source": "quota", "DetailType": "Probe", "Detail": "{}"}]},
        "Retry": [
            {"ErrorEquals": ["EventBridge.ThrottlingException"], "IntervalSeconds": 1, "MaxAttempts": 5}
        ],
        "End": True,
    }
    fan = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [{"StartAt": f"Put{n}", "States": {f"Put{n}": put}} for n in range(3)],
                "End": True,
            }
        },
    }
    queue = tiny_app.subscribe("default", {"source": ["quota"]})
    machine = _machine(tiny_app, "puts-three", fan)
    tiny_app.quotas.limit("events", "PutEvents", per_second=1, burst=1)
    arn = tiny_app.client("stepfunctions").start_execution(stateMachineArn=machine)["executionArn"]
    ended = tiny_app.wait_for(arn)
    assert ended["status"] == "SUCCEEDED"
    assert tiny_app.quotas.throttled[("events", "PutEvents")] >= 2
    assert (ended["stopDate"] - ended["startDate"]).total_seconds() >= 2  # the retries waited for tokens
    assert len(tiny_app.receive_all(queue)) == 3  # nothing lost, nothing twice


def test_a_quota_allows_something() -> None:
    from local_runtime.quotas import AccountQuotas

    quotas = AccountQuotas(lambda: 0.0)
    with pytest.raises(ValueError):
        quotas.limit("events", "PutEvents", per_second=0)
