"""The served endpoint's conformance table: every operation and parameter a user reaches for,
honoured as AWS honours it or refused with AWS's error code, checked through the endpoint with
boto3 (the SDK the AWS CLI is built on).

Each row below is a check that runs; `docs/conformance.md` is rendered from the same rows, and a
test keeps the committed file equal to them (``python -m tests.local_runtime.test_conformance``
writes it). A row can only say "honoured" or "refused with <code>": an ignored parameter has no
way into the table, because its check would fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local_runtime import LocalApp
from local_runtime.outside_http import OutsideResponse
from local_runtime.serve import LocalEndpoint
from tests.local_runtime.conftest import write_assembly
from tests.waiting import until

TABLE_FILE = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"


class Served:
    """The tiny app behind a served endpoint on the virtual clock, with clients pointed at it."""

    def __init__(self, app: LocalApp, endpoint: LocalEndpoint) -> None:
        self.app = app
        self.endpoint = endpoint
        self._clients: dict[str, Any] = {}
        self._made = 0

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.endpoint.url,
                region_name=self.app.region,
                aws_access_key_id="local",
                aws_secret_access_key="local",
                config=Config(inject_host_prefix=False),  # the README's AWS_DISABLE_HOST_PREFIX_INJECTION
            )
        return self._clients[service]

    @property
    def sfn(self) -> Any:
        return self.client("stepfunctions")

    def machine(self, definition: dict[str, Any], kind: str = "STANDARD") -> str:
        self._made += 1
        return str(
            self.sfn.create_state_machine(
                name=f"conformance-{self._made}",
                definition=json.dumps(definition),
                roleArn=f"arn:aws:iam::{self.app.account}:role/r",
                type=kind,
            )["stateMachineArn"]
        )

    def run(self, machine: str, payload: Any = None) -> str:
        arn = str(
            self.sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload or {}))["executionArn"]
        )
        self.until(lambda: self.sfn.describe_execution(executionArn=arn)["status"] != "RUNNING")
        return arn

    def waiting(self, **limits: int) -> tuple[str, str]:
        """An execution waiting on a task token, and the token."""
        work = self.app.resource("AWS::Lambda::Function", "Tiny/Work/").arn()
        machine = self.machine(
            {
                "StartAt": "Wait",
                "States": {
                    "Wait": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                        "Parameters": {"FunctionName": work, "Payload": {"token.$": "$$.Task.Token"}},
                        **limits,
                        "End": True,
                    }
                },
            }
        )
        arn = str(self.sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"])

        def token() -> str | None:
            for event in self.sfn.get_execution_history(executionArn=arn)["events"]:
                if event["type"] == "TaskScheduled":
                    parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
                    return str(parameters["Payload"]["token"])
            return None

        return arn, str(self.until(token))

    @staticmethod
    def until(condition: Callable[[], Any], seconds: float = 15.0) -> Any:
        return until(condition, seconds, every=0.01)


PASSES = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Pass", "Result": {"a": 1}, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Pass", "End": True},
    },
}
FAILS = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Declined", "Cause": "no funds"}}}


def refused(call: Callable[..., Any], **request: Any) -> str:
    with pytest.raises(ClientError) as error:
        call(**request)
    return str(error.value.response["Error"]["Code"])


@dataclass(frozen=True)
class Row:
    service: str
    operation: str
    parameter: str
    outcome: str
    """"honoured", or "refused: <AWS error code>"."""
    check: Callable[[Served], None]


# --- Step Functions ----------------------------------------------------------------------------


def _history_reverse(s: Served) -> None:
    arn = s.run(s.machine(PASSES))
    events = s.sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    assert events[0]["type"] == "ExecutionSucceeded" and events[-1]["type"] == "ExecutionStarted"


def _history_pages(s: Served) -> None:
    arn = s.run(s.machine(PASSES))
    whole = s.sfn.get_execution_history(executionArn=arn)["events"]
    first = s.sfn.get_execution_history(executionArn=arn, maxResults=2)
    rest = s.sfn.get_execution_history(executionArn=arn, maxResults=100, nextToken=first["nextToken"])
    assert [e["id"] for e in first["events"] + rest["events"]] == [e["id"] for e in whole]


def _history_without_data(s: Served) -> None:
    arn = s.run(s.machine(PASSES), {"secret": "s3cr3t"})
    events = s.sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert "s3cr3t" not in json.dumps(events, default=str)


def _history_foreign_token(s: Served) -> None:
    machine = s.machine(PASSES)
    one, other = s.run(machine), s.run(machine)
    token = s.sfn.get_execution_history(executionArn=one, maxResults=1)["nextToken"]
    assert refused(s.sfn.get_execution_history, executionArn=other, nextToken=token) == "InvalidToken"


def _history_page_too_big(s: Served) -> None:
    arn = s.run(s.machine(PASSES))
    assert refused(s.sfn.get_execution_history, executionArn=arn, maxResults=1001) == "ValidationException"


def _list_by_status(s: Served) -> None:
    machine = s.machine(FAILS)
    s.run(machine)
    assert [
        e["status"]
        for e in s.sfn.list_executions(stateMachineArn=machine, statusFilter="FAILED")["executions"]
    ] == ["FAILED"]
    assert s.sfn.list_executions(stateMachineArn=machine, statusFilter="SUCCEEDED")["executions"] == []


def _list_bad_status(s: Served) -> None:
    machine = s.machine(PASSES)
    assert (
        refused(s.sfn.list_executions, stateMachineArn=machine, statusFilter="DONE") == "ValidationException"
    )


def _list_pages(s: Served) -> None:
    machine = s.machine(PASSES)
    runs = {s.run(machine) for _ in range(3)}
    first = s.sfn.list_executions(stateMachineArn=machine, maxResults=2)
    rest = s.sfn.list_executions(stateMachineArn=machine, maxResults=2, nextToken=first["nextToken"])
    assert len(first["executions"]) == 2 and "nextToken" not in rest
    assert {e["executionArn"] for e in first["executions"] + rest["executions"]} == runs


def _list_by_redrive(s: Served) -> None:
    machine = s.machine(FAILS)
    redriven, never = s.run(machine), s.run(machine)
    s.sfn.redrive_execution(executionArn=redriven)
    s.until(lambda: s.sfn.describe_execution(executionArn=redriven)["status"] != "RUNNING")
    listed = s.sfn.list_executions(stateMachineArn=machine, redriveFilter="REDRIVEN")["executions"]
    assert [e["executionArn"] for e in listed] == [redriven]
    listed = s.sfn.list_executions(stateMachineArn=machine, redriveFilter="NOT_REDRIVEN")["executions"]
    assert [e["executionArn"] for e in listed] == [never]


def _list_bad_redrive(s: Served) -> None:
    machine = s.machine(PASSES)
    assert (
        refused(s.sfn.list_executions, stateMachineArn=machine, redriveFilter="ONCE") == "ValidationException"
    )


def _describe_output(s: Served) -> None:
    arn = s.run(s.machine(PASSES), {"n": 1})
    assert json.loads(s.sfn.describe_execution(executionArn=arn)["output"]) == {"n": 1, "a": {"a": 1}}


def _describe_failure(s: Served) -> None:
    described = s.sfn.describe_execution(executionArn=s.run(s.machine(FAILS)))
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Declined", "no funds")


def _describe_redrive(s: Served) -> None:
    arn = s.run(s.machine(FAILS))
    described = s.sfn.describe_execution(executionArn=arn)
    assert (described["redriveCount"], described["redriveStatus"]) == (0, "REDRIVABLE")


def _machine_for_execution(s: Served) -> None:
    machine = s.machine(PASSES)
    described = s.sfn.describe_state_machine_for_execution(executionArn=s.run(machine))
    assert described["stateMachineArn"] == machine and json.loads(described["definition"]) == PASSES


def _machine_for_unknown_execution(s: Served) -> None:
    arn = s.run(s.machine(PASSES))
    assert (
        refused(s.sfn.describe_state_machine_for_execution, executionArn=arn + "-gone")
        == "ExecutionDoesNotExist"
    )


def _validate(s: Served) -> None:
    answer = s.sfn.validate_state_machine_definition(definition=json.dumps({"StartAt": "X", "States": {}}))
    assert answer["result"] == "FAIL" and answer["diagnostics"][0]["severity"] == "ERROR"
    assert {"code", "message", "location"} <= set(answer["diagnostics"][0])


def _validate_bad_severity(s: Served) -> None:
    call = s.sfn.validate_state_machine_definition
    assert refused(call, definition=json.dumps(PASSES), severity="INFO") == "ValidationException"


def _stop(s: Served) -> None:
    arn, _ = s.waiting()
    s.sfn.stop_execution(executionArn=arn, error="Operator", cause="stopped by hand")
    s.until(lambda: s.sfn.describe_execution(executionArn=arn)["status"] == "ABORTED")
    (last,) = s.sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"]
    assert last["executionAbortedEventDetails"] == {"error": "Operator", "cause": "stopped by hand"}


def _stop_too_long(s: Served) -> None:
    arn, _ = s.waiting()
    assert refused(s.sfn.stop_execution, executionArn=arn, error="E" * 257) == "ValidationException"


def _send_success(s: Served) -> None:
    arn, token = s.waiting()
    s.sfn.send_task_success(taskToken=token, output=json.dumps({"paid": True}))
    s.until(lambda: s.sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED")
    assert json.loads(s.sfn.describe_execution(executionArn=arn)["output"]) == {"paid": True}


def _send_not_json(s: Served) -> None:
    _, token = s.waiting()
    assert refused(s.sfn.send_task_success, taskToken=token, output="{not json") == "InvalidOutput"


def _send_made_up_token(s: Served) -> None:
    assert refused(s.sfn.send_task_success, taskToken="made-up", output="{}") == "InvalidToken"


def _send_task_over(s: Served) -> None:
    arn, token = s.waiting()
    s.sfn.send_task_failure(taskToken=token, error="Declined")
    s.until(lambda: s.sfn.describe_execution(executionArn=arn)["status"] == "FAILED")
    assert refused(s.sfn.send_task_failure, taskToken=token, error="Declined") == "TaskDoesNotExist"


def _send_timed_out(s: Served) -> None:
    arn, token = s.waiting(HeartbeatSeconds=60)
    s.app.advance(120)  # the served clock jumps over timers, not over a wait for an outside answer
    s.until(lambda: s.sfn.describe_execution(executionArn=arn)["status"] == "FAILED")
    assert refused(s.sfn.send_task_heartbeat, taskToken=token) == "TaskTimedOut"


def _start_sync(s: Served) -> None:
    answer = s.sfn.start_sync_execution(stateMachineArn=s.machine(PASSES, kind="EXPRESS"), input="{}")
    assert answer["status"] == "SUCCEEDED"
    assert answer["billingDetails"]["billedDurationInMilliseconds"] >= 100
    assert answer["billingDetails"]["billedMemoryUsedInMB"] >= 64


def _test_state_reveal(s: Served) -> None:
    connection = s.client("events").create_connection(
        Name="conformance-api",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cr3t"}},
    )["ConnectionArn"]
    s.app.serve_outside("https://conformance.example.test", lambda _: OutsideResponse(200, b"{}"))
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::http:invoke",
        "Parameters": {
            "ApiEndpoint": "https://conformance.example.test/ping",
            "Method": "GET",
            "Authentication": {"ConnectionArn": connection},
        },
        "End": True,
    }
    headers = {
        reveal: s.sfn.test_state(definition=json.dumps(task), inspectionLevel="TRACE", revealSecrets=reveal)[
            "inspectionData"
        ]["request"]["headers"]
        for reveal in (False, True)
    }
    assert "x-api-key: s3cr3t" in headers[True] and "s3cr3t" not in headers[False]


def _list_machines(s: Served) -> None:
    s.machine(PASSES)
    whole = [m["stateMachineArn"] for m in s.sfn.list_state_machines()["stateMachines"]]
    first = s.sfn.list_state_machines(maxResults=1)
    rest = s.sfn.list_state_machines(maxResults=100, nextToken=first["nextToken"])
    assert [m["stateMachineArn"] for m in first["stateMachines"] + rest["stateMachines"]] == whole


def _tags(s: Served) -> None:
    machine = s.machine(PASSES)
    s.sfn.tag_resource(resourceArn=machine, tags=[{"key": "team", "value": "orders"}])
    assert s.sfn.list_tags_for_resource(resourceArn=machine)["tags"] == [{"key": "team", "value": "orders"}]


def _tags_unknown(s: Served) -> None:
    machine = s.machine(PASSES)
    tags = [{"key": "team", "value": "orders"}]
    assert refused(s.sfn.tag_resource, resourceArn=machine + "-gone", tags=tags) == "ResourceNotFound"


def _redrive(s: Served) -> None:
    arn = s.run(s.machine(FAILS))
    s.sfn.redrive_execution(executionArn=arn)
    s.until(lambda: s.sfn.describe_execution(executionArn=arn).get("redriveCount") == 1)


def _unemulated(s: Served) -> None:
    machine = s.machine(PASSES)
    assert refused(s.sfn.list_state_machine_versions, stateMachineArn=machine) == "UnknownOperationException"


# --- the other services the README drives --------------------------------------------------------


def _invoke(s: Served) -> None:
    work = s.app.function_name("Tiny/Work/")
    answer = s.client("lambda").invoke(FunctionName=work, Payload=json.dumps({"fail": "SKU-1"}))
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorType"] == "OutOfStock"


def _invoke_unknown(s: Served) -> None:
    assert refused(s.client("lambda").invoke, FunctionName="no-such-function") == "ResourceNotFoundException"


def _put_if_absent(s: Served) -> None:
    dynamodb, table = s.client("dynamodb"), s.app.table_name("Tiny/Table/")
    dynamodb.put_item(
        TableName=table, Item={"pk": {"S": "once"}}, ConditionExpression="attribute_not_exists(pk)"
    )
    again = refused(
        dynamodb.put_item,
        TableName=table,
        Item={"pk": {"S": "once"}},
        ConditionExpression="attribute_not_exists(pk)",
    )
    assert again == "ConditionalCheckFailedException"


def _scan(s: Served) -> None:
    dynamodb, table = s.client("dynamodb"), s.app.table_name("Tiny/Table/")
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "scanned"}})
    items = dynamodb.scan(TableName=table, ProjectionExpression="pk")["Items"]
    assert {"pk": {"S": "scanned"}} in items and all(set(item) == {"pk"} for item in items)


def _send_and_receive(s: Served) -> None:
    sqs = s.client("sqs")
    queue = sqs.create_queue(QueueName="conformance")["QueueUrl"]
    sqs.send_message(
        QueueUrl=queue,
        MessageBody="hello",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "greeting"}},
    )
    (message,) = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    assert (message["Body"], message["MessageAttributes"]["kind"]["StringValue"]) == ("hello", "greeting")


def _s3(s: Served) -> None:
    s3 = s.client("s3")
    s3.create_bucket(Bucket="conformance", CreateBucketConfiguration={"LocationConstraint": s.app.region})
    s3.put_object(Bucket="conformance", Key="k", Body=b"payload")
    assert s3.get_object(Bucket="conformance", Key="k")["Body"].read() == b"payload"
    assert refused(s3.get_object, Bucket="conformance", Key="missing") == "NoSuchKey"


def _put_events(s: Served) -> None:
    answer = s.client("events").put_events(
        Entries=[{"Source": "conformance", "DetailType": "Ping", "Detail": "{}"}]
    )
    assert answer["FailedEntryCount"] == 0 and answer["Entries"][0]["EventId"]


def _unknown_secret(s: Served) -> None:
    assert (
        refused(s.client("secretsmanager").get_secret_value, SecretId="no-such-secret")
        == "ResourceNotFoundException"
    )


def _function_logs(s: Served) -> None:
    work = s.app.function_name("Tiny/Work/")
    answer = s.client("lambda").invoke(FunctionName=work, Payload=json.dumps({"log": "conformance line"}))
    assert "FunctionError" not in answer, answer["Payload"].read()
    logs = s.client("logs")
    found = logs.filter_log_events(logGroupName=f"/aws/lambda/{work}", filterPattern='"conformance line"')[
        "events"
    ]
    every = logs.filter_log_events(logGroupName=f"/aws/lambda/{work}")["events"]
    assert len(found) == 1, [event["message"][:120] for event in every]
    stream = logs.get_log_events(logGroupName=f"/aws/lambda/{work}", logStreamName=found[0]["logStreamName"])
    messages = [event["message"] for event in stream["events"]]
    assert messages[0].startswith("START RequestId: ") and messages[-1].startswith("REPORT RequestId: ")


def _execution_logs(s: Served) -> None:
    logs = s.client("logs")
    logs.create_log_group(logGroupName="/conformance/states")
    group_arn = f"arn:aws:logs:{s.app.region}:{s.app.account}:log-group:/conformance/states:*"
    machine = s.sfn.create_state_machine(
        name="conformance-logged",
        definition=json.dumps(PASSES),
        roleArn=f"arn:aws:iam::{s.app.account}:role/r",
        loggingConfiguration={
            "level": "ALL",
            "includeExecutionData": False,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}],
        },
    )["stateMachineArn"]
    arn = s.run(machine, {"secret": "s3cr3t"})
    records = s.until(lambda: logs.filter_log_events(logGroupName="/conformance/states")["events"])
    parsed = [json.loads(event["message"]) for event in records]
    assert (parsed[0]["type"], parsed[-1]["type"]) == ("ExecutionStarted", "ExecutionSucceeded")
    assert {r["execution_arn"] for r in parsed} == {arn} and "s3cr3t" not in json.dumps(parsed)


def _logs_unknown_group(s: Served) -> None:
    call = s.client("logs").filter_log_events
    assert refused(call, logGroupName="/no/such/group") == "ResourceNotFoundException"


ROWS = [
    Row("stepfunctions", "get-execution-history", "reverseOrder", "honoured", _history_reverse),
    Row("stepfunctions", "get-execution-history", "maxResults, nextToken", "honoured", _history_pages),
    Row("stepfunctions", "get-execution-history", "includeExecutionData", "honoured", _history_without_data),
    Row(
        "stepfunctions",
        "get-execution-history",
        "nextToken of another execution",
        "refused: InvalidToken",
        _history_foreign_token,
    ),
    Row(
        "stepfunctions",
        "get-execution-history",
        "maxResults over 1000",
        "refused: ValidationException",
        _history_page_too_big,
    ),
    Row("stepfunctions", "list-executions", "statusFilter", "honoured", _list_by_status),
    Row(
        "stepfunctions",
        "list-executions",
        "statusFilter not a status",
        "refused: ValidationException",
        _list_bad_status,
    ),
    Row("stepfunctions", "list-executions", "maxResults, nextToken", "honoured", _list_pages),
    Row("stepfunctions", "list-executions", "redriveFilter", "honoured", _list_by_redrive),
    Row(
        "stepfunctions",
        "list-executions",
        "redriveFilter not a filter",
        "refused: ValidationException",
        _list_bad_redrive,
    ),
    Row("stepfunctions", "describe-execution", "output", "honoured", _describe_output),
    Row("stepfunctions", "describe-execution", "error, cause", "honoured", _describe_failure),
    Row("stepfunctions", "describe-execution", "redriveCount, redriveStatus", "honoured", _describe_redrive),
    Row(
        "stepfunctions",
        "describe-state-machine-for-execution",
        "executionArn",
        "honoured",
        _machine_for_execution,
    ),
    Row(
        "stepfunctions",
        "describe-state-machine-for-execution",
        "executionArn unknown",
        "refused: ExecutionDoesNotExist",
        _machine_for_unknown_execution,
    ),
    Row(
        "stepfunctions",
        "validate-state-machine-definition",
        "definition (diagnostics: severity, code, location)",
        "honoured",
        _validate,
    ),
    Row(
        "stepfunctions",
        "validate-state-machine-definition",
        "severity not a severity",
        "refused: ValidationException",
        _validate_bad_severity,
    ),
    Row("stepfunctions", "stop-execution", "error, cause", "honoured", _stop),
    Row(
        "stepfunctions",
        "stop-execution",
        "error over 256 characters",
        "refused: ValidationException",
        _stop_too_long,
    ),
    Row("stepfunctions", "send-task-success", "taskToken, output", "honoured", _send_success),
    Row("stepfunctions", "send-task-success", "output not JSON", "refused: InvalidOutput", _send_not_json),
    Row(
        "stepfunctions",
        "send-task-success",
        "taskToken never issued",
        "refused: InvalidToken",
        _send_made_up_token,
    ),
    Row(
        "stepfunctions",
        "send-task-failure",
        "taskToken of a task that is over",
        "refused: TaskDoesNotExist",
        _send_task_over,
    ),
    Row(
        "stepfunctions",
        "send-task-heartbeat",
        "taskToken of a task that timed out",
        "refused: TaskTimedOut",
        _send_timed_out,
    ),
    Row("stepfunctions", "start-sync-execution", "billingDetails", "honoured", _start_sync),
    Row(
        "stepfunctions",
        "test-state",
        "inspectionLevel TRACE, revealSecrets (an HTTP Task)",
        "honoured",
        _test_state_reveal,
    ),
    Row("stepfunctions", "list-state-machines", "maxResults, nextToken", "honoured", _list_machines),
    Row("stepfunctions", "tag-resource, list-tags-for-resource", "resourceArn, tags", "honoured", _tags),
    Row(
        "stepfunctions",
        "tag-resource",
        "resourceArn that names nothing",
        "refused: ResourceNotFound",
        _tags_unknown,
    ),
    Row("stepfunctions", "redrive-execution", "executionArn", "honoured", _redrive),
    Row(
        "stepfunctions",
        "an operation the runtime does not emulate",
        "(any)",
        "refused: UnknownOperationException",
        _unemulated,
    ),
    Row("lambda", "invoke", "FunctionName, Payload (FunctionError)", "honoured", _invoke),
    Row("lambda", "invoke", "FunctionName unknown", "refused: ResourceNotFoundException", _invoke_unknown),
    Row("dynamodb", "put-item", "ConditionExpression", "honoured", _put_if_absent),
    Row("dynamodb", "scan", "ProjectionExpression", "honoured", _scan),
    Row("sqs", "send-message, receive-message", "MessageAttributes", "honoured", _send_and_receive),
    Row("s3", "put-object, get-object", "Key (missing: NoSuchKey)", "honoured", _s3),
    Row("events", "put-events", "Entries", "honoured", _put_events),
    Row(
        "secretsmanager",
        "get-secret-value",
        "SecretId unknown",
        "refused: ResourceNotFoundException",
        _unknown_secret,
    ),
    Row(
        "logs",
        "filter-log-events, get-log-events",
        "a function's group and stream",
        "honoured",
        _function_logs,
    ),
    Row(
        "logs",
        "filter-log-events",
        "a state machine's group (loggingConfiguration)",
        "honoured",
        _execution_logs,
    ),
    Row(
        "logs",
        "filter-log-events",
        "logGroupName unknown",
        "refused: ResourceNotFoundException",
        _logs_unknown_group,
    ),
]


def render(rows: list[Row]) -> str:
    lines = [
        "# Conformance of the served endpoint",
        "",
        "Every operation and parameter below was called through the served endpoint (`make serve`) with",
        "boto3 by `tests/local_runtime/test_conformance.py`, which renders this file from the same rows",
        "and fails when a row's behaviour or this file changes. Each is honoured as AWS honours it, or",
        "refused with AWS's error code; nothing is ignored. An operation the runtime does not emulate is",
        "refused at once with `UnknownOperationException` (HTTP 400, so no SDK retries it).",
        "",
        "| service | operation | parameter | outcome |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r.service} | `{r.operation}` | {r.parameter} | {r.outcome} |" for r in rows]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    assembly = write_assembly(tmp_path_factory.mktemp("conformance") / "cdk.out")
    with LocalApp(assembly) as app:  # the template's log level: the handlers' INFO lines are logged
        endpoint = LocalEndpoint(app, "127.0.0.1", 0, 0, virtual_clock=True).start()
        try:
            yield Served(app, endpoint)
        finally:
            endpoint.stop()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.operation} {r.parameter}")
def test_each_row_is_done_as_the_table_says(served: Served, row: Row) -> None:
    assert row.outcome == "honoured" or row.outcome.startswith("refused: ")
    row.check(served)


def test_the_committed_table_is_the_one_these_rows_render() -> None:
    assert TABLE_FILE.read_text() == render(ROWS), (
        "docs/conformance.md differs from the rows: .venv/bin/python -m tests.local_runtime.test_conformance"
    )


if __name__ == "__main__":
    TABLE_FILE.write_text(render(ROWS))
    print(f"wrote {TABLE_FILE}")
