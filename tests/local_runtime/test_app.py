"""The LocalApp API: drain, parked callbacks."""

from __future__ import annotations

import json

from local_runtime import LocalApp
from tests.local_runtime.test_moto_patches import _callback, _run


def test_drain_returns_when_only_callbacks_are_pending_and_resumes_after_the_answer(
    tiny_app: LocalApp,
) -> None:
    # Given an execution waiting for a task token (an outside party must answer)
    arn = _run(tiny_app, _callback(tiny_app), "parked")
    # When the app drains
    tiny_app.drain(timeout=10)
    # Then drain does not wait for the answer: the execution is parked, not busy
    assert tiny_app.parked_executions() == [arn]
    scheduled = next(e for e in tiny_app.history(arn) if e["type"] == "TaskScheduled")
    token = json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["Payload"]["token"]
    # When the outside party answers and the app drains again
    tiny_app.client("stepfunctions").send_task_success(taskToken=token, output=json.dumps({"paid": True}))
    tiny_app.drain(timeout=10)
    # Then the execution completed with the answer
    description = tiny_app.client("stepfunctions").describe_execution(executionArn=arn)
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"]) == {"paid": True}
    assert tiny_app.parked_executions() == []
