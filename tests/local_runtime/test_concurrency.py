"""Concurrency, throttling and bounded waits, as on AWS.

A function runs many invocations at once, up to its reserved concurrency (or the runtime's),
and is throttled beyond it as Lambda throttles; an asynchronous invocation waits its turn; an
Express execution ends at 5 minutes; nothing waits without a bound, and what outlives the app
is named.
"""

from __future__ import annotations

import copy
import json
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalApp, RuntimeNotQuiet
from local_runtime import app as app_module
from tests.local_runtime.conftest import TEMPLATE, write_assembly


def _invoking(
    function_arn: str, payload: dict[str, Any], retry: dict[str, Any] | None = None
) -> dict[str, Any]:
    task: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload": payload},
        "ResultSelector": {"result.$": "$.Payload"},
        "End": True,
    }
    if retry:
        task["Retry"] = [retry]
    return {"StartAt": "Call", "States": {"Call": task}}


def _start_all(
    app: LocalApp, definition: dict[str, Any], count: int, name: str, kind: str = "STANDARD"
) -> list[str]:
    sfn = app.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=f"arn:aws:iam::{app.account}:role/r", type=kind
    )["stateMachineArn"]
    return [
        sfn.start_execution(stateMachineArn=machine, name=f"{name}-{n}", input="{}")["executionArn"]
        for n in range(count)
    ]


def _arn(app: LocalApp, path: str) -> str:
    return app.lambdas.spec(app.function_name(path)).arn


def test_invocations_of_one_function_run_side_by_side(tiny_app: LocalApp) -> None:
    # Given five executions calling one function that takes 4 virtual seconds
    started = tiny_app.now()
    arns = _start_all(tiny_app, _invoking(_arn(tiny_app, "Tiny/Work/"), {"sleep": 4}), 5, "side-by-side")
    # When they run
    ended = [tiny_app.wait_for(arn) for arn in arns]
    # Then all five ran at once: 5 sandboxes, the whole burst took 4 seconds, not 20
    assert {e["status"] for e in ended} == {"SUCCEEDED"}
    work = tiny_app.function_name("Tiny/Work/")
    assert tiny_app.lambdas.peak_concurrency[work] == 5
    assert tiny_app.lambdas.cold_starts[work] == 5
    assert tiny_app.now() - started == timedelta(seconds=4)


def test_beyond_its_reserved_concurrency_a_function_is_throttled_and_the_retry_absorbs_it(
    tiny_app: LocalApp,
) -> None:
    # Given a function that reserves one concurrent invocation, called by two executions at once
    # whose Retry waits 20 s after Lambda.TooManyRequestsException
    retry = {"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 20, "MaxAttempts": 2}
    definition = _invoking(_arn(tiny_app, "Tiny/Reserved/"), {"sleep": 10}, retry)
    arns = _start_all(tiny_app, definition, 2, "reserved")
    ended = [tiny_app.wait_for(arn) for arn in arns]
    # Then both succeeded; one was throttled once, by Lambda's name for it, and retried
    assert {e["status"] for e in ended} == {"SUCCEEDED"}
    reserved = tiny_app.function_name("Tiny/Reserved/")
    assert tiny_app.lambdas.throttles[reserved] == 1
    assert tiny_app.lambdas.peak_concurrency[reserved] == 1
    errors = [
        event["taskFailedEventDetails"]["error"]
        for arn in arns
        for event in tiny_app.history(arn)
        if "taskFailedEventDetails" in event
    ]
    assert errors == ["Lambda.TooManyRequestsException"]


def test_a_synchronous_call_over_the_limit_gets_lambdas_429(tiny_app: LocalApp) -> None:
    # Given the reserved function busy with an asynchronous invocation (10 virtual seconds)
    lam = tiny_app.client("lambda")
    reserved = tiny_app.function_name("Tiny/Reserved/")
    lam.invoke(FunctionName=reserved, InvocationType="Event", Payload=json.dumps({"sleep": 10}))
    tiny_app.settle()
    assert tiny_app.lambdas.running(reserved) == 1
    # When a synchronous call comes meanwhile
    with pytest.raises(ClientError) as refused:
        lam.invoke(FunctionName=reserved, Payload=b"{}")
    # Then Lambda refuses it as it does: 429 TooManyRequestsException, with the reason
    error = refused.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_asynchronous_invocations_over_the_limit_wait_their_turn(tiny_app: LocalApp) -> None:
    lam = tiny_app.client("lambda")
    reserved = tiny_app.function_name("Tiny/Reserved/")
    started = tiny_app.now()
    for _ in range(3):
        lam.invoke(FunctionName=reserved, InvocationType="Event", Payload=json.dumps({"sleep": 10}))
    tiny_app.drain()
    # Lambda's event queue holds what the function cannot take yet: one after another, none throttled
    assert (tiny_app.lambdas.invocations[reserved], tiny_app.lambdas.throttles[reserved]) == (3, 0)
    assert tiny_app.now() - started == timedelta(seconds=30)


def test_the_runtime_concurrency_is_a_setting(tiny_assembly: Path) -> None:
    with LocalApp(tiny_assembly, concurrency=1) as app:
        work = app.function_name("Tiny/Work/")
        app.client("lambda").invoke(
            FunctionName=work, InvocationType="Event", Payload=json.dumps({"sleep": 5})
        )
        app.settle()
        with pytest.raises(ClientError, match="TooManyRequestsException"):
            app.client("lambda").invoke(FunctionName=work, Payload=b"{}")
        assert app.lambdas.limit(app.lambdas.spec(work)) == 1


def test_a_handler_spinning_in_real_time_is_named_when_the_safety_net_runs_out(tiny_app: LocalApp) -> None:
    # Given a handler that runs for 1 real second (the clock cannot move while it runs)
    tiny_app.set_safety_timeout(0.2)
    work = tiny_app.function_name("Tiny/Work/")
    # When a test waits for it with a 0.2 s safety net
    with pytest.raises(RuntimeNotQuiet) as stuck:
        tiny_app.client("lambda").invoke(FunctionName=work, Payload=json.dumps({"spin": 1.0}))
    # Then the error says what was still busy
    assert f"lambda:{work}" in str(stuck.value)
    tiny_app.set_safety_timeout(60)
    tiny_app.settle()


def test_stop_names_the_threads_that_outlive_the_app(
    tiny_app: LocalApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "STOP_GRACE_SECONDS", 0.1)
    work = tiny_app.function_name("Tiny/Work/")
    tiny_app.client("lambda").invoke(
        FunctionName=work, InvocationType="Event", Payload=json.dumps({"spin": 0.5})
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outlived = tiny_app.stop()
    assert any(work in name for name in outlived)
    assert any(issubclass(w.category, app_module.OutlivedApp) for w in caught)


WAITS_TOO_LONG = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 400, "End": True}}}


def test_an_express_execution_times_out_at_five_minutes(tiny_app: LocalApp) -> None:
    (arn,) = _start_all(tiny_app, WAITS_TOO_LONG, 1, "express-too-long", kind="EXPRESS")
    ended = tiny_app.wait_for(arn)
    assert (ended["status"], ended["error"]) == ("TIMED_OUT", "States.Timeout")
    assert ended["stopDate"] - ended["startDate"] == timedelta(minutes=5)


def test_start_sync_execution_waits_on_the_virtual_clock(tiny_app: LocalApp) -> None:
    sfn = tiny_app.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="sync-waits",
        definition=json.dumps(WAITS_TOO_LONG),
        roleArn=f"arn:aws:iam::{tiny_app.account}:role/r",
        type="EXPRESS",
    )["stateMachineArn"]
    quick = copy.deepcopy(WAITS_TOO_LONG)
    quick["States"]["Wait"]["Seconds"] = 60
    fine = sfn.create_state_machine(
        name="sync-fine",
        definition=json.dumps(quick),
        roleArn=f"arn:aws:iam::{tiny_app.account}:role/r",
        type="EXPRESS",
    )["stateMachineArn"]
    before = tiny_app.now()
    assert sfn.start_sync_execution(stateMachineArn=fine, input="{}")["status"] == "SUCCEEDED"
    assert tiny_app.now() - before == timedelta(seconds=60)
    answer = sfn.start_sync_execution(stateMachineArn=machine, input="{}")
    assert (answer["status"], answer["error"]) == ("TIMED_OUT", "States.Timeout")
    assert tiny_app.now() - before == timedelta(seconds=360)


def test_a_request_response_batch_whose_express_execution_runs_too_long_fails(tmp_path: Path) -> None:
    # Given the stream pipe's Express target waiting 400 s (past Express's limit)
    template = copy.deepcopy(TEMPLATE)
    template["Resources"]["BatchMachine"]["Properties"]["DefinitionString"] = json.dumps(WAITS_TOO_LONG)
    del template["Resources"]["BatchMachine"]["Properties"]["DefinitionSubstitutions"]
    with LocalApp(write_assembly(tmp_path / "cdk.out", template)) as app:
        # When a record is written
        app.client("dynamodb").put_item(TableName=app.table_name("Tiny/Table"), Item={"pk": {"S": "late"}})
        app.drain()
        # Then every attempt timed out at 5 minutes and the batch went to the DLQ after its retries
        ended = app.executions("Tiny/BatchMachine")
        assert [(e["status"], e["stopDate"] - e["startDate"]) for e in ended] == [
            ("TIMED_OUT", timedelta(minutes=5))
        ] * 3
        (parked,) = app.receive_all(app.queue_url("Tiny/Dlq"))
        assert parked["context"]["condition"] == "RetryAttemptsExhausted"


def test_a_long_poll_waits_on_the_virtual_clock_and_wakes_when_a_message_arrives(tiny_app: LocalApp) -> None:
    sqs = tiny_app.client("sqs")
    queue = sqs.create_queue(QueueName="long-poll")["QueueUrl"]
    before = tiny_app.now()
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=20).get("Messages", []) == []
    assert tiny_app.now() - before == timedelta(seconds=20)
    tiny_app.after(5, lambda: sqs.send_message(QueueUrl=queue, MessageBody="late"))
    (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=20)["Messages"]
    assert message["Body"] == "late"
    assert tiny_app.now() - before == timedelta(seconds=25)


def _thread_stacks() -> int:
    """Memory maps of this process that are thread stacks (8 MiB, writable, anonymous)."""
    stacks = 0
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            start, end = (int(address, 16) for address in fields[0].split("-"))
            stacks += fields[1] == "rw-p" and len(fields) == 5 and end - start == 8 * 1024 * 1024
    return stacks


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads Linux's /proc")
def test_ended_threads_give_their_stacks_back_though_something_still_holds_them(tiny_app: LocalApp) -> None:
    # Given 300 runtime threads that ran and ended, each still referenced (as moto keeps every
    # execution's threads) and joined only on the virtual clock
    from local_runtime.clock import ManagedThread

    before = _thread_stacks()
    held = []
    for _ in range(300):
        thread = ManagedThread(target=lambda: None)
        thread.start()
        thread.join()
        held.append(thread)
    # When another starts / Then the ended ones hold no stack: a burst of thousands of executions
    # ran out of memory maps (vm.max_map_count) while every ended thread kept its 8 MiB stack
    last = ManagedThread(target=lambda: None)
    last.start()
    last.join()
    assert _thread_stacks() - before < 20
    assert len(held) == 300
