"""TestState, offline, over every Task and Choice state of every state machine of the project.

For a Task: a mocked result goes to its Next (SUCCEEDED); an error each catcher takes goes to
that catcher's Next (CAUGHT_ERROR) once no retrier has attempts left; an error a retrier takes
is RETRIABLE while it has attempts. For a Choice: an input built to satisfy each rule (and no
earlier one) goes to that rule's Next, and one satisfying none to the Default. Inputs and mocked
results are built from the paths the state reads, so every case exercises the state's own
InputPath, Parameters, ResultSelector and ResultPath on the engine.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sfn_local.conftest import ENDPOINT, Target

pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(
        bool(ENDPOINT), reason="Step Functions Local has no TestState; the embedded runtime does"
    ),
]

ASL_DIR = Path(__file__).resolve().parents[2] / "asl"
_PATH = re.compile(r"(?<!\$)\$((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
UNEXPECTED = "TestState.Unexpected"


def _states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name, state in definition["States"].items():
        found[name] = state
        nested = state.get("ItemProcessor") or state.get("Iterator")
        if nested:
            found.update(_states(nested))
    return found


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    parts = path.strip(".").split(".")
    for part in parts[:-1]:
        document = document.setdefault(part, {})
        if not isinstance(document, dict):
            return
    document.setdefault(parts[-1], value)


def _paths_read(template: Any) -> list[str]:
    """The `$.a.b` paths a Parameters / ResultSelector template reads (intrinsics included)."""
    if isinstance(template, dict):
        return [
            path
            for key, value in template.items()
            for path in (
                _PATH.findall(value) if key.endswith(".$") and isinstance(value, str) else _paths_read(value)
            )
        ]
    if isinstance(template, list):
        return [path for item in template for path in _paths_read(item)]
    return []


def _document(paths: list[str]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for path in paths:
        _set(document, path, "x")
    return document


def _task_cases() -> list[tuple[str, str, str, Any]]:
    cases = []
    for path in sorted(ASL_DIR.glob("*.asl.json")):
        for name, state in _states(json.loads(path.read_text())).items():
            if state["Type"] != "Task":
                continue
            cases.append((path.stem.removesuffix(".asl"), name, "result", None))
            for index, _catcher in enumerate(state.get("Catch", [])):
                cases.append((path.stem.removesuffix(".asl"), name, "catch", index))
            for index, retrier in enumerate(state.get("Retry", [])):
                if retrier.get("MaxAttempts", 3) > 0:
                    cases.append((path.stem.removesuffix(".asl"), name, "retry", index))
    return cases


def _choice_cases() -> list[tuple[str, str, int | None]]:
    cases: list[tuple[str, str, int | None]] = []
    for path in sorted(ASL_DIR.glob("*.asl.json")):
        for name, state in _states(json.loads(path.read_text())).items():
            if state["Type"] == "Choice":
                cases += [(path.stem.removesuffix(".asl"), name, i) for i in range(len(state["Choices"]))]
                if "Default" in state:
                    cases.append((path.stem.removesuffix(".asl"), name, None))
    return cases


def _state(machine: str, name: str) -> dict[str, Any]:
    return _states(json.loads((ASL_DIR / f"{machine}.asl.json").read_text()))[name]


def _error_for(state: dict[str, Any], names: list[str]) -> str:
    """An error the given ErrorEquals matches (States.ALL: one no other rule names)."""
    return next((n for n in names if n != "States.ALL"), UNEXPECTED)


def _call(target: Target, state: dict[str, Any], payload: Any, **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = target.client.test_state(
        definition=json.dumps(state), input=json.dumps(payload), inspectionLevel="INFO", **extra
    )
    return answer


@pytest.mark.parametrize(("machine", "name", "kind", "index"), _task_cases(), ids=str)
def test_every_task_state(target: Target, machine: str, name: str, kind: str, index: int | None) -> None:
    state = _state(machine, name)
    payload = _document(_paths_read(state.get("Parameters", {})))
    if kind == "result":
        result = _document([p.removeprefix(".") for p in _paths_read(state.get("ResultSelector", {}))])
        # the result holds placeholders at the paths the state reads: a data-flow case, not the
        # service's response shape (the mode tests below check that)
        answer = _call(
            target, state, payload, mock={"result": json.dumps(result), "fieldValidationMode": "NONE"}
        )
        assert answer["status"] == "SUCCEEDED", answer
        assert answer.get("nextState") == state.get("Next")
        assert "output" in answer
        return
    if kind == "catch":
        catcher = state["Catch"][index]
        error = _error_for(state, catcher["ErrorEquals"])
        earlier = [n for c in state["Catch"][:index] for n in c["ErrorEquals"]]
        if error in earlier or (error == UNEXPECTED and "States.ALL" in earlier):
            pytest.skip("an earlier catcher takes every error this one names")
        answer = _call(
            target,
            state,
            payload,
            mock={"errorOutput": {"error": error, "cause": "from the test"}},
            stateConfiguration={"retrierRetryCount": 1000},
        )
        assert (answer["status"], answer.get("nextState"), answer.get("error")) == (
            "CAUGHT_ERROR",
            catcher["Next"],
            error,
        )
        assert answer["inspectionData"]["errorDetails"]["catchIndex"] == index
        return
    retrier = state["Retry"][index]
    error = _error_for(state, retrier["ErrorEquals"])
    first = next(
        i
        for i, r in enumerate(state["Retry"])
        if error in r["ErrorEquals"] or "States.ALL" in r["ErrorEquals"]
    )
    answer = _call(target, state, payload, mock={"errorOutput": {"error": error, "cause": "from the test"}})
    if state["Retry"][first].get("MaxAttempts", 3) == 0:
        assert answer["status"] in ("CAUGHT_ERROR", "FAILED"), answer
        return
    assert answer["status"] == "RETRIABLE", answer
    assert answer["inspectionData"]["errorDetails"]["retryIndex"] == first
    assert answer["inspectionData"]["errorDetails"]["retryBackoffIntervalSeconds"] == int(
        state["Retry"][first].get("IntervalSeconds", 1)
    )


_SATISFY = {
    "BooleanEquals": (lambda v: v, lambda v: not v),
    "NumericGreaterThan": (lambda v: v + 1, lambda v: v),
    "NumericEquals": (lambda v: v, lambda v: v + 1),
    "StringEquals": (lambda v: v, lambda v: f"{v}-not"),
}


_TYPE_TESTS = {"IsString": ("text", 1), "IsNumeric": (1, "1")}
_PATH_COMPARISONS = {"NumericEqualsPath": (100, 101), "StringEqualsPath": ("EUR", "USD")}


def _apply(document: dict[str, Any], rule: dict[str, Any], satisfied: bool) -> None:
    """Shape `document` so that `rule` holds (or fails); an unsatisfied `And` fails on its last test.

    `_set` keeps the first value written, so an `And` is shaped from its last test back: a
    value test (`StringEquals`) wins over the type test (`IsString`) written before it.
    """
    if "And" in rule:
        *leading, last = rule["And"]
        _apply(document, last, satisfied)
        for inner in reversed(leading):
            _apply(document, inner, satisfied=True)
        return
    path = rule["Variable"].removeprefix("$.")
    for test, (meets, misses) in _TYPE_TESTS.items():
        if test in rule:
            _set(document, path, meets if rule[test] == satisfied else misses)
            return
    for comparison, (value, other) in _PATH_COMPARISONS.items():
        if comparison in rule:
            _set(document, rule[comparison].removeprefix("$."), value)
            _set(document, path, value if satisfied else other)
            return
    if "IsPresent" in rule:
        if rule["IsPresent"] == satisfied:
            _set(document, path, "present")
        return
    (operator,) = [key for key in _SATISFY if key in rule]
    make, negate = _SATISFY[operator]
    _set(document, path, (make if satisfied else negate)(rule[operator]))


@pytest.mark.parametrize(("machine", "name", "index"), _choice_cases(), ids=str)
def test_every_choice_state(target: Target, machine: str, name: str, index: int | None) -> None:
    state = _state(machine, name)
    rules = state["Choices"]
    payload: dict[str, Any] = {}
    chosen = rules if index is None else rules[:index]
    for rule in chosen:
        _apply(payload, rule, satisfied=False)
    if index is not None:
        _apply(payload, rules[index], satisfied=True)
    answer = _call(target, state, payload)
    expected = state["Default"] if index is None else rules[index]["Next"]
    assert (answer["status"], answer.get("nextState")) == ("SUCCEEDED", expected), (payload, answer)


def test_debug_shows_each_processing_step(target: Target) -> None:
    state = _state("order_saga", "ReserveInventory")
    answer = target.client.test_state(
        definition=json.dumps(state),
        input=json.dumps({"order": {"orderId": "o-1"}, "noise": 1}),
        inspectionLevel="DEBUG",
        mock={"result": json.dumps({"StatusCode": 200, "Payload": {"reservationId": "r-1"}})},
    )
    steps = {key: json.loads(value) for key, value in answer["inspectionData"].items()}
    assert steps["afterParameters"]["Payload"] == {"order": {"orderId": "o-1"}}
    assert steps["result"] == {"StatusCode": 200, "Payload": {"reservationId": "r-1"}}
    assert steps["afterResultSelector"] == {"value": {"reservationId": "r-1"}}
    assert steps["afterResultPath"]["reservation"] == {"value": {"reservationId": "r-1"}}
    assert json.loads(answer["output"]) == steps["afterResultPath"]


def test_a_whole_definition_with_a_state_name_and_a_real_handler_without_a_mock(target: Target) -> None:
    # Without a mock a Lambda task runs for real: here a function that does not exist
    definition = json.loads((ASL_DIR / "claim_check_split.asl.json").read_text())
    answer = target.client.test_state(
        definition=json.dumps(definition).replace(
            "${IssueClaimFunctionArn}", "arn:aws:lambda:us-east-1:123456789012:function:absent"
        ),
        stateName="IssueClaim",
        input="[]",
    )
    assert answer["status"] == "CAUGHT_ERROR" and answer["nextState"] == "ClaimNotIssued"


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({"definition": "{not json", "input": "{}"}, "InvalidDefinition"),
        (
            {
                "definition": json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}),
                "input": "{}",
            },
            "InvalidDefinition",
        ),
        (
            {
                "definition": json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}),
                "stateName": "B",
                "input": "{}",
            },
            "InvalidDefinition",
        ),
        (
            {"definition": json.dumps({"Type": "Pass", "End": True}), "input": "{not json"},
            "InvalidExecutionInput",
        ),
        ({"definition": json.dumps({"Type": "NoSuchType", "End": True}), "input": "{}"}, "InvalidDefinition"),
    ],
)
def test_bad_requests_get_the_error_codes_step_functions_returns(
    target: Target, request_: dict[str, Any], code: str
) -> None:
    with pytest.raises(ClientError) as refused:
        target.client.test_state(**request_)
    assert refused.value.response["Error"]["Code"] == code
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_variables_are_given_to_the_state_and_shown_after_it(target: Target) -> None:
    # Given a state that reads two workflow variables and assigns a third
    state = {
        "Type": "Pass",
        "Parameters": {"customer.$": "$customer", "limit.$": "$limits.daily"},
        "Assign": {"checked.$": "$.customer"},  # $ is the state's result here, as on AWS
        "End": True,
    }
    variables = {"customer": "cust-0042", "limits": {"daily": 500}}
    # When it is tested with those variables at DEBUG
    answer = target.client.test_state(
        definition=json.dumps(state),
        input=json.dumps({"orderId": "o-1"}),
        variables=json.dumps(variables),
        inspectionLevel="DEBUG",
    )
    # Then it read them, and the variables after it hold the given ones and the assigned one
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"customer": "cust-0042", "limit": 500}
    assert json.loads(answer["inspectionData"]["afterParameters"]) == {"customer": "cust-0042", "limit": 500}
    assert json.loads(answer["inspectionData"]["variables"]) == {**variables, "checked": "cust-0042"}


def test_variables_that_are_not_an_object_of_names_are_refused(target: Target) -> None:
    for variables in ("[1, 2]", json.dumps({"not a name": 1}), "{not json"):
        with pytest.raises(ClientError) as refused:
            target.client.test_state(
                definition=json.dumps({"Type": "Pass", "End": True}), input="{}", variables=variables
            )
        assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_a_state_of_a_jsonata_definition_is_tested_in_jsonata(target: Target) -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Add",
        "States": {
            "Add": {
                "Type": "Pass",
                "Assign": {"total": "{% $states.input.n + $bonus %}"},
                "Output": "{% $states.input.n + 1 %}",
                "End": True,
            }
        },
    }
    answer = target.client.test_state(
        definition=json.dumps(definition),
        stateName="Add",
        input='{"n": 1}',
        variables='{"bonus": 10}',
        inspectionLevel="DEBUG",
    )
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", 2)
    assert json.loads(answer["inspectionData"]["variables"]) == {"bonus": 10, "total": 11}


def test_debug_of_a_jsonata_task_shows_its_arguments_and_no_jsonpath_step(target: Target) -> None:
    state = {
        "Type": "Task",
        "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {
            "FunctionName": "reserve",
            "Payload": {"sku": "{% $states.input.sku %}", "n": "{% $n + 1 %}"},
        },
        "Output": "{% $states.result.Payload %}",
        "End": True,
    }
    answer = target.client.test_state(
        definition=json.dumps(state),
        input='{"sku": "A"}',
        variables='{"n": 1}',
        mock={"result": json.dumps({"Payload": {"reserved": True}})},
        inspectionLevel="DEBUG",
    )
    data = answer["inspectionData"]
    assert json.loads(data["afterArguments"]) == {"FunctionName": "reserve", "Payload": {"sku": "A", "n": 2}}
    assert json.loads(data["result"]) == {"Payload": {"reserved": True}}
    assert json.loads(answer["output"]) == {"reserved": True}
    assert not {"afterInputPath", "afterParameters", "afterResultSelector", "afterResultPath"} & set(data)


def test_debug_of_a_jsonata_map_shows_its_items_as_selected(target: Target) -> None:
    state = {
        "Type": "Map",
        "QueryLanguage": "JSONata",
        "Items": "{% $states.input.order.lines %}",
        "ItemSelector": {
            "sku": "{% $states.context.Map.Item.Value.sku %}",
            "at": "{% $states.context.Map.Item.Index %}",
        },
        "ItemProcessor": {"StartAt": "Reserve", "States": {"Reserve": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    answer = target.client.test_state(
        definition=json.dumps(state),
        input=json.dumps(ORDER),
        mock={"result": "[1, 2, 3]"},
        inspectionLevel="DEBUG",
    )
    data = answer["inspectionData"]
    assert json.loads(data["afterItemSelector"]) == [{"sku": sku, "at": i} for i, sku in enumerate("ABC")]
    assert not {"afterItemsPath", "afterInputPath", "afterArguments", "afterParameters"} & set(data)


def test_a_callback_map_or_parallel_state_without_a_mock_is_refused(target: Target) -> None:
    # AWS tests these only with a mock: they would wait on something outside the test
    for state in (
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
            "End": True,
        },
        _state("claim_check_resolve", "ImportLines"),
    ):
        with pytest.raises(ClientError) as refused:
            target.client.test_state(definition=json.dumps(state), input="{}")
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert "needs a mock" in refused.value.response["Error"]["Message"]


PUBLISH = {
    "Type": "Task",
    "Resource": "arn:aws:states:::events:putEvents",
    "Parameters": {"Entries": [{"Source": "s", "DetailType": "d", "Detail": {}}]},
    "End": True,
}


@pytest.mark.parametrize(
    ("result", "mode", "problem"),
    [
        ({"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}, "STRICT", None),
        ({"FailedEntryCount": "none", "Entries": []}, "STRICT", "FailedEntryCount must be an integer"),
        (
            {"FailedEntryCount": 0, "Entries": [], "Surprise": 1},
            "STRICT",
            "Surprise is not a field of PutEventsResponse",
        ),
        (
            {"FailedEntryCount": 0, "Entries": [{"EventId": 7}]},
            "PRESENT",
            r"Entries\[0\].EventId must be a string",
        ),
        ({"FailedEntryCount": "none"}, "NONE", None),
    ],
)
def test_a_mocked_result_is_checked_against_the_services_api_as_its_mode_says(
    target: Target, result: dict[str, Any], mode: str, problem: str | None
) -> None:
    mock = {"result": json.dumps(result), "fieldValidationMode": mode}
    if problem is None:
        assert _call(target, PUBLISH, {}, mock=mock)["status"] == "SUCCEEDED"
        return
    with pytest.raises(ClientError) as refused:
        _call(target, PUBLISH, {}, mock=mock)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert re.search(problem, refused.value.response["Error"]["Message"])


def test_strict_wants_the_required_fields_and_present_does_not(target: Target) -> None:
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:cognitoidentityprovider:adminGetUser",
        "Parameters": {"UserPoolId": "p", "Username": "u"},
        "End": True,
    }
    attributes = {"UserAttributes": [{"Name": "email", "Value": "ada@example.com"}]}
    with pytest.raises(ClientError) as refused:
        _call(target, state, {}, mock={"result": json.dumps(attributes)})  # STRICT by default
    assert "Username is required" in refused.value.response["Error"]["Message"]
    present = _call(
        target, state, {}, mock={"result": json.dumps(attributes), "fieldValidationMode": "PRESENT"}
    )
    assert present["status"] == "SUCCEEDED"


def test_a_lambda_payload_is_json_and_a_callback_result_is_not_checked(target: Target) -> None:
    invoke = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"},
        "End": True,
    }
    answer = _call(
        target, invoke, {}, mock={"result": json.dumps({"StatusCode": 200, "Payload": {"any": ["json"]}})}
    )
    assert answer["status"] == "SUCCEEDED"
    callback = {**invoke, "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken"}
    answer = _call(target, callback, {}, mock={"result": json.dumps({"whatever": "the sender answers"})})
    assert answer["status"] == "SUCCEEDED"


def test_an_unknown_validation_mode_is_refused(target: Target) -> None:
    with pytest.raises(ClientError) as refused:
        _call(target, PUBLISH, {}, mock={"result": "{}", "fieldValidationMode": "LENIENT"})
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_the_context_object_given_is_what_the_state_reads(target: Target) -> None:
    # Given a state inside a Map that reads the execution and its item from the Context object
    state = {
        "Type": "Pass",
        "Parameters": {
            "execution.$": "$$.Execution.Name",
            "sku.$": "$$.Map.Item.Value.sku",
            "at.$": "$$.Map.Item.Index",
        },
        "End": True,
    }
    context = {
        "Execution": {"Name": "order-42"},
        "Map": {"Item": {"Index": 3, "Value": {"sku": "SKU-MUG-02"}}},
    }
    # When it is tested with that context / Then it reads it, at every inspection step too
    answer = target.client.test_state(
        definition=json.dumps(state), input="{}", context=json.dumps(context), inspectionLevel="DEBUG"
    )
    expected = {"execution": "order-42", "sku": "SKU-MUG-02", "at": 3}
    assert json.loads(answer["output"]) == expected
    assert json.loads(answer["inspectionData"]["afterParameters"]) == expected
    with pytest.raises(ClientError) as refused:
        target.client.test_state(definition=json.dumps(state), input="{}", context="[1]")
    assert refused.value.response["Error"]["Code"] == "ValidationException"


ORDER_LINES = {
    "Type": "Map",
    "InputPath": "$.order",
    "ItemsPath": "$.lines",
    "ItemSelector": {
        "sku.$": "$$.Map.Item.Value.sku",
        "position.$": "$$.Map.Item.Index",
        "currency.$": "$.currency",
    },
    "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"source": "test"}},
    "MaxConcurrency": 4,
    "ToleratedFailureCount": 1,
    "ItemProcessor": {"StartAt": "Reserve", "States": {"Reserve": {"Type": "Pass", "End": True}}},
    "ResultSelector": {"reserved.$": "$"},
    "ResultPath": "$.reservation",
    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Compensate"}],
    "Next": "Pay",
}
ORDER = {"order": {"currency": "EUR", "lines": [{"sku": "A"}, {"sku": "B"}, {"sku": "C"}]}}


def test_a_map_with_a_mocked_result_runs_its_own_processing_and_shows_its_iterations(target: Target) -> None:
    answer = target.client.test_state(
        definition=json.dumps(ORDER_LINES),
        input=json.dumps(ORDER),
        mock={"result": json.dumps([{"ok": 1}, {"ok": 2}, {"ok": 3}])},
        inspectionLevel="DEBUG",
    )
    # the mocked result is the Map's, through its ResultSelector and ResultPath
    assert (answer["status"], answer["nextState"]) == ("SUCCEEDED", "Pay")
    assert json.loads(answer["output"])["reservation"] == {"reserved": [{"ok": 1}, {"ok": 2}, {"ok": 3}]}
    data = answer["inspectionData"]
    assert json.loads(data["afterItemsPath"]) == ORDER["order"]["lines"]
    assert json.loads(data["afterItemSelector"]) == [
        {"sku": sku, "position": i, "currency": "EUR"} for i, sku in enumerate("ABC")
    ]
    assert [len(b["Items"]) for b in json.loads(data["afterItemBatcher"])] == [2, 1]
    assert (data["toleratedFailureCount"], data["maxConcurrency"]) == (1, 4)


@pytest.mark.parametrize(("failures", "status"), [(1, "SUCCEEDED"), (2, "CAUGHT_ERROR")])
def test_failed_iterations_beyond_the_tolerated_fail_the_map(
    target: Target, failures: int, status: str
) -> None:
    answer = target.client.test_state(
        definition=json.dumps(ORDER_LINES),
        input=json.dumps(ORDER),
        mock={"result": "[]"},
        stateConfiguration={"mapIterationFailureCount": failures},
    )
    assert answer["status"] == status
    if status == "CAUGHT_ERROR":
        assert (
            answer["error"] == "States.ExceedToleratedFailureThreshold"
            and answer["nextState"] == "Compensate"
        )


def test_the_items_an_item_reader_read_are_the_maps_items(target: Target) -> None:
    reading = {
        **ORDER_LINES,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"}},
    }
    answer = target.client.test_state(
        definition=json.dumps(reading),
        input=json.dumps(ORDER),
        mock={"result": "[]"},
        stateConfiguration={"mapItemReaderData": '{"sku": "X"}\n{"sku": "Y"}\n'},
        inspectionLevel="DEBUG",
    )
    assert json.loads(answer["inspectionData"]["afterItemsPath"]) == [{"sku": "X"}, {"sku": "Y"}]


def test_a_parallel_state_with_a_mocked_error_is_caught_and_names_a_state_inside(target: Target) -> None:
    parallel = {
        "Type": "Parallel",
        "Branches": [
            {"StartAt": "Ship", "States": {"Ship": {"Type": "Pass", "End": True}}},
            {"StartAt": "Bill", "States": {"Bill": {"Type": "Pass", "End": True}}},
        ],
        "Catch": [{"ErrorEquals": ["Declined"], "ResultPath": "$.error", "Next": "Undo"}],
        "End": True,
    }
    mock = {"errorOutput": {"error": "Declined", "cause": "card refused"}}
    answer = target.client.test_state(
        definition=json.dumps(parallel),
        input="{}",
        mock=mock,
        stateConfiguration={"errorCausedByState": "Bill"},
    )
    assert (answer["status"], answer["nextState"], answer["error"]) == ("CAUGHT_ERROR", "Undo", "Declined")
    assert answer["inspectionData"]["errorDetails"] == {"catchIndex": 0}
    with pytest.raises(ClientError) as refused:
        target.client.test_state(
            definition=json.dumps(parallel),
            input="{}",
            mock=mock,
            stateConfiguration={"errorCausedByState": "Nowhere"},
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_a_mocked_states_error_is_matched_as_the_states_error(target: Target) -> None:
    # Step Functions Local throws a mocked States.Timeout as States.Timeout: its retrier matches it
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"},
        "Retry": [{"ErrorEquals": ["Other"]}, {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 2}],
        "End": True,
    }
    answer = _call(target, task, {}, mock={"errorOutput": {"error": "States.Timeout", "cause": "slow"}})
    assert (answer["status"], answer["error"]) == ("RETRIABLE", "States.Timeout")
    assert answer["inspectionData"]["errorDetails"] == {"retryIndex": 1, "retryBackoffIntervalSeconds": 2}


@pytest.mark.parametrize("state", ["SagaNotStarted", "InvalidOrderEvent"])
@pytest.mark.parametrize(
    "failure", [{"Error": "States.Timeout"}, {"Error": "Lambda.ServiceException", "Cause": "throttled"}]
)
def test_a_saga_failure_without_a_cause_still_ends_in_its_named_error(
    target: Target, state: str, failure: dict[str, str]
) -> None:
    # A caught error need not carry a Cause (a States.Timeout has none): the Fail state must not
    # turn it into States.Runtime, and its cause keeps what was caught
    definition = (ASL_DIR / "order_saga.asl.json").read_text()
    answer = target.client.test_state(definition=definition, stateName=state, input=json.dumps(failure))
    assert (answer["status"], answer["error"]) == ("FAILED", state)
    assert json.loads(answer["cause"]) == failure
