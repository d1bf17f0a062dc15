"""Step Functions Local's mocked-responses contract on the embedded engine: where the file comes
from, and the errors Step Functions answers for what cannot run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalApp, moto_patches
from local_runtime.moto_patches import mock_config

DEFINITION: dict[str, Any] = {
    "StartAt": "Call",
    "States": {
        "Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:absent"},
            "End": True,
        }
    },
}
CONFIG = {
    "StateMachines": {
        "mocked": {"TestCases": {"Answered": {"Call": "Ok"}, "Ghost": {"NoSuchState": "Ok"}}},
    },
    "MockedResponses": {"Ok": {"0": {"Return": {"StatusCode": 200, "Payload": {"mocked": True}}}}},
}


@pytest.fixture
def machine(tiny_app: LocalApp) -> Iterator[str]:
    sfn = tiny_app.client("stepfunctions")
    yield sfn.create_state_machine(
        name="mocked", definition=json.dumps(DEFINITION), roleArn="arn:aws:iam::123456789012:role/probe"
    )["stateMachineArn"]
    mock_config.use_mock_config(None)


def _start(app: LocalApp, arn: str, payload: str = "{}", name: str = "run") -> Any:
    return app.client("stepfunctions").start_execution(stateMachineArn=arn, name=name, input=payload)


def test_the_file_sfn_mock_config_names_is_read(
    tiny_app: LocalApp, machine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(CONFIG))
    monkeypatch.setenv("SFN_MOCK_CONFIG", str(path))
    started = _start(tiny_app, f"{machine}#Answered")
    assert json.loads(tiny_app.wait_for(started["executionArn"])["output"])["Payload"] == {"mocked": True}


@pytest.mark.parametrize(
    ("suffix", "payload", "code", "message"),
    [
        ("#NoSuchCase", "{}", "InvalidName", "no test case 'NoSuchCase'"),
        ("#Ghost", "{}", "InvalidName", "lacks: NoSuchState"),
        ("#Answered", "{not json", "InvalidExecutionInput", ""),
    ],
)
def test_what_cannot_run_is_refused_with_step_functions_error_codes(
    tiny_app: LocalApp, machine: str, suffix: str, payload: str, code: str, message: str
) -> None:
    mock_config.use_mock_config(CONFIG)
    with pytest.raises(ClientError) as refused:
        _start(tiny_app, machine + suffix, payload)
    assert refused.value.response["Error"]["Code"] == code
    assert message in refused.value.response["Error"]["Message"]


def test_an_unknown_state_machine_and_a_task_token_nobody_issued_are_refused(tiny_app: LocalApp) -> None:
    sfn = tiny_app.client("stepfunctions")
    with pytest.raises(ClientError) as unknown:
        sfn.start_execution(
            stateMachineArn="arn:aws:states:eu-west-1:123456789012:stateMachine:Nope#Case",
            name="x",
            input="{}",
        )
    assert unknown.value.response["Error"]["Code"] == "StateMachineDoesNotExist"
    with pytest.raises(ClientError) as token:
        sfn.send_task_success(taskToken="not-a-token-anyone-issued", output="{}")
    assert token.value.response["Error"]["Code"] in ("InvalidToken", "TaskDoesNotExist")


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"StateMachines": {}, "MockedResponses": {}, "Extra": 1}, "Extra"),
        ({"StateMachines": {"m": {"TestCases": {"c": {"S": "Missing"}}}}, "MockedResponses": {}}, "Missing"),
        (
            {"StateMachines": {}, "MockedResponses": {"R": {"0": {"Return": 1, "Throw": {"Error": "E"}}}}},
            "exactly one",
        ),
    ],
)
def test_a_malformed_mock_configuration_is_refused_naming_the_problem(
    document: dict[str, Any], problem: str
) -> None:
    with pytest.raises(mock_config.MockConfigError, match=problem):
        mock_config.use_mock_config(document)


def test_without_the_patch_the_test_case_suffix_names_no_state_machine(
    tiny_app: LocalApp, machine: str
) -> None:
    mock_config.use_mock_config(CONFIG)
    with moto_patches.without("backend_start_execution"):
        with pytest.raises(ClientError) as refused:
            _start(tiny_app, f"{machine}#Answered", name="unpatched")
        assert refused.value.response["Error"]["Code"] == "StateMachineDoesNotExist"


def test_without_the_patch_a_test_case_runs_the_real_tasks(tiny_app: LocalApp, machine: str) -> None:
    # The case's mocked answer never reaches the task: the real Lambda is called (and here, the
    # function named does not exist, so the task fails where the mock would have answered)
    mock_config.use_mock_config(CONFIG)
    with moto_patches.without("execution_worker"):
        started = _start(tiny_app, f"{machine}#Answered", name="unmocked")
    ended = tiny_app.wait_for(started["executionArn"])
    assert ended["status"] == "FAILED"
    mocked = tiny_app.wait_for(_start(tiny_app, f"{machine}#Answered", name="mocked")["executionArn"])
    assert json.loads(mocked["output"])["Payload"] == {"mocked": True}


PUT_ITEM = {
    "StartAt": "Put",
    "States": {
        "Put": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": "orders", "Item": {"pk": {"S": "o-1"}}},
            "End": True,
        }
    },
}
TAKEN = {
    "StateMachines": {"put": {"TestCases": {"Taken": {"Put": "Conflict"}}}},
    "MockedResponses": {
        "Conflict": {"0": {"Throw": {"Error": "DynamoDB.ConditionalCheckFailedException", "Cause": "taken"}}}
    },
}


def _test_case(
    app: LocalApp, machine: str, definition: dict[str, Any], config: dict[str, Any], case: str, run: str
) -> dict[str, Any]:
    """Run the mock configuration's test case `case` of `machine` to its end."""
    arn = app.client("stepfunctions").create_state_machine(
        name=machine, definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/probe"
    )["stateMachineArn"]
    mock_config.use_mock_config(config)
    try:
        return dict(app.wait_for(_start(app, f"{arn}#{case}", name=run)["executionArn"]))
    finally:
        mock_config.use_mock_config(None)


def _mocked_put(app: LocalApp, run: str) -> dict[str, Any]:
    return _test_case(app, "put", PUT_ITEM, TAKEN, "Taken", run)


def test_a_mocked_throw_on_a_dynamodb_task_keeps_its_error_name(tiny_app: LocalApp) -> None:
    ended = _mocked_put(tiny_app, "kept")
    assert (ended["status"], ended["error"]) == ("FAILED", "DynamoDB.ConditionalCheckFailedException")


def test_without_the_patch_a_mocked_throw_on_a_dynamodb_task_is_renamed(tiny_app: LocalApp) -> None:
    with moto_patches.without("dynamodb_from_error"):
        ended = _mocked_put(tiny_app, "renamed")
    assert ended["status"] == "FAILED"
    assert ended["error"] != "DynamoDB.ConditionalCheckFailedException"


CAUGHT_TIMEOUT = {
    "StartAt": "Call",
    "States": {
        "Call": {
            **DEFINITION["States"]["Call"],
            "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Caught"}],
        },
        "Caught": {"Type": "Pass", "End": True},
    },
}
LATE = {
    "StateMachines": {"slow": {"TestCases": {"Slow": {"Call": "Late"}}}},
    "MockedResponses": {"Late": {"0": {"Throw": {"Error": "States.Timeout", "Cause": "slow"}}}},
}


def _mocked_timeout(app: LocalApp, run: str) -> dict[str, Any]:
    return _test_case(app, "slow", CAUGHT_TIMEOUT, LATE, "Slow", run)


def test_a_mocked_throw_of_a_states_error_is_caught_by_its_name(tiny_app: LocalApp) -> None:
    ended = _mocked_timeout(tiny_app, "caught")
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"]) == {"Error": "States.Timeout", "Cause": "slow"}


def test_without_the_patch_a_mocked_throw_of_a_states_error_is_a_runtime_error(tiny_app: LocalApp) -> None:
    with moto_patches.without("mocked_throw"):
        ended = _mocked_timeout(tiny_app, "runtime-error")
    assert (ended["status"], ended["error"]) == ("FAILED", "States.Runtime")
