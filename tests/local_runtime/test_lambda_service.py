"""Lambda Invoke answered in-process by the function the template names."""

from __future__ import annotations

import json
import os
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from local_runtime import LocalApp


def _invoke(app: LocalApp, path: str, payload: Any) -> dict[str, Any]:
    response = app.client("lambda").invoke(FunctionName=app.function_name(path), Payload=json.dumps(payload))
    return {"error": response.get("FunctionError"), "body": json.loads(response["Payload"].read())}


def test_invoke_runs_the_handler_with_the_functions_own_environment(tiny_app: LocalApp) -> None:
    # Given two functions built from the same code with different environments
    # When each is invoked through boto3
    hello = _invoke(tiny_app, "Tiny/Work/", {"n": 1})
    bonjour = _invoke(tiny_app, "Tiny/Other/", {"n": 2})
    # Then each sees its own variables and its own context
    assert hello["error"] is None
    assert (hello["body"]["greeting"], bonjour["body"]["greeting"]) == ("hello", "bonjour")
    assert hello["body"]["function"] == tiny_app.function_name("Tiny/Work/")
    assert bonjour["body"]["event"] == {"n": 2}


def test_environment_refs_resolve_to_local_physical_names(tiny_app: LocalApp) -> None:
    # Given a function whose environment holds a Ref to the table
    spec = tiny_app.lambdas.spec(tiny_app.function_name("Tiny/Work/"))
    # Then the value is the table's local name, which exists on the local DynamoDB
    assert spec.environment["TABLE"] == tiny_app.table_name("Tiny/Table/")
    assert tiny_app.client("dynamodb").describe_table(TableName=spec.environment["TABLE"])["Table"]


def test_functions_do_not_share_module_state(tiny_assembly: Any) -> None:
    # Given the same module loaded by two functions
    with LocalApp(tiny_assembly) as app:
        names = [app.function_name("Tiny/Work/"), app.function_name("Tiny/Other/")]
        lam = app.client("lambda")
        # When the first is invoked twice and the second once
        for _ in range(2):
            lam.invoke(FunctionName=names[0], Payload=b"{}")
        other = json.loads(lam.invoke(FunctionName=names[1], Payload=b"{}")["Payload"].read())
    # Then the second function's module-level list saw only its own call, as in separate sandboxes
    assert other["calls_in_this_sandbox"] == 1


def test_functions_do_not_share_powertools_metrics(tiny_app: LocalApp) -> None:
    # Given one function that records a metric and has not flushed it yet
    assert _invoke(tiny_app, "Tiny/Work/", {"add_metric": True})["body"]["metrics_pending"] == 1
    # Then another function's Metrics (same library, same process here) does not see it: on AWS
    # each function has its own process, and a flush there never empties another's metrics
    assert _invoke(tiny_app, "Tiny/Other/", {})["body"]["metrics_pending"] == 0
    assert _invoke(tiny_app, "Tiny/Work/", {})["body"]["metrics_pending"] == 1


def test_a_raised_exception_is_a_function_error_named_after_its_class(tiny_app: LocalApp) -> None:
    # When the handler raises a domain exception
    result = _invoke(tiny_app, "Tiny/Work/", {"fail": "SKU-1"})
    # Then Lambda's error contract carries the class name, which Step Functions matches in Catch
    assert result["error"] == "Unhandled"
    assert result["body"]["errorType"] == "OutOfStock"
    assert result["body"]["errorMessage"] == "no stock for SKU-1"


def test_a_handler_running_past_its_timeout_is_reported_as_a_sandbox_timeout(tiny_app: LocalApp) -> None:
    # Given a function whose template timeout is 1 second
    slow = tiny_app.function_name("Tiny/Slow/")
    started = tiny_app.now()
    # When its handler sleeps for 1.5 s (virtual: the clock moves because nothing else can)
    response = tiny_app.client("lambda").invoke(FunctionName=slow, Payload=json.dumps({"sleep": 1.5}))
    body = json.loads(response["Payload"].read())
    # Then the caller sees Lambda's timeout error, exactly when the timeout expired
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert (tiny_app.now() - started).total_seconds() == 1


def test_a_timed_out_invocation_is_frozen_its_late_writes_never_land(
    tiny_app: LocalApp, tmp_path: Path
) -> None:
    # Given a handler that overruns its 1 s timeout, then would write to DynamoDB, os.environ and a file
    slow = tiny_app.function_name("Tiny/Slow/")
    touched = tmp_path / "late-write"
    late = {
        "sleep": 30,
        "then_put": "late-key",
        "then_set": {"GREETING": "tampered", "AWS_REGION": "mars-1"},
        "then_touch": str(touched),
    }
    response = tiny_app.client("lambda").invoke(FunctionName=slow, Payload=json.dumps(late))
    assert json.loads(response["Payload"].read())["errorType"] == "Sandbox.Timedout"
    # When the time it slept for has long passed
    tiny_app.advance(120)
    # Then it never woke: nothing it would have written landed, as Lambda freezes the environment
    table = tiny_app.table_name("Tiny/Table")
    assert "Item" not in tiny_app.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "late-key"}})
    assert not touched.exists()
    assert tiny_app.lambdas.timeouts[slow] == 1
    # And every other invocation, of that function or another, runs as before on a fresh sandbox
    for function in ("Tiny/Slow/", "Tiny/Work/"):
        spec = tiny_app.lambdas.spec(tiny_app.function_name(function))
        assert _invoke(tiny_app, function, {})["body"]["greeting"] == spec.environment["GREETING"]
    assert os.environ.get("GREETING") is None
    assert os.environ.get("AWS_REGION") != "mars-1"


def test_stopping_the_app_unwinds_a_frozen_invocation_without_letting_it_write(
    tiny_app: LocalApp, tmp_path: Path
) -> None:
    # Given a frozen invocation (it timed out in its sleep)
    slow = tiny_app.function_name("Tiny/Slow/")
    touched = tmp_path / "late-write"
    late = {"sleep": 30, "then_touch": str(touched), "then_set": {"GREETING": "x"}}
    tiny_app.client("lambda").invoke(FunctionName=slow, Payload=json.dumps(late))
    frozen = [t for t in tiny_app.clock.live_threads() if t.name.startswith("lambda:")]
    assert frozen
    # When the app stops
    outlived = tiny_app.stop()
    # Then the frozen thread ended without running a line more, and nothing outlived the app
    assert outlived == []
    assert not any(t.is_alive() for t in frozen)
    assert not touched.exists()


def test_an_unknown_function_is_resource_not_found(tiny_app: LocalApp) -> None:
    lam = tiny_app.client("lambda")
    try:
        lam.invoke(FunctionName="no-such-function", Payload=b"{}")
    except lam.exceptions.ResourceNotFoundException as error:
        assert "no-such-function" in str(error)
    else:
        raise AssertionError("invoking an unknown function must fail")


def test_the_engine_catches_a_named_lambda_error(tiny_app: LocalApp) -> None:
    # Given the state machine's Catch on OutOfStock (its definition uses a substitution for the function ARN)
    sfn = tiny_app.client("stepfunctions")
    machine = tiny_app.state_machine_arn("Tiny/Machine/")
    # When an execution's task raises OutOfStock
    arn = sfn.start_execution(stateMachineArn=machine, name="rejected", input=json.dumps({"fail": "SKU-9"}))[
        "executionArn"
    ]
    description = tiny_app.wait_for(arn)
    # Then the Catch routed it to the compensation state
    assert description["status"] == "FAILED"
    assert description["error"] == "OrderRejected"
    assert tiny_app.states_visited(arn) == ["Work", "Compensate"]


def test_injected_failures_fail_the_next_invocations_then_the_function_runs_again(tiny_app: LocalApp) -> None:
    # Given one injected handler error and one injected Lambda service error
    work = tiny_app.function_name("Tiny/Work/")
    tiny_app.lambdas.inject_failure(work, "InventoryStoreUnavailable")
    tiny_app.lambdas.inject_failure(work, "Lambda.ServiceException")
    lam = tiny_app.client("lambda")
    # When the function is invoked three times
    first = lam.invoke(FunctionName=work, Payload=b"{}")
    try:
        lam.invoke(FunctionName=work, Payload=b"{}")
    except lam.exceptions.ServiceException as error:
        service_error: Exception | None = error
    else:
        service_error = None
    third = json.loads(lam.invoke(FunctionName=work, Payload=b"{}")["Payload"].read())
    # Then the first is a function error of that type, the second the service's error, the third real
    assert first["FunctionError"] == "Unhandled"
    assert json.loads(first["Payload"].read())["errorType"] == "InventoryStoreUnavailable"
    assert service_error is not None
    assert third["greeting"] == "hello"


def test_the_engine_sees_an_injected_service_error_as_lambda_service_exception(tiny_app: LocalApp) -> None:
    # Given the state machine whose task retries only Lambda.TooManyRequestsException
    tiny_app.lambdas.inject_failure(tiny_app.function_name("Tiny/Work/"), "Lambda.TooManyRequestsException")
    sfn = tiny_app.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=tiny_app.state_machine_arn("Tiny/Machine/"), name="throttled", input="{}"
    )["executionArn"]
    # Then the throttle is retried and the execution succeeds
    assert tiny_app.wait_for(arn)["status"] == "SUCCEEDED"
    failed = [e for e in tiny_app.history(arn) if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failed] == ["Lambda.TooManyRequestsException"]


def test_a_function_on_another_python_than_this_one_is_refused_with_how_to_fix_it() -> None:
    from pathlib import Path

    from local_runtime.function_logs import FunctionLogs
    from local_runtime.lambda_service import (
        INTERPRETER_RUNTIME,
        FunctionSpec,
        LambdaService,
        RuntimeMismatch,
    )

    service = LambdaService("eu-west-1", FunctionLogs())
    spec = dict(
        name="f",
        arn="arn",
        handler="m.h",
        code_dir=Path("."),
        environment={},
        timeout_seconds=3,
        memory_mb=128,
    )
    service.add(FunctionSpec(**spec, runtime=INTERPRETER_RUNTIME))  # type: ignore[arg-type]
    with pytest.raises(RuntimeMismatch, match=r"runs python3\.9 on AWS.*make deps"):
        service.add(FunctionSpec(**spec, runtime="python3.9"))  # type: ignore[arg-type]


def test_a_package_whose_init_imports_its_own_submodule_loads_in_the_sandbox(tiny_app: LocalApp) -> None:
    answer = tiny_app.client("lambda").invoke(
        FunctionName=tiny_app.function_name("Tiny/Work/"), Payload=json.dumps({"use_shared": True}).encode()
    )
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {"shared": "shared", "error": "Rejected"}


def test_each_app_logs_at_its_own_level_whatever_an_earlier_app_set(tiny_assembly: Path) -> None:
    # Powertools configures its service logger once per process; each app starts it afresh
    for level, logged in (("WARNING", False), (None, True)):
        with LocalApp(tiny_assembly, log_level=level) as app:
            work = app.function_name("Tiny/Work/")
            app.client("lambda").invoke(FunctionName=work, Payload=json.dumps({"log": "an info line"}))
            assert any("an info line" in line for line in app.logs.lines(work)) is logged


def test_an_injected_state_timeout_is_the_engines_task_timeout_after_the_handler_ran(
    tiny_app: LocalApp,
) -> None:
    # Given the calling state's timeout elapses during the next invocation, which writes first
    work = tiny_app.function_name("Tiny/Work/")
    tiny_app.lambdas.inject_failure(work, "States.Timeout", after_effect=True)
    sfn = tiny_app.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=tiny_app.state_machine_arn("Tiny/Machine/"),
        name="timed-out",
        input=json.dumps({"put": ["written-before-the-timeout"]}),
    )["executionArn"]
    # Then the task timed out as Step Functions reports it (not a function error named so)...
    assert (tiny_app.wait_for(arn)["status"], tiny_app.wait_for(arn)["error"]) == ("FAILED", "States.Timeout")
    assert [
        e["type"] for e in tiny_app.history(arn) if e["type"].startswith("Task") and "Timed" in e["type"]
    ] == ["TaskTimedOut"]
    # ... and what the handler wrote before stays written
    table = tiny_app.table_name("Tiny/Table/")
    keys = {item["pk"]["S"] for item in tiny_app.client("dynamodb").scan(TableName=table)["Items"]}
    assert keys == {"written-before-the-timeout"}


def test_a_stopped_app_leaves_nothing_of_itself_on_the_heap(tmp_path: Path) -> None:
    import gc
    import weakref

    from tests.local_runtime.conftest import HANDLER_SOURCE, write_assembly

    # Given a handler module holding a validator in an Annotated type (typing caches those
    # process-wide), run by the engine and invoked directly
    source = HANDLER_SOURCE + textwrap.dedent(
        """
        from typing import Annotated

        import boto3
        from pydantic import AfterValidator

        DYNAMODB = boto3.client("dynamodb")  # made at init, as handlers do

        Checked = Annotated[str, AfterValidator(lambda value: value.strip())]
        """
    )
    assembly = write_assembly(tmp_path / "cdk.out", handler_source=source)
    with LocalApp(assembly) as app:
        arn = app.state_machine_arn("Tiny/Machine/")
        execution = app.client("stepfunctions").start_execution(stateMachineArn=arn, input="{}")
        assert app.wait_for(execution["executionArn"])["status"] == "SUCCEEDED"
        _invoke(app, "Tiny/Other/", {})
        service = weakref.ref(app.lambdas)
    del app
    # When the app has stopped and a collection ran
    gc.collect()
    # Then its functions, their sandboxes and modules are gone: the next app (the next test) does
    # not carry it, nor pay for it in every full collection
    assert service() is None


def test_a_package_staged_only_for_other_functions_is_missing_in_this_ones_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from local_runtime.function_logs import FunctionLogs
    from local_runtime.lambda_service import FunctionSpec, LambdaService

    # Given two functions with their own assets: the first imports a package only the second's
    # asset holds (a packaging mistake), which this process could import from anywhere
    def asset(name: str, files: dict[str, str]) -> Path:
        for relative, text in files.items():
            (tmp_path / name / relative).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / relative).write_text(text)
        return tmp_path / name

    service = LambdaService("eu-west-1", FunctionLogs())
    common = dict(environment={}, timeout_seconds=3, memory_mb=128, arn="arn")
    service.add(
        FunctionSpec(
            name="forgetful",
            handler="alpha.handler.run",
            code_dir=asset(
                "a",
                {
                    "alpha/__init__.py": "",
                    "alpha/handler.py": "def run(event, context):\n    import beta\n    return beta.NAME\n",
                },
            ),
            **common,  # type: ignore[arg-type]
        )
    )
    service.add(
        FunctionSpec(
            name="owner",
            handler="beta.run",
            code_dir=asset(
                "b", {"beta/__init__.py": "NAME = 'beta'\n\ndef run(event, context):\n    return NAME\n"}
            ),
            **common,  # type: ignore[arg-type]
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path / "b"))  # as the venv puts lambdas/ on the path
    # When each is invoked
    owner = service.invoke("owner", b"{}")
    forgetful = service.invoke("forgetful", b"{}")
    # Then the owner has its package and the other fails as it would on Lambda
    assert json.loads(owner.payload) == "beta"
    assert forgetful.function_error == "Unhandled"
    assert json.loads(forgetful.payload)["errorType"] == "ModuleNotFoundError"
    assert "No module named 'beta'" in json.loads(forgetful.payload)["errorMessage"]


def test_a_function_logs_on_the_clock_however_far_it_has_run(tiny_app: LocalApp) -> None:
    # Given a clock three virtual days ahead of the wall clock (a run of timers and heartbeats)
    tiny_app.advance(timedelta(days=3))
    work = tiny_app.function_name("Tiny/Work/")
    # When a function logs
    _invoke(tiny_app, "Tiny/Work/", {"log": "three days on"})
    # Then its line is in its group, stamped with the clock's time (PutLogEvents refuses lines
    # more than two hours past its "now", which must be the clock's, not the wall's)
    (event,) = tiny_app.client("logs").filter_log_events(
        logGroupName=f"/aws/lambda/{work}", filterPattern='"three days on"'
    )["events"]
    assert abs(event["timestamp"] / 1000 - tiny_app.now().timestamp()) < 60


def test_a_logger_bound_to_another_stdout_still_logs_to_its_stream(tiny_app: LocalApp) -> None:
    import io
    import logging

    # Given the tiny functions' Logger, whose process-wide handler got bound to another stdout (a
    # thread of an earlier app, unwinding after its stop, made the first Logger of the service)
    _invoke(tiny_app, "Tiny/Work/", {})
    elsewhere = io.StringIO()
    logging.getLogger("tiny").powertools_handler.setStream(elsewhere)  # type: ignore[attr-defined]
    # When a function logs
    _invoke(tiny_app, "Tiny/Work/", {"log": "still mine"})
    # Then the line is in the function's log group, not elsewhere
    work = tiny_app.function_name("Tiny/Work/")
    found = tiny_app.client("logs").filter_log_events(
        logGroupName=f"/aws/lambda/{work}", filterPattern='"still mine"'
    )["events"]
    assert len(found) == 1
    assert elsewhere.getvalue() == ""


def test_an_invocation_inside_a_callers_redirect_leaves_stdout_as_it_found_it(tiny_app: LocalApp) -> None:
    import contextlib
    import io
    import sys

    # Given the app's router standing for stdout (an invocation puts it there) and a caller that
    # captures its own output around a call that invokes a function
    _invoke(tiny_app, "Tiny/Work/", {})
    before = sys.stdout
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        print("the caller's line")
        _invoke(tiny_app, "Tiny/Work/", {"log": "the function's line"})
        print("the caller's second line")
    # When the caller prints after its block
    print("after the block")
    # Then its block held its own lines only, and stdout is the one it had before: the function's
    # invocation did not make the block's buffer the process's stdout for good
    assert captured.getvalue() == "the caller's line\nthe caller's second line\n"
    assert sys.stdout is before
