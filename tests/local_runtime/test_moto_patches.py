"""Each moto patch is needed: the behaviour it fixes is broken without it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local_runtime import LocalApp, moto_patches
from local_runtime.clock import Clock


def _run(app: LocalApp, definition: dict[str, Any], name: str, payload: Any = None) -> str:
    sfn = app.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"probe-{name}",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{app.account}:role/probe",
    )["stateMachineArn"]
    return str(
        sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload or {}))[
            "executionArn"
        ]
    )


@pytest.fixture
def unpatched(tiny_app: LocalApp) -> Iterator[LocalApp]:
    moto_patches.uninstall()
    try:
        yield tiny_app
    finally:
        moto_patches.install()


PUT_EVENTS = {
    "StartAt": "Put",
    "States": {
        "Put": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:eventbridge:putEvents",
            "Parameters": {"Entries": [{"Source": "probe", "DetailType": "Probe", "Detail": "{}"}]},
            "End": True,
        }
    },
}


def test_sdk_eventbridge_tasks_reach_the_bus(tiny_app: LocalApp) -> None:
    description = tiny_app.wait_for(_run(tiny_app, PUT_EVENTS, "sdk-put"))
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"])["FailedEntryCount"] == 0


def test_without_the_patch_sdk_eventbridge_is_an_unknown_service(unpatched: LocalApp) -> None:
    description = unpatched.wait_for(_run(unpatched, PUT_EVENTS, "sdk-put-unpatched"))
    assert description["status"] == "FAILED"
    assert "Unknown service: 'eventbridge'" in description["cause"]


LONG_WAIT = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def test_a_wait_state_is_time_compressed(tiny_app: LocalApp) -> None:
    # Given a one-hour Wait and a 1/10,000 time scale, the execution ends within the test's patience
    Clock.set_scale(0.0001)
    description = tiny_app.wait_for(_run(tiny_app, LONG_WAIT, "wait"), timeout=30)
    assert description["status"] == "SUCCEEDED"


def test_without_the_patch_a_wait_state_sleeps_in_real_time(unpatched: LocalApp) -> None:
    Clock.set_scale(0.0001)
    arn = _run(unpatched, LONG_WAIT, "wait-unpatched")
    time.sleep(1.0)
    assert unpatched.client("stepfunctions").describe_execution(executionArn=arn)["status"] == "RUNNING"
    unpatched.client("stepfunctions").stop_execution(executionArn=arn)


def _retrying(function_arn: str) -> dict[str, Any]:
    return {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                "Retry": [{"ErrorEquals": ["OutOfStock"], "IntervalSeconds": 600, "MaxAttempts": 2}],
                "End": True,
            }
        },
    }


def test_retry_intervals_are_time_compressed(tiny_app: LocalApp) -> None:
    # Given a task retried twice, ten minutes apart, that always fails
    Clock.set_scale(0.0001)
    work = tiny_app.resource("AWS::Lambda::Function", "Tiny/Work/").arn()
    arn = _run(tiny_app, _retrying(work), "retry", {"fail": "SKU"})
    description = tiny_app.wait_for(arn, timeout=30)
    # Then all three attempts ran and the error surfaced
    assert description["status"] == "FAILED"
    assert description["error"] == "OutOfStock"
    assert sum(1 for e in tiny_app.history(arn) if e["type"] == "TaskFailed") == 3


def test_without_the_patch_a_retry_interval_sleeps_in_real_time(unpatched: LocalApp) -> None:
    Clock.set_scale(0.0001)
    work = unpatched.resource("AWS::Lambda::Function", "Tiny/Work/").arn()
    arn = _run(unpatched, _retrying(work), "retry-unpatched", {"fail": "SKU"})
    time.sleep(1.0)
    assert unpatched.client("stepfunctions").describe_execution(executionArn=arn)["status"] == "RUNNING"
    unpatched.client("stepfunctions").stop_execution(executionArn=arn)


def test_a_different_moto_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_patches.moto, "__version__", "5.3.0")
    moto_patches.uninstall()
    try:
        with pytest.raises(moto_patches.UnsupportedMotoVersion):
            moto_patches.install()
    finally:
        monkeypatch.undo()
        moto_patches.install()
