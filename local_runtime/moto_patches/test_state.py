"""TestState, offline: one state of a definition, run once on the embedded engine.

AWS's TestState runs a single state with an input and answers what happened: the output, the
error and cause, the next state, and a status: SUCCEEDED, FAILED, RETRIABLE (a retrier still
has attempts for the error: TestState reports it instead of retrying) or CAUGHT_ERROR (a
catcher took it). With ``inspectionLevel`` DEBUG (or TRACE) it also shows the data at each
processing step. A Task state's service call is answered by ``mock`` (``result``, or
``errorOutput``) or, without one, made for real: a Lambda task runs the real handler.

How it runs here: the state is wrapped in a one-state state machine whose every exit (Next, a
Choice branch, a catcher's Next, End) is a terminal state named after the exit, with Retry taken
out (TestState never retries), and run on moto's engine with the mock as a Step Functions Local
test case; the processing steps of DEBUG are the outputs of Pass states that apply the state's
InputPath, Parameters and ResultSelector alone. What the engine computes is what an execution
would: the same JSONPath, intrinsic functions and context object.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from moto.stepfunctions.exceptions import AWSError
from moto.stepfunctions.parser.mocking.mock_config import MockTestCase, _mock_test_case_from_raw

from local_runtime import http_requests, mock_validation, test_state_maps
from local_runtime.moto_patches import http_task, stepfunctions_engine

EXIT_PREFIX = "TestStateExit"
_RUN_SECONDS = 300.0
"""How long (virtual seconds) one state may run before it is stopped with States.Timeout."""
_STATES_ALL = "States.ALL"
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class TestStateRefused(AWSError):
    """A request Step Functions refuses: its code is the error code AWS answers."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, exception_type=code)


@dataclass(frozen=True)
class _Run:
    status: str
    output: Any
    error: str | None
    cause: str | None
    exit: str | None
    result: Any


def _json(text: str | None, what: str, code: str) -> Any:
    try:
        return json.loads(text) if text is not None else {}
    except ValueError as error:
        raise TestStateRefused(code, f"{what} is not valid JSON: {error}") from error


def _value(data: Any) -> Any:
    """An execution's output as moto keeps it (JSON text, or already parsed)."""
    return json.loads(data) if isinstance(data, (str, bytes)) else data


def _state_of(definition: Mapping[str, Any], state_name: str | None) -> tuple[str, dict[str, Any]]:
    """The state to test: the definition itself, or ``state_name`` of a whole definition (which
    keeps the definition's QueryLanguage, as it would inside it)."""
    if "States" in definition:
        if not state_name:
            raise TestStateRefused("InvalidDefinition", "a state machine definition needs a stateName")
        states = definition["States"]
        if not isinstance(states, dict) or state_name not in states:
            raise TestStateRefused("InvalidDefinition", f"the definition has no state {state_name!r}")
        state = dict(states[state_name])
        if "QueryLanguage" in definition:
            state.setdefault("QueryLanguage", definition["QueryLanguage"])
        return state_name, state
    if "Type" not in definition:
        raise TestStateRefused("InvalidDefinition", "a state definition needs a Type")
    return state_name or "TestState", dict(definition)


def _wrapped(name: str, state: dict[str, Any]) -> dict[str, Any]:
    """The state alone, every exit a terminal Pass named after it, Retry taken out."""
    state = dict(state)
    exits: dict[str, dict[str, Any]] = {}

    def exit_to(target: str | None) -> str:
        label = f"{EXIT_PREFIX}{len(exits)}"
        exits[label] = {"Type": "Pass", "Comment": target or "", "End": True}
        return label

    state.pop("Retry", None)
    if "Next" in state:
        state["Next"] = exit_to(state["Next"])
    if state.get("Type") == "Choice":
        state["Choices"] = [{**rule, "Next": exit_to(rule["Next"])} for rule in state.get("Choices", [])]
        if "Default" in state:
            state["Default"] = exit_to(state["Default"])
    state["Catch"] = [{**c, "Next": exit_to(c["Next"])} for c in state.get("Catch", [])]
    if not state["Catch"]:
        state.pop("Catch")
    return {"StartAt": name, "States": {name: state, **exits}}


VARIABLES_STATE = "TestStateVariables"


def _with_variables(
    definition: dict[str, Any], payload: Any, variables: Mapping[str, Any]
) -> tuple[dict[str, Any], Any]:
    """The definition entered through a Pass state that assigns ``variables`` (read from the input,
    so any JSON value is taken as it is, never as a path or an expression) and hands the state
    the input it was given."""
    if not variables:
        return definition, payload
    assign = {f"{name}.$": f"$.variables['{name}']" for name in variables}
    setter = {"Type": "Pass", "Assign": assign, "OutputPath": "$.input", "Next": definition["StartAt"]}
    return (
        {
            **definition,
            "StartAt": VARIABLES_STATE,
            "States": {VARIABLES_STATE: setter, **definition["States"]},
        },
        {"variables": dict(variables), "input": payload},
    )


def _variables(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(
        isinstance(name, str) and _VARIABLE.fullmatch(name) for name in value
    ):
        raise TestStateRefused(
            "ValidationException",
            "variables must be a JSON object of variable names (a letter or _, then letters, digits or _)",
        )
    return value


class _Engine:
    """Runs throwaway state machines on moto's Step Functions backend."""

    def __init__(self, backend: Any, account: str) -> None:
        self._backend = backend
        self._role = f"arn:aws:iam::{account}:role/TestState"
        self.calls: list[http_requests.Exchange] = []
        """The HTTP calls of the last run (an HTTP Task's request and response, for TRACE)."""

    def run(
        self,
        definition: dict[str, Any],
        payload: Any,
        test_case: MockTestCase | None = None,
        variables: Mapping[str, Any] | None = None,
        context: dict[str, Any] | None = None,
    ) -> tuple[Any, list[Any]]:
        context_token = stepfunctions_engine.starting_context.set(context or None)
        try:
            return self._run(definition, payload, test_case, variables)
        finally:
            stepfunctions_engine.starting_context.reset(context_token)

    def _run(
        self,
        definition: dict[str, Any],
        payload: Any,
        test_case: MockTestCase | None,
        variables: Mapping[str, Any] | None,
    ) -> tuple[Any, list[Any]]:
        definition, payload = _with_variables(definition, payload, variables or {})
        text = json.dumps(definition)
        try:
            machine = self._backend.create_state_machine(
                name=f"TestState-{uuid.uuid4().hex}", definition=text, roleArn=self._role
            )
        except AWSError as error:
            raise TestStateRefused("InvalidDefinition", str(error)) from error
        try:
            token = stepfunctions_engine.starting_test_case.set(test_case)
            with http_task.watching(machine.arn) as self.calls:
                try:
                    execution = self._backend.start_execution(
                        machine.arn, f"test-{uuid.uuid4().hex[:12]}", json.dumps(payload)
                    )
                finally:
                    stepfunctions_engine.starting_test_case.reset(token)
                return self._ended(execution)
        finally:
            self._backend.delete_state_machine(machine.arn)

    @staticmethod
    def _ended(execution: Any) -> tuple[Any, list[Any]]:
        """The execution once ended (stopped with States.Timeout past TestState's 5 minutes)."""
        if not stepfunctions_engine.wait_for_end(execution, _RUN_SECONDS):
            cause = "The state ran longer than TestState's 5 minutes"
            execution.stop(stop_date=None, error="States.Timeout", cause=cause)
            stepfunctions_engine.wait_for_end(execution, 1.0)
            execution.error, execution.cause = "States.Timeout", cause  # FAILED, as AWS answers it
        events = list(execution.exec_worker.env.event_manager.get_event_history())
        return execution, events

    def transform(
        self,
        fields: dict[str, Any],
        payload: Any,
        variables: Mapping[str, Any] | None = None,
        context: dict[str, Any] | None = None,
    ) -> Any:
        """What a Pass state with these fields (InputPath, Parameters...) outputs for ``payload``."""
        execution, _ = self.run(
            {"StartAt": "Step", "States": {"Step": {"Type": "Pass", **fields, "End": True}}},
            payload,
            variables=variables,
            context=context,
        )
        return _value(execution.output)


def _test_case(name: str, mock: Mapping[str, Any] | None, resource: str = "") -> MockTestCase | None:
    if not mock:
        return None
    if "result" in mock and "errorOutput" in mock:
        raise TestStateRefused("ValidationException", "a mock holds either result or errorOutput")
    mode = str(mock.get("fieldValidationMode") or "STRICT")
    if mode not in mock_validation.MODES:
        raise TestStateRefused(
            "ValidationException",
            f"mock.fieldValidationMode must be one of {', '.join(mock_validation.MODES)}",
        )
    if "result" in mock:
        result = _json(mock["result"], "mock.result", "ValidationException")
        found = mock_validation.problems(resource, result, mode)
        if found:
            raise TestStateRefused(
                "ValidationException", f"the mocked result does not conform ({mode}): {'; '.join(found)}"
            )
        response: dict[str, Any] = {"Return": result}
    elif "errorOutput" in mock:
        error = mock["errorOutput"] or {}
        response = {"Throw": {"Error": str(error.get("error", "")), "Cause": str(error.get("cause", ""))}}
    else:
        return None
    from local_runtime.moto_patches.mock_config import parse

    config = parse(
        {
            "StateMachines": {"TestState": {"TestCases": {"Case": {name: "Mock"}}}},
            "MockedResponses": {"Mock": {"0": response}},
        }
    )
    return _mock_test_case_from_raw(
        state_machine_name="TestState", test_case_name="Case", raw_mock_config=config
    )


def _retriable(state: Mapping[str, Any], error: str, retry_count: int) -> dict[str, Any] | None:
    """The retrier that would retry ``error`` after ``retry_count`` retries, as errorDetails."""
    for index, retrier in enumerate(state.get("Retry", [])):
        names = retrier.get("ErrorEquals", [])
        if error in names or (_STATES_ALL in names and not error.startswith("States.Runtime")):
            if retry_count >= int(retrier.get("MaxAttempts", 3)):
                return None
            interval = float(retrier.get("IntervalSeconds", 1)) * math.pow(
                float(retrier.get("BackoffRate", 2.0)), retry_count
            )
            if "MaxDelaySeconds" in retrier:
                interval = min(interval, float(retrier["MaxDelaySeconds"]))
            return {"retryIndex": index, "retryBackoffIntervalSeconds": int(interval)}
    return None


def _outcome(execution: Any, events: list[Any], wrapped: dict[str, Any]) -> _Run:
    exits = {
        name: s["Comment"] or None for name, s in wrapped["States"].items() if name.startswith(EXIT_PREFIX)
    }
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    taken = next((name for name in entered if name in exits), None)
    failures = [
        e for e in events if str(e.get("type", "")).endswith("Failed") and e.get("type") != "ExecutionFailed"
    ]
    result = None
    for event in events:
        for key in ("taskSucceededEventDetails", "lambdaFunctionSucceededEventDetails"):
            if key in event and "output" in event[key]:
                result = _value(event[key]["output"])
    error = cause = None
    for event in failures:
        details: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
        error, cause = details.get("error", error), details.get("cause", cause)
    output = _value(execution.output)
    status_value = str(getattr(execution.exec_status, "value", execution.exec_status))
    caught = taken is not None and any(
        c["Next"] == taken for c in wrapped["States"][next(iter(wrapped["States"]))].get("Catch", [])
    )
    if status_value == "SUCCEEDED" and not caught:
        return _Run("SUCCEEDED", output, None, None, exits.get(taken) if taken else None, result)
    if caught:
        return _Run("CAUGHT_ERROR", output, error, cause, exits[taken], result)
    return _Run("FAILED", None, execution.error or error, execution.cause or cause, None, result)


def _parsed(request: Mapping[str, Any]) -> tuple[str, dict[str, Any], Any, dict[str, Any], dict[str, Any]]:
    """The state's name and definition, the input, the variables and the Context object."""
    definition = _json(request.get("definition"), "definition", "InvalidDefinition")
    if not isinstance(definition, dict):
        raise TestStateRefused("InvalidDefinition", "the definition must be a JSON object")
    name, state = _state_of(definition, request.get("stateName"))
    payload = _json(request.get("input"), "input", "InvalidExecutionInput")
    variables = _variables(_json(request.get("variables"), "variables", "ValidationException"))
    context = _json(request.get("context"), "context", "ValidationException")
    if not isinstance(context, dict):
        raise TestStateRefused("ValidationException", "context must be a JSON object (a Context object)")
    return name, state, payload, variables, context


def _without_waiting(wrapped: dict[str, Any], name: str, state: Mapping[str, Any]) -> None:
    """A Wait state runs as a Pass with its paths and exit: TestState does not wait."""
    exit_to = wrapped["States"][name]
    wrapped["States"][name] = {
        k: v for k, v in state.items() if k in ("InputPath", "OutputPath", "Comment")
    } | {
        "Type": "Pass",
        **({"Next": exit_to["Next"]} if "Next" in exit_to else {"End": True}),
    }


def test_state(request: Mapping[str, Any], backend: Any, account: str) -> dict[str, Any]:
    """The TestState answer for ``request`` (the API's parameters)."""
    name, state, payload, variables, context = _parsed(request)
    level = str(request.get("inspectionLevel") or "INFO")
    engine = _Engine(backend, account)
    configuration = request.get("stateConfiguration") or {}
    wrapped = _wrapped(name, state)
    if state.get("Type") == "Wait":
        _without_waiting(wrapped, name, state)
    mock = request.get("mock")
    if not mock:
        _refuse_unmocked(state)
    tested, resource, iterated = state, str(state.get("Resource", "")), None
    if state.get("Type") in ("Map", "Parallel"):
        tested, resource, mock, iterated = _as_mocked(
            engine, state, payload, dict(mock or {}), configuration, context
        )
        wrapped = _wrapped(name, tested)
    execution, events = engine.run(wrapped, payload, _test_case(name, mock, resource), variables, context)
    calls = list(engine.calls)
    run = _outcome(execution, events, wrapped)
    after = _variables_after(name, events, variables)
    answer: dict[str, Any] = {"status": run.status}
    retry = None
    if run.error is not None and run.status in ("FAILED", "CAUGHT_ERROR"):
        # a retrier with attempts left comes before any catcher: TestState reports, never retries
        retry = _retriable(state, run.error, int(configuration.get("retrierRetryCount") or 0))
    if retry is not None:
        answer = {"status": "RETRIABLE", "error": run.error, "cause": run.cause or ""}
        answer["inspectionData"] = {"errorDetails": retry}
        return answer
    _settle(answer, run, state)
    if level in ("DEBUG", "TRACE"):
        answer.setdefault("inspectionData", {}).update(
            _inspection(engine, _own_fields(state, tested), payload, run, variables, context)
        )
        if iterated is not None:
            answer["inspectionData"].update(iterated)
        if after:
            answer["inspectionData"]["variables"] = json.dumps(after, separators=(",", ":"))
    if level == "TRACE" and calls:
        _trace(answer, calls[-1], request.get("revealSecrets") in (True, "true", "True"))
    return answer


def _own_fields(state: Mapping[str, Any], tested: dict[str, Any]) -> dict[str, Any]:
    """The fields DEBUG reports on: a Map or Parallel's stand-in Task without the call it makes."""
    if tested is state:
        return tested
    return {key: value for key, value in tested.items() if key not in ("Parameters", "Arguments")}


def _settle(answer: dict[str, Any], run: _Run, state: Mapping[str, Any]) -> None:
    """The output, the error and cause, the next state and the catcher that took the error."""
    if run.output is not None and run.status in ("SUCCEEDED", "CAUGHT_ERROR"):
        answer["output"] = json.dumps(run.output, separators=(",", ":"))
    if run.error is not None and run.status != "SUCCEEDED":
        answer["error"] = run.error
        answer["cause"] = run.cause or ""
    if run.exit:
        answer["nextState"] = run.exit
    if run.status == "CAUGHT_ERROR":
        index = next(i for i, c in enumerate(state.get("Catch", [])) if c["Next"] == run.exit)
        answer["inspectionData"] = {"errorDetails": {"catchIndex": index}}


def _trace(answer: dict[str, Any], call: http_requests.Exchange, reveal_secrets: bool) -> None:
    """TRACE: an HTTP Task's request and response. What its EventBridge connection added (the
    authorization, the connection's headers, query and body parameters) only with revealSecrets."""
    answer.setdefault("inspectionData", {}).update(call.inspection(reveal_secrets))


def _as_mocked(
    engine: _Engine,
    state: Mapping[str, Any],
    payload: Any,
    mock: dict[str, Any],
    configuration: Mapping[str, Any],
    context: dict[str, Any],
) -> tuple[dict[str, Any], str, dict[str, Any], dict[str, Any] | None]:
    """A Map or Parallel state as the mocked Task that stands for it (`test_state_maps`), the mock
    it gets (its failed iterations may turn it into the threshold error), and a Map's iteration
    fields for DEBUG."""
    try:
        test_state_maps.check_configuration(state, configuration)
        if state.get("Type") != "Map":
            return test_state_maps.as_mocked_task(state), "", mock, None

        def transform(fields: dict[str, Any], value: Any, **extra: Any) -> Any:
            return engine.transform(fields, value, context={**context, **extra.get("context", {})})

        after_input = (
            transform({"InputPath": state["InputPath"]}, payload) if "InputPath" in state else payload
        )
        found = test_state_maps.items(state, after_input, configuration, transform)
    except test_state_maps.MapConfigurationError as error:
        raise TestStateRefused("ValidationException", str(error)) from error
    failures = int(configuration.get("mapIterationFailureCount") or 0)
    mock = test_state_maps.with_failures(state, mock, len(found), failures)
    shown = test_state_maps.inspection(state, after_input, found, transform)
    return test_state_maps.as_mocked_task(state), "", mock, shown


def _refuse_unmocked(state: Mapping[str, Any]) -> None:
    """AWS tests these only with a mock: an activity, a .sync or .waitForTaskToken integration
    (it would wait on something outside the test), a Map or a Parallel state."""
    resource = str(state.get("Resource", ""))
    kind = str(state.get("Type", ""))
    if kind in ("Map", "Parallel"):
        needs = f"a {kind} state"
    elif ":activity:" in resource:
        needs = "an activity task"
    elif resource.endswith((".sync", ".sync:2", ".waitForTaskToken")):
        needs = f"a {resource.rsplit('.', 1)[1]} integration"
    else:
        return
    raise TestStateRefused("ValidationException", f"TestState needs a mock to test {needs}")


def _variables_after(name: str, events: list[Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The workflow variables once the state ran: those given, then what the state assigned."""
    after = dict(given)
    for event in events:
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") == name:
            after.update({k: json.loads(v) for k, v in (details.get("assignedVariables") or {}).items()})
    return after


def _inspection(
    engine: _Engine,
    state: Mapping[str, Any],
    payload: Any,
    run: _Run,
    variables: Mapping[str, Any],
    context: dict[str, Any],
) -> dict[str, str]:
    """The data after each processing step, as DEBUG shows it (JSON text, as the API does)."""
    if test_state_maps.is_jsonata(state):
        return _jsonata_inspection(engine, state, payload, run, variables, context)
    steps: dict[str, Any] = {"input": payload}
    after_input = engine.transform({"InputPath": state["InputPath"]} if "InputPath" in state else {}, payload)
    steps["afterInputPath"] = after_input
    if "Parameters" in state:
        steps["afterParameters"] = engine.transform(
            {"Parameters": state["Parameters"]}, after_input, variables, context
        )
    if run.result is not None:
        steps["result"] = run.result
        if "ResultSelector" in state:
            steps["afterResultSelector"] = engine.transform(
                {"Parameters": state["ResultSelector"]}, run.result
            )
    if run.status == "SUCCEEDED" and run.output is not None:
        if "OutputPath" in state:
            without_output_path = {k: v for k, v in state.items() if k != "OutputPath"}
            steps["afterResultPath"] = _after_result_path(
                engine, without_output_path, payload, run, variables
            )
        else:
            steps["afterResultPath"] = run.output
    return {key: json.dumps(value, separators=(",", ":")) for key, value in steps.items()}


def _jsonata_inspection(
    engine: _Engine,
    state: Mapping[str, Any],
    payload: Any,
    run: _Run,
    variables: Mapping[str, Any],
    context: dict[str, Any],
) -> dict[str, str]:
    """DEBUG of a JSONata state: its input, its Arguments evaluated, its result (the JSONPath
    steps, InputPath to ResultPath, are not populated, as AWS documents)."""
    steps: dict[str, Any] = {"input": payload}
    if "Arguments" in state:
        steps["afterArguments"] = engine.transform(
            test_state_maps.evaluated(state["Arguments"]), payload, variables, context
        )
    if run.result is not None:
        steps["result"] = run.result
    return {key: json.dumps(value, separators=(",", ":")) for key, value in steps.items()}


def _after_result_path(
    engine: _Engine, state: dict[str, Any], payload: Any, run: _Run, variables: Mapping[str, Any]
) -> Any:
    """The state's output before its OutputPath (the run repeated without it, mocked with the
    result the first run got)."""
    wrapped = _wrapped("Step", state)
    mock = {"result": json.dumps(run.result)} if run.result is not None else None
    execution, _ = engine.run(wrapped, payload, _test_case("Step", mock), variables)
    return _value(execution.output)
