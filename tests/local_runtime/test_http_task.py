"""The HTTP Task (``arn:aws:states:::http:invoke``) as the Step Functions developer guide describes
it: the request merged with its EventBridge connection, the answer as the task's result, the
States.Http errors for Retry and Catch, and TestState's TRACE with and without revealSecrets."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalApp, moto_patches
from local_runtime.http_requests import form_encoded
from local_runtime.outside_http import OutsideRequest, OutsideResponse

API = "https://api.example.test"


def _connection(app: LocalApp, name: str, kind: str = "API_KEY", **auth: Any) -> str:
    parameters = {
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cr3t"},
        "InvocationHttpParameters": {
            "HeaderParameters": [
                {"Key": "Header-Param", "Value": "connection_header", "IsValueSecret": False}
            ],
            "QueryStringParameters": [
                {"Key": "QueryParam", "Value": "connection_query", "IsValueSecret": True}
            ],
            "BodyParameters": [{"Key": "BodyParam", "Value": "connection_body", "IsValueSecret": True}],
        },
    }
    if kind != "API_KEY":
        parameters = auth
    return str(
        app.client("events").create_connection(Name=name, AuthorizationType=kind, AuthParameters=parameters)[
            "ConnectionArn"
        ]
    )


def _task(connection: str, **fields: Any) -> dict[str, Any]:
    parameters = {
        "ApiEndpoint": f"{API}/orders",
        "Method": "POST",
        "Authentication": {"ConnectionArn": connection},
        "Headers": {"Request-Id": "r-1", "Header-Param": "task_header"},
        "QueryParameters": {"QueryParam": "task_query", "page": "2"},
        "RequestBody": {"Job": "Engineer", "BodyParam": "task_body"},
        **fields,
    }
    return {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Parameters": parameters, "End": True}


def _serve(app: LocalApp, answers: list[OutsideResponse]) -> list[OutsideRequest]:
    received: list[OutsideRequest] = []

    def service(request: OutsideRequest) -> OutsideResponse:
        received.append(request)
        return answers[min(len(received), len(answers)) - 1]

    app.serve_outside(API, service)
    return received


def _ok(body: dict[str, Any]) -> OutsideResponse:
    return OutsideResponse(
        200, json.dumps(body).encode(), {"Content-Type": "application/json", "X-Trace": "t-1"}
    )


def _execute(app: LocalApp, definition: dict[str, Any], name: str) -> dict[str, Any]:
    sfn = app.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=f"arn:aws:iam::{app.account}:role/http"
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, name=name, input="{}")["executionArn"]
    return app.wait_for(arn)


def test_the_request_merges_the_connection_and_the_answer_is_the_result(tiny_app: LocalApp) -> None:
    connection = _connection(tiny_app, "orders-api")
    received = _serve(tiny_app, [_ok({"accepted": True})])

    ended = _execute(tiny_app, {"StartAt": "Call", "States": {"Call": _task(connection)}}, "call")

    assert ended["status"] == "SUCCEEDED", (ended.get("error"), ended.get("cause"))
    (request,) = received
    assert request.method == "POST"
    query = parse_qs(urlsplit(request.url).query)
    assert query == {"QueryParam": ["connection_query"], "page": ["2"]}  # the connection's value wins
    assert request.header("x-api-key") == "s3cr3t"
    assert request.header("Header-Param") == "connection_header"
    assert request.header("Request-Id") == "r-1"
    assert request.header("User-Agent") == f"Amazon|StepFunctions|HttpInvoke|{tiny_app.region}"
    assert request.header("Range") == "bytes=0-262144"
    assert request.header("Content-Type") == "application/json; charset=UTF-8"
    assert json.loads(request.body) == {"Job": "Engineer", "BodyParam": "connection_body"}
    output = json.loads(ended["output"])
    assert output["ResponseBody"] == {"accepted": True}
    assert (output["StatusCode"], output["StatusText"]) == (200, "OK")
    assert output["Headers"]["x-trace"] == ["t-1"]


def test_status_errors_are_retried_and_caught_by_their_states_http_names(tiny_app: LocalApp) -> None:
    connection = _connection(tiny_app, "flaky-api")
    received = _serve(
        tiny_app,
        [
            OutsideResponse(503, b"busy", {"Content-Type": "text/plain"}),
            OutsideResponse(404, b'{"message": "no such order"}'),
        ],
    )
    task = _task(connection)
    task.pop("End")
    task["Retry"] = [{"ErrorEquals": ["States.Http.StatusCode.503"], "IntervalSeconds": 1, "MaxAttempts": 2}]
    task["Catch"] = [
        {"ErrorEquals": ["States.Http.StatusCode.404"], "ResultPath": "$.error", "Next": "Missing"}
    ]
    definition = {"StartAt": "Call", "States": {"Call": task, "Missing": {"Type": "Succeed"}}}

    ended = _execute(tiny_app, definition, "flaky")

    assert ended["status"] == "SUCCEEDED", (ended.get("error"), ended.get("cause"))
    assert len(received) == 2  # the 503 retried once, the 404 caught
    caught = json.loads(ended["output"])["error"]
    assert caught["Error"] == "States.Http.StatusCode.404"
    cause = json.loads(caught["Cause"])
    assert (cause["StatusCode"], cause["ResponseBody"]) == (404, {"message": "no such order"})


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"Headers": {"Authorization": "Bearer mine"}}, "States.Runtime"),
        ({"Authentication": {"ConnectionArn": "arn:aws:events:eu-west-1:123456789012:connection/none/x"}},
         "Events.ConnectionResource.ResourceNotFound"),
        ({"ApiEndpoint": "https://nobody.example.test/"}, "States.Http.Socket"),
        ({"RequestBody": "plain text"}, "States.Runtime"),  # a string body cannot take the connection's
    ],
)  # fmt: skip
def test_what_aws_refuses_fails_the_task_with_its_name(
    tiny_app: LocalApp, change: dict[str, Any], error: str
) -> None:
    connection = _connection(tiny_app, "strict-api")
    _serve(tiny_app, [_ok({})])
    answer = tiny_app.client("stepfunctions").test_state(definition=json.dumps(_task(connection, **change)))
    assert (answer["status"], answer["error"]) == ("FAILED", error), answer


def _trace(app: LocalApp, connection: str, reveal: bool) -> dict[str, Any]:
    answer = app.client("stepfunctions").test_state(
        definition=json.dumps(_task(connection)), inspectionLevel="TRACE", revealSecrets=reveal
    )
    assert answer["status"] == "SUCCEEDED", answer
    return dict(answer["inspectionData"])


def test_trace_shows_the_request_without_the_connections_secrets(tiny_app: LocalApp) -> None:
    connection = _connection(tiny_app, "traced-api")
    _serve(tiny_app, [_ok({"accepted": True})])

    hidden = _trace(tiny_app, connection, reveal=False)
    shown = _trace(tiny_app, connection, reveal=True)

    assert hidden["request"]["method"] == "POST"
    assert hidden["request"]["protocol"] == "https"
    assert hidden["request"]["url"] == f"{API}/orders?QueryParam=task_query&page=2"
    assert hidden["request"]["headers"] == (
        f"[Request-Id: r-1, Header-Param: task_header, User-Agent: Amazon|StepFunctions|HttpInvoke|"
        f"{tiny_app.region}, Range: bytes=0-262144]"
    )
    assert json.loads(hidden["request"]["body"]) == {"Job": "Engineer", "BodyParam": "task_body"}
    assert shown["request"]["url"] == f"{API}/orders?page=2&QueryParam=connection_query"
    assert "x-api-key: s3cr3t" in shown["request"]["headers"]
    assert "Header-Param: connection_header" in shown["request"]["headers"]
    assert json.loads(shown["request"]["body"])["BodyParam"] == "connection_body"
    for inspection in (hidden, shown):
        response = inspection["response"]
        assert (response["statusCode"], response["statusMessage"]) == ("200", "OK")
        assert json.loads(response["body"]) == {"accepted": True}
        assert "X-Trace: t-1" in response["headers"]


def test_debug_shows_no_request(tiny_app: LocalApp) -> None:
    connection = _connection(tiny_app, "debug-api")
    _serve(tiny_app, [_ok({})])
    answer = tiny_app.client("stepfunctions").test_state(
        definition=json.dumps(_task(connection)), inspectionLevel="DEBUG", revealSecrets=True
    )
    assert "request" not in answer["inspectionData"] and "afterParameters" in answer["inspectionData"]


def test_basic_and_oauth_connections_authorize_as_eventbridge_does(tiny_app: LocalApp) -> None:
    basic = _connection(
        tiny_app, "basic-api", "BASIC", BasicAuthParameters={"Username": "shop", "Password": "pw"}
    )
    oauth = _connection(
        tiny_app,
        "oauth-api",
        "OAUTH_CLIENT_CREDENTIALS",
        OAuthParameters={
            "ClientParameters": {"ClientID": "client", "ClientSecret": "secret"},
            "AuthorizationEndpoint": "https://auth.example.test/token",
            "HttpMethod": "POST",
        },
    )
    token_requests: list[OutsideRequest] = []

    def token(request: OutsideRequest) -> OutsideResponse:
        token_requests.append(request)
        return OutsideResponse(200, json.dumps({"access_token": "tok-1", "token_type": "bearer"}).encode())

    tiny_app.serve_outside("https://auth.example.test", token)
    received = _serve(tiny_app, [_ok({})])
    sfn = tiny_app.client("stepfunctions")

    for connection in (basic, oauth):
        task = _task(connection, Headers={}, RequestBody={"a": 1})
        assert sfn.test_state(definition=json.dumps(task))["status"] == "SUCCEEDED"

    assert received[0].header("Authorization") == "Basic " + base64.b64encode(b"shop:pw").decode()
    assert received[1].header("Authorization") == "Bearer tok-1"
    (asked,) = token_requests
    assert asked.header("Authorization") == "Basic " + base64.b64encode(b"client:secret").decode()
    assert parse_qs(asked.body.decode()) == {"grant_type": ["client_credentials"]}


@pytest.mark.parametrize(
    ("array_format", "encoded"),
    [
        ("INDICES", "array%5B0%5D=a&array%5B1%5D=b"),
        ("REPEAT", "array=a&array=b"),
        ("COMMAS", "array=a,b"),
        ("BRACKETS", "array%5B%5D=a&array%5B%5D=b"),
    ],
)
def test_url_encoded_bodies_encode_arrays_as_asked(array_format: str, encoded: str) -> None:
    assert form_encoded({"array": ["a", "b"]}, array_format) == encoded
    nested = form_encoded({"description": "Monthly subscription", "metadata": {"order_details": "x y"}})
    assert nested == "description=Monthly%20subscription&metadata%5Border_details%5D=x%20y"


def test_a_url_encoded_task_sends_a_form(tiny_app: LocalApp) -> None:
    connection = _connection(tiny_app, "form-api")
    received = _serve(tiny_app, [_ok({})])
    task = _task(
        connection,
        Headers={"Content-Type": "application/x-www-form-urlencoded"},
        RequestBody={"customer": "c-1", "lines": ["a", "b"]},
        Transform={"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions": {"ArrayFormat": "REPEAT"}},
    )
    assert tiny_app.client("stepfunctions").test_state(definition=json.dumps(task))["status"] == "SUCCEEDED"
    assert parse_qs(received[0].body.decode()) == {
        "customer": ["c-1"],
        "lines": ["a", "b"],
        "BodyParam": ["connection_body"],
    }


def _refused(create: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as refused:
        create()
    return str(refused.value.response["Error"]["Message"])


def test_without_the_patch_an_http_task_cannot_be_created(tiny_app: LocalApp) -> None:
    connection = _connection(tiny_app, "unpatched-api")
    sfn = tiny_app.client("stepfunctions")
    definition = json.dumps({"StartAt": "Call", "States": {"Call": _task(connection)}})
    with moto_patches.without("http_task_service"):
        message = _refused(
            lambda: sfn.create_state_machine(
                name="unpatched", definition=definition, roleArn=f"arn:aws:iam::{tiny_app.account}:role/r"
            )
        )
    assert "Unknown service 'http'" in message


def test_states_http_error_names_are_accepted_in_retry_and_catch(tiny_app: LocalApp) -> None:
    assert _http_error_names_definition(tiny_app, "http-errors")["stateMachineArn"]


def test_without_the_patch_states_http_error_names_fail_the_definition(tiny_app: LocalApp) -> None:
    with moto_patches.without("http_error_names"):
        message = _refused(lambda: _http_error_names_definition(tiny_app, "http-errors-unpatched"))
    assert "MUST NOT begin with the prefix 'States.'" in message


def _http_error_names_definition(tiny_app: LocalApp, name: str) -> Any:
    """A definition whose Retry and Catch name States.Http errors (its Comment names it, so a
    definition parsed with the patch is never the one asked for without it)."""
    send = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": "https://sqs.example/q", "MessageBody": "x"},
        "Retry": [{"ErrorEquals": ["States.Http.StatusCode.429"]}],
        "Catch": [{"ErrorEquals": ["States.Http.Socket"], "Next": "Done"}],
        "Next": "Done",
    }
    catching = {"Comment": name, "StartAt": "Send", "States": {"Send": send, "Done": {"Type": "Succeed"}}}
    return tiny_app.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(catching), roleArn=f"arn:aws:iam::{tiny_app.account}:role/r"
    )
