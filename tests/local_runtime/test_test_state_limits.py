"""TestState's five minutes: a state still running then fails with States.Timeout, as on AWS."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from local_runtime import LocalApp
from tests.local_runtime.conftest import TEMPLATE, _function, write_assembly


def test_a_state_still_running_after_five_minutes_fails_with_states_timeout(tmp_path: Path) -> None:
    # Given a function allowed 15 minutes, asked to work for 6 (virtual) minutes
    template = copy.deepcopy(TEMPLATE)
    template["Resources"]["PatientFunction"] = _function("Patient", "tasks.handler.work", "-", timeout=900)
    with LocalApp(write_assembly(tmp_path / "cdk.out", template=template), log_level="WARNING") as app:
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": app.function_name("Tiny/Patient/"), "Payload": {"sleep": 360}},
            "End": True,
        }
        # When its task is tested without a mock (the handler runs for real)
        answer = app.client("stepfunctions").test_state(definition=json.dumps(state), input="{}")
    # Then TestState gives up at its five minutes
    assert (answer["status"], answer["error"]) == ("FAILED", "States.Timeout")
