"""The Step Functions API answers the parameters it is given as AWS does, or refuses them by name.

One execution of five Pass states gives a history of 12 events; it is read back in pages, newest
first, without its data, and the parameters AWS refuses are refused with AWS's error codes. Each
behaviour has its twin without the patch (moto as shipped ignores them silently).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalApp

FIVE_PASSES = {
    "StartAt": "P0",
    "States": {
        **{
            f"P{n}": {"Type": "Pass", "Result": {"n": n}, "ResultPath": f"$.p{n}", "Next": f"P{n + 1}"}
            for n in range(4)
        },
        "P4": {"Type": "Pass", "End": True},
    },
}


@pytest.fixture
def executed(tiny_app: LocalApp) -> tuple[Any, str]:
    """The Step Functions client and an execution that ran five Pass states to its end."""
    sfn = tiny_app.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="five-passes",
        definition=json.dumps(FIVE_PASSES),
        roleArn=f"arn:aws:iam::{tiny_app.account}:role/r",
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"secret": "s3cr3t"}))["executionArn"]
    tiny_app.drain()
    assert not arn.endswith(":None")  # an unnamed execution is named (a UUID), as on AWS
    return sfn, arn


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def test_the_history_pages_and_the_pages_make_the_whole(executed: tuple[Any, str]) -> None:
    sfn, arn = executed
    whole = sfn.get_execution_history(executionArn=arn)["events"]
    assert len(whole) == 12 and whole[0]["type"] == "ExecutionStarted"
    first = sfn.get_execution_history(executionArn=arn, maxResults=5)
    assert _types(first["events"]) == _types(whole[:5]) and "nextToken" in first
    pages = list(
        sfn.get_paginator("get_execution_history").paginate(
            executionArn=arn, PaginationConfig={"PageSize": 5}
        )
    )
    assert [len(page["events"]) for page in pages] == [5, 5, 2]
    assert _types([e for page in pages for e in page["events"]]) == _types(whole)


def test_reverse_order_starts_with_the_newest_event(executed: tuple[Any, str]) -> None:
    sfn, arn = executed
    (newest,) = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"]
    assert newest["type"] == "ExecutionSucceeded"
    whole = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    assert [e["id"] for e in whole] == sorted((e["id"] for e in whole), reverse=True)


def test_without_execution_data_no_input_or_output_is_returned(executed: tuple[Any, str]) -> None:
    sfn, arn = executed
    events = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert "s3cr3t" not in json.dumps(events, default=str)
    assert events[0]["executionStartedEventDetails"]["roleArn"]  # the rest of the details stay
    assert "s3cr3t" in json.dumps(sfn.get_execution_history(executionArn=arn)["events"], default=str)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ({"nextToken": "not-a-token"}, "InvalidToken"),
        ({"maxResults": 1001}, "ValidationException"),
    ],
)
def test_a_token_or_a_page_size_aws_refuses_is_refused(
    executed: tuple[Any, str], call: dict[str, Any], code: str
) -> None:
    sfn, arn = executed
    with pytest.raises(ClientError) as refused:
        sfn.get_execution_history(executionArn=arn, **call)
    assert refused.value.response["Error"]["Code"] == code


def test_a_token_is_good_only_for_the_order_it_was_given_in(executed: tuple[Any, str]) -> None:
    sfn, arn = executed
    token = sfn.get_execution_history(executionArn=arn, maxResults=2)["nextToken"]
    with pytest.raises(ClientError) as refused:
        sfn.get_execution_history(executionArn=arn, maxResults=2, reverseOrder=True, nextToken=token)
    assert refused.value.response["Error"]["Code"] == "InvalidToken"


def test_a_status_that_does_not_exist_is_refused_not_answered_empty(executed: tuple[Any, str]) -> None:
    sfn, arn = executed
    machine = sfn.describe_execution(executionArn=arn)["stateMachineArn"]
    assert len(sfn.list_executions(stateMachineArn=machine, statusFilter="SUCCEEDED")["executions"]) == 1
    with pytest.raises(ClientError) as refused:
        sfn.list_executions(stateMachineArn=machine, statusFilter="BOGUS")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "BOGUS" in refused.value.response["Error"]["Message"]


def test_a_state_machine_describes_the_logging_and_tracing_its_template_gives_it(tiny_app: LocalApp) -> None:
    # The tiny template's machine has none: logging OFF and tracing off, as AWS reports a default
    machine = tiny_app.resource("AWS::StepFunctions::StateMachine", "Tiny/Machine").ref
    described = tiny_app.client("stepfunctions").describe_state_machine(stateMachineArn=machine)
    assert described["loggingConfiguration"]["level"] == "OFF"
    assert described["tracingConfiguration"] == {"enabled": False}


# --- ValidateStateMachineDefinition -------------------------------------------------------------------


def _validate(app: LocalApp, definition: Any, **request: Any) -> dict[str, Any]:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    answer: dict[str, Any] = app.client("stepfunctions").validate_state_machine_definition(
        definition=text, **request
    )
    answer.pop("ResponseMetadata")
    return answer


def _codes(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(d["code"], d.get("location")) for d in answer["diagnostics"]]


def test_every_deployed_definition_is_valid(tiny_app: LocalApp) -> None:
    for path in sorted(Path(__file__).resolve().parents[2].joinpath("asl").glob("*.asl.json")):
        answer = _validate(tiny_app, path.read_text())
        assert (answer["result"], answer["diagnostics"]) == ("OK", []), path.name


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ("  ", [("MISSING_DESCRIPTION", None)]),  # empty: botocore refuses it before sending
        ('{"StartAt": "A",', [("INVALID_JSON_DESCRIPTION", None)]),
        (
            {"StartAt": "Nope", "States": {"A": {"Type": "Succeed"}}},
            [("MISSING_TRANSITION_TARGET", "/StartAt")],
        ),
        (
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Gone"}, "B": {"Type": "Succeed"}}},
            [("MISSING_TRANSITION_TARGET", "/States/A/Next")],
        ),
        (
            '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Fail"}}}',
            [("DUPLICATE_STATE_NAME", "/States/A")],
        ),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}, [("MISSING_END_STATE", "/")]),
        (
            {"StartAt": "A", "States": {"A": {"Type": "Task", "End": True}}},
            [("SCHEMA_VALIDATION_FAILED", "/States/A")],
        ),
        (
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Next": "A"}}},
            [("SCHEMA_VALIDATION_FAILED", "/States/A")],
        ),
        (
            {
                "StartAt": "P",
                "States": {
                    "P": {
                        "Type": "Parallel",
                        "End": True,
                        "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}],
                    }
                },
            },
            [
                ("MISSING_TRANSITION_TARGET", "/States/P/Branches/0/States/X/Next"),
                ("MISSING_END_STATE", "/States/P/Branches/0"),
            ],
        ),
    ],
)
def test_a_broken_definition_fails_with_aws_diagnostics(
    tiny_app: LocalApp, definition: Any, expected: list[tuple[str, str | None]]
) -> None:
    answer = _validate(tiny_app, definition)
    assert answer["result"] == "FAIL" and _codes(answer) == expected
    assert all(d["severity"] == "ERROR" and d["message"] for d in answer["diagnostics"])


def test_warnings_are_shown_only_when_asked_for_and_do_not_fail(tiny_app: LocalApp) -> None:
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Parameters": {"order": "$.order"}, "End": True}},
    }
    assert _validate(tiny_app, definition) == {"result": "OK", "diagnostics": [], "truncated": False}
    warned = _validate(tiny_app, definition, severity="WARNING")
    assert warned["result"] == "OK" and _codes(warned) == [("NO_DOLLAR", "/States/A/Parameters/order")]


def test_diagnostics_are_capped_and_the_answer_says_so(tiny_app: LocalApp) -> None:
    states = {f"S{n}": {"Type": "Pass", "Next": f"Gone{n}"} for n in range(5)}
    answer = _validate(
        tiny_app, {"StartAt": "S0", "States": {**states, "End": {"Type": "Succeed"}}}, maxResults=2
    )
    assert (answer["result"], len(answer["diagnostics"]), answer["truncated"]) == ("FAIL", 2, True)
    with pytest.raises(ClientError) as refused:
        _validate(tiny_app, {"StartAt": "S0", "States": states}, maxResults=101)
    assert refused.value.response["Error"]["Code"] == "ValidationException"


# --- SendTask*: refusals named as AWS names them --------------------------------------------------


def _waiting_token(app: LocalApp, name: str = "waits", **limits: int) -> tuple[str, str]:
    """An execution waiting on a callback token, and that token (``limits``: the task's
    TimeoutSeconds, 3600 by default, and HeartbeatSeconds)."""
    fn = app.resource("AWS::Lambda::Function", "Tiny/Work/").arn()
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": fn, "Payload": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 3600,
                **limits,
                "End": True,
            }
        },
    }
    sfn = app.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=f"arn:aws:iam::{app.account}:role/r"
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    app.drain()
    (scheduled,) = [e for e in app.history(arn) if e["type"] == "TaskScheduled"]
    return arn, str(json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["Payload"]["token"])


def _refusal(call: Any, **request: Any) -> str:
    with pytest.raises(ClientError) as refused:
        call(**request)
    return str(refused.value.response["Error"]["Code"])


def test_a_token_whose_task_is_over_does_not_exist_and_a_made_up_one_is_invalid(tiny_app: LocalApp) -> None:
    sfn = tiny_app.client("stepfunctions")
    arn, token = _waiting_token(tiny_app)
    # An answer that is not JSON is refused before anything is delivered
    assert _refusal(sfn.send_task_success, taskToken=token, output="{not json") == "InvalidOutput"
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    # Answered once: the task is over, and every later call says so
    sfn.send_task_success(taskToken=token, output='{"ok": true}')
    tiny_app.drain()
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
    assert _refusal(sfn.send_task_success, taskToken=token, output="{}") == "TaskDoesNotExist"
    assert _refusal(sfn.send_task_failure, taskToken=token, error="Late") == "TaskDoesNotExist"
    assert _refusal(sfn.send_task_heartbeat, taskToken=token) == "TaskDoesNotExist"
    # What was never a token is invalid
    assert _refusal(sfn.send_task_heartbeat, taskToken="made-up") == "InvalidToken"


@pytest.mark.parametrize(
    "limits", [{"TimeoutSeconds": 60}, {"HeartbeatSeconds": 60}], ids=["timeout", "heartbeat"]
)
def test_an_answer_after_its_task_timed_out_is_task_timed_out(
    tiny_app: LocalApp, limits: dict[str, int]
) -> None:
    sfn = tiny_app.client("stepfunctions")
    arn, token = _waiting_token(tiny_app, name=f"times-out-{next(iter(limits)).lower()}", **limits)
    tiny_app.advance(120)
    assert sfn.describe_execution(executionArn=arn)["status"] == "FAILED"
    assert _refusal(sfn.send_task_success, taskToken=token, output="{}") == "TaskTimedOut"
    assert _refusal(sfn.send_task_heartbeat, taskToken=token) == "TaskTimedOut"


# --- DescribeExecution's redrive fields, StartSyncExecution's billing -----------------------------


def test_an_execution_says_whether_and_how_often_it_was_redriven(tiny_app: LocalApp) -> None:
    sfn = tiny_app.client("stepfunctions")
    running, token = _waiting_token(tiny_app)
    described = sfn.describe_execution(executionArn=running)
    assert (described["redriveCount"], described["redriveStatus"]) == (0, "NOT_REDRIVABLE")
    assert "RUNNING" in described["redriveStatusReason"]
    sfn.send_task_failure(taskToken=token, error="Declined")
    tiny_app.drain()
    failed = sfn.describe_execution(executionArn=running)
    assert (failed["status"], failed["redriveCount"], failed["redriveStatus"]) == ("FAILED", 0, "REDRIVABLE")
    assert "redriveDate" not in failed and failed["inputDetails"] == {"included": True}
    sfn.redrive_execution(executionArn=running)
    tiny_app.drain()
    redriven = sfn.describe_execution(executionArn=running)
    assert redriven["redriveCount"] == 1 and redriven["redriveDate"] >= failed["stopDate"]
    # and the executions are listed by whether they were redriven, paged as the others
    machine = redriven["stateMachineArn"]
    never, _ = _waiting_token(tiny_app)
    listed = {
        name: [
            e["executionArn"]
            for e in sfn.list_executions(stateMachineArn=machine, redriveFilter=name)["executions"]
        ]
        for name in ("REDRIVEN", "NOT_REDRIVEN")
    }
    assert listed == {"REDRIVEN": [running], "NOT_REDRIVEN": [never]}
    page = sfn.list_executions(stateMachineArn=machine, redriveFilter="NOT_REDRIVEN", maxResults=1)
    assert len(page["executions"]) == 1 and "nextToken" not in page
    with pytest.raises(ClientError) as refused:
        sfn.list_executions(stateMachineArn=machine, redriveFilter="SOMETIMES")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "redriveFilter" in refused.value.response["Error"]["Message"]


def test_the_state_machine_of_an_execution_is_described_and_an_unknown_one_does_not_exist(
    executed: tuple[Any, str],
) -> None:
    sfn, arn = executed
    described = sfn.describe_state_machine_for_execution(executionArn=arn)
    assert described["name"] == "five-passes" and json.loads(described["definition"]) == FIVE_PASSES
    assert (
        _refusal(sfn.describe_state_machine_for_execution, executionArn=arn + "-gone")
        == "ExecutionDoesNotExist"
    )


def test_tags_are_kept_for_a_state_machine_that_exists_only(executed: tuple[Any, str]) -> None:
    sfn, arn = executed
    machine = sfn.describe_execution(executionArn=arn)["stateMachineArn"]
    sfn.tag_resource(resourceArn=machine, tags=[{"key": "team", "value": "orders"}])
    assert sfn.list_tags_for_resource(resourceArn=machine)["tags"] == [{"key": "team", "value": "orders"}]
    for call in (
        lambda: sfn.tag_resource(resourceArn=machine + "-gone", tags=[{"key": "team", "value": "orders"}]),
        lambda: sfn.untag_resource(resourceArn=machine + "-gone", tagKeys=["team"]),
        lambda: sfn.list_tags_for_resource(resourceArn=machine + "-gone"),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "ResourceNotFound"


def test_a_stop_names_its_error_and_cause_within_aws_limits(tiny_app: LocalApp) -> None:
    sfn = tiny_app.client("stepfunctions")
    running, _ = _waiting_token(tiny_app)
    for too_long in ({"error": "E" * 257}, {"cause": "c" * 32769}):
        with pytest.raises(ClientError) as refused:
            sfn.stop_execution(executionArn=running, **too_long)
        assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert sfn.describe_execution(executionArn=running)["status"] == "RUNNING"  # nothing stopped
    sfn.stop_execution(executionArn=running, error="E" * 256, cause="by an operator")
    tiny_app.drain()
    (aborted,) = sfn.get_execution_history(executionArn=running, reverseOrder=True, maxResults=1)["events"]
    assert aborted["executionAbortedEventDetails"] == {"error": "E" * 256, "cause": "by an operator"}


def test_a_synchronous_express_execution_is_billed_as_aws_bills_it(tiny_app: LocalApp) -> None:
    machine = tiny_app.resource("AWS::StepFunctions::StateMachine", "Tiny/BatchMachine").ref
    answer = tiny_app.client("stepfunctions").start_sync_execution(stateMachineArn=machine, input="[]")
    billed = answer["billingDetails"]
    assert billed["billedMemoryUsedInMB"] == 64
    assert billed["billedDurationInMilliseconds"] >= 100 and billed["billedDurationInMilliseconds"] % 100 == 0
