"""Faults after the effect: a handler that ran, or one AWS call of a handler, fails as AWS would."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from local_runtime import LocalApp
from local_runtime.call_faults import call_targets


def _keys(app: LocalApp) -> set[str]:
    table = app.table_name("Tiny/Table/")
    return {item["pk"]["S"] for item in app.client("dynamodb").scan(TableName=table)["Items"]}


def test_a_failure_after_the_effect_runs_the_handler_and_then_fails_the_call(tiny_app: LocalApp) -> None:
    # Given a function whose next invocation times out after its write
    work = tiny_app.function_name("Tiny/Work/")
    tiny_app.lambdas.inject_failure(work, "Sandbox.Timedout", after_effect=True)
    lam = tiny_app.client("lambda")
    # When it is invoked with a write to do
    answer = lam.invoke(FunctionName=work, Payload=json.dumps({"put": ["written-then-failed"]}).encode())
    # Then the caller sees the timeout, and the write happened all the same
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorType"] == "Sandbox.Timedout"
    assert _keys(tiny_app) == {"written-then-failed"}
    assert tiny_app.lambdas.invocations[work] == 1


def test_a_service_error_after_the_effect_reaches_the_caller_as_the_lambda_service_error(
    tiny_app: LocalApp,
) -> None:
    work = tiny_app.function_name("Tiny/Work/")
    tiny_app.lambdas.inject_failure(work, "Lambda.ServiceException", after_effect=True)
    lam = tiny_app.client("lambda")
    with pytest.raises(lam.exceptions.ServiceException):
        lam.invoke(FunctionName=work, Payload=json.dumps({"put": ["lost-response"]}).encode())
    assert _keys(tiny_app) == {"lost-response"}


def test_the_nth_call_of_a_function_fails_before_its_effect_and_the_others_go_through(
    tiny_app: LocalApp,
) -> None:
    # Given: the 2nd PutItem the Work function makes on the table is throttled
    work = tiny_app.function_name("Tiny/Work/")
    table = tiny_app.table_name("Tiny/Table/")
    rule = tiny_app.calls.fail(
        "dynamodb",
        "PutItem",
        error="ProvisionedThroughputExceededException",
        function=work,
        target=table,
        nth=2,
    )
    # When the function writes three items
    answer = tiny_app.client("lambda").invoke(
        FunctionName=work, Payload=json.dumps({"put": ["a", "b", "c"]}).encode()
    )
    # Then the handler failed with the service's error at the second; only the first was written
    body = json.loads(answer["Payload"].read())
    assert body["errorType"] == "ProvisionedThroughputExceededException"
    assert _keys(tiny_app) == {"a"}
    assert (rule.matched, rule.fired) == (2, 1)


def test_a_call_failing_after_its_effect_wrote_and_the_caller_sees_the_error(tiny_app: LocalApp) -> None:
    work = tiny_app.function_name("Tiny/Work/")
    tiny_app.calls.fail("dynamodb", "PutItem", error="InternalServerError", function=work, after_effect=True)
    answer = tiny_app.client("lambda").invoke(
        FunctionName=work, Payload=json.dumps({"put": ["x", "y"]}).encode()
    )
    # the modeled exception class, as botocore raises it
    assert json.loads(answer["Payload"].read())["errorType"] == "InternalServerError"
    assert _keys(tiny_app) == {"x"}


def test_a_rule_for_one_function_leaves_other_callers_alone(tiny_app: LocalApp) -> None:
    # Given a fault for the Work function's writes
    tiny_app.calls.fail("dynamodb", "PutItem", function=tiny_app.function_name("Tiny/Work/"), times=5)
    dynamodb = tiny_app.client("dynamodb")
    # When the test itself (no function) writes, it goes through
    dynamodb.put_item(TableName=tiny_app.table_name("Tiny/Table/"), Item={"pk": {"S": "from-the-test"}})
    assert _keys(tiny_app) == {"from-the-test"}


def test_network_errors_come_out_as_the_sdk_raises_them(tiny_app: LocalApp) -> None:
    table = tiny_app.table_name("Tiny/Table/")
    tiny_app.calls.fail("dynamodb", "PutItem", error="ReadTimeoutError", target=table, after_effect=True)
    tiny_app.calls.fail("dynamodb", "GetItem", error="ProvisionedThroughputExceededException", target="other")
    dynamodb = tiny_app.client("dynamodb")
    with pytest.raises(ReadTimeoutError):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "timed-out"}})
    assert _keys(tiny_app) == {"timed-out"}
    # a rule naming another target does not fire
    dynamodb.get_item(TableName=table, Key={"pk": {"S": "timed-out"}})
    with pytest.raises(ClientError):
        tiny_app.calls.fail("dynamodb", "GetItem", error="ThrottlingException", target=table)
        dynamodb.get_item(TableName=table, Key={"pk": {"S": "timed-out"}})


def test_call_targets_reads_transactions_batches_and_bus_entries() -> None:
    params = {
        "TransactItems": [{"Update": {"TableName": "orders"}}, {"Put": {"TableName": "locks"}}],
        "RequestItems": {"stock": {}},
        "Entries": [{"EventBusName": "platform"}, {"Detail": "{}"}],
    }
    assert list(call_targets(params)) == ["orders", "locks", "stock", "platform"]
