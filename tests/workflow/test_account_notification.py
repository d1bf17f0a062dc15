"""The account-change notification on the embedded engine, with moto's Cognito and SES: accounts
table → stream → pipe (MODIFY only) → workflow → email, read back from moto's sent messages."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from moto.ses.models import ses_backends

from local_runtime import LocalApp
from observability.slo import NOTIFICATION_DELAY
from tests.workflow.slo_values import slo_values
from workflows.asl import load_definition

pytestmark = pytest.mark.workflow

NOTIFICATION = "AccountChangeNotificationStateMachineArn"
ADA = {"email": "ada@example.com", "given_name": "Ada", "family_name": "Lovelace"}
_deserializer = TypeDeserializer()


@pytest.fixture
def app(assembly_dir: Path) -> Iterator[LocalApp]:
    with LocalApp(assembly_dir, log_level="INFO") as local_app:
        local_app.pause_pipe("OrderSaga")
        yield local_app


def _user(app: LocalApp, verified: bool = True, **attributes: str) -> str:
    """A user in the stack's pool; returns the sub (the pool's usernames are subs)."""
    values = {**ADA, **attributes, "email_verified": "true" if verified else "false"}
    user = app.client("cognito-idp").admin_create_user(
        UserPoolId=app.output("UserPoolId"),
        Username=values["email"],
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": name, "Value": value} for name, value in values.items()],
    )["User"]
    return str(user["Username"])


def _account(app: LocalApp, sub: str, /, **fields: Any) -> dict[str, Any]:
    """An account item: the sub and profile fields, as the account service writes them."""
    item = {
        "pk": {"S": sub},
        "sub": {"S": sub},
        "address": {"M": {"line1": {"S": "12 Analytical Street"}, "city": {"S": "London"}}},
        "phone": {"S": "+44 20 7946 0000"},
        "nickname": {"S": "ada"},
        "mfa": {"M": {"totp": {"BOOL": True}, "secretVersion": {"N": "1"}}},
        **fields,
    }
    app.client("dynamodb").put_item(TableName=app.output("AccountsTableName"), Item=item)
    app.drain()
    return item


def _update(app: LocalApp, sub: str, expression: str, values: dict[str, Any] | None = None) -> None:
    request: dict[str, Any] = {
        "TableName": app.output("AccountsTableName"),
        "Key": {"pk": {"S": sub}},
        "UpdateExpression": expression,
    }
    if values:
        request["ExpressionAttributeValues"] = values
    app.client("dynamodb").update_item(**request)
    app.drain()


def _sent(app: LocalApp) -> list[Any]:
    return list(ses_backends[app.account][app.region].sent_messages)


def _notices(app: LocalApp) -> list[dict[str, Any]]:
    items = app.client("dynamodb").scan(TableName=app.output("NoticesTableName"))["Items"]
    values = [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in items]
    return [v for v in values if str(v["pk"]).startswith("NOTICE#")]


def _executions(app: LocalApp) -> list[dict[str, Any]]:
    return app.executions(app.output(NOTIFICATION))


def _pipe_dlq(app: LocalApp) -> list[dict[str, Any]]:
    return [
        message
        for queue in app.resources.of_type("AWS::SQS::Queue")  # type: ignore[union-attr]
        if queue.path.startswith("OrderPlatformStack/AccountNotification/PipeDlq")
        for message in app.receive_all(queue.ref)
    ]


def test_an_address_change_sends_one_email_with_the_users_name(app: LocalApp) -> None:
    sub = _user(app)
    _account(app, sub)
    # When the user's address changes
    _update(app, sub, "SET address.line1 = :line", {":line": {"S": "1 New Road"}})
    # Then exactly one email went to the verified address, from the configured sender
    (message,) = _sent(app)
    assert message.source == "security-notices@example.com"
    assert message.destinations == {"ToAddresses": ["ada@example.com"]}
    assert message.subject == "Security notice: postal address changed on your account"
    assert message.body.startswith("Hello Ada Lovelace,")
    assert "- Postal address: changed to city: London, line1: 1 New Road" in message.body
    # And the notice is recorded with SES's message id, and no personal data
    (notice,) = _notices(app)
    assert (notice["status"], notice["sub"], json.loads(notice["attributes"])) == ("SENT", sub, ["address"])
    assert notice["messageId"] == message.id
    assert "ada@example.com" not in json.dumps(notice, default=str)
    # And SendNotice reported the delay from the change to the email (an SLO): on the still
    # clock of a drain, within the stream record's one-second precision
    (delay,) = slo_values(app, NOTIFICATION_DELAY)
    assert 0 <= delay <= 2_000


def test_a_change_started_by_hand_in_plain_json_sends_the_same_email(app: LocalApp) -> None:
    # Given a user, and an operator who starts the workflow by hand with the change in plain JSON
    sub = _user(app)
    address = {"line1": "12 Analytical Street", "city": "London"}
    change = {
        "eventId": "hand-start-1",
        "changedAt": "2026-12-02T12:00:00Z",
        "oldImage": {"pk": sub, "sub": sub, "address": address},
        "newImage": {"pk": sub, "sub": sub, "address": {**address, "line1": "1 New Road"}},
    }
    sfn = app.client("stepfunctions")
    sfn.start_execution(stateMachineArn=app.output(NOTIFICATION), input=json.dumps(change))
    app.drain()
    # Then the email is the one the stream record of that change sends, recorded under its event id
    (message,) = _sent(app)
    assert message.subject == "Security notice: postal address changed on your account"
    assert "- Postal address: changed to city: London, line1: 1 New Road" in message.body
    (notice,) = _notices(app)
    assert (notice["pk"], notice["status"]) == ("NOTICE#hand-start-1", "SENT")


def test_a_secret_setting_is_named_but_its_new_value_never_shown(app: LocalApp) -> None:
    sub = _user(app)
    _account(app, sub, recoveryCodes={"SS": ["old-1", "old-2"]})
    _update(
        app,
        sub,
        "SET recoveryCodes = :codes, phone = :phone",
        {":codes": {"SS": ["NEWCODE-77", "NEWCODE-88"]}, ":phone": {"S": "+44 20 7946 0999"}},
    )
    (message,) = _sent(app)
    assert message.subject == "Security notice: 2 settings changed on your account"
    assert "- Recovery codes: changed\n" in message.body
    assert "- Phone number: changed to +44 20 7946 0999" in message.body
    assert "NEWCODE" not in message.body


def test_a_change_that_is_not_security_relevant_sends_nothing(app: LocalApp) -> None:
    sub = _user(app)
    _account(app, sub)
    _update(app, sub, "SET nickname = :n", {":n": {"S": "countess"}})
    assert _sent(app) == [] and _notices(app) == []
    (execution,) = _executions(app)
    assert app.states_visited(execution["executionArn"]) == [
        "DiffImages",
        "AnySecurityChange",
        "NothingToNotify",
    ]


def test_inserts_and_removals_never_reach_the_workflow(app: LocalApp) -> None:
    sub = _user(app)
    _account(app, sub)
    app.client("dynamodb").delete_item(TableName=app.output("AccountsTableName"), Key={"pk": {"S": sub}})
    app.drain()
    assert _executions(app) == [] and _sent(app) == []


def test_an_unknown_user_gets_no_email_and_the_skip_is_recorded(app: LocalApp) -> None:
    sub = "0b7e2c1a-0000-4000-8000-00000000dead"
    _account(app, sub)
    _update(app, sub, "SET phone = :p", {":p": {"S": "+44 1"}})
    assert _sent(app) == []
    (notice,) = _notices(app)
    assert (notice["status"], notice["reason"]) == (
        "SKIPPED",
        "CognitoIdentityProvider.UserNotFoundException",
    )
    (execution,) = _executions(app)
    assert execution["status"] == "SUCCEEDED"  # nothing to retry: no retry storm


def test_a_user_without_a_verified_email_gets_none_and_the_skip_is_recorded(app: LocalApp) -> None:
    sub = _user(app, verified=False)
    _account(app, sub)
    _update(app, sub, "REMOVE phone")
    assert _sent(app) == []
    (notice,) = _notices(app)
    assert (notice["status"], notice["reason"]) == ("SKIPPED", "NoVerifiedEmail")


def test_a_duplicate_delivery_of_the_record_sends_one_email(app: LocalApp) -> None:
    sub = _user(app)
    _account(app, sub)
    _update(app, sub, "SET address.city = :c", {":c": {"S": "Paris"}})
    (first,) = _executions(app)
    # When the pipe delivers the very same stream record again (at-least-once)
    duplicate = app.client("stepfunctions").start_execution(
        stateMachineArn=app.output(NOTIFICATION), name="duplicate-delivery", input=first["input"]
    )
    app.wait_for(duplicate["executionArn"])
    # Then the second run succeeded and replayed the first send: one email
    assert (
        app.client("stepfunctions").describe_execution(executionArn=duplicate["executionArn"])["status"]
        == "SUCCEEDED"
    )
    (message,) = _sent(app)
    assert [n["messageId"] for n in _notices(app)] == [message.id]


def test_ses_throttled_twice_is_retried_and_one_email_goes_out(app: LocalApp) -> None:
    rule = app.calls.fail("sesv2", "SendEmail", error="TooManyRequestsException", times=2)
    sub = _user(app)
    _account(app, sub)
    _update(app, sub, "SET email = :e", {":e": {"S": "ada@example.org"}})
    assert rule.fired == 2
    (message,) = _sent(app)
    assert message.destinations == {"ToAddresses": ["ada@example.com"]}  # Cognito's, not the table's
    (execution,) = _executions(app)
    failures = [
        e["taskFailedEventDetails"]["error"]
        for e in app.history(execution["executionArn"])
        if e["type"] == "TaskFailed"
    ]
    assert failures == ["EmailThrottled", "EmailThrottled"]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [({"sub": {"NULL": True}}, "no sub"), ({"sub": {"N": "42"}}, "no sub")],
)
def test_a_malformed_image_is_retried_a_bounded_number_of_times_then_parked(
    app: LocalApp, fields: dict[str, Any], problem: str
) -> None:
    sub = _user(app)
    _account(app, sub, **fields)
    _update(app, sub, "SET phone = :p", {":p": {"S": "+44 2"}})
    # Then every execution failed by name, the pipe gave up after its retries, and parked the batch
    executions = _executions(app)
    assert {(e["status"], e["error"]) for e in executions} == {("FAILED", "InvalidAccountChange")}
    assert len(executions) == 3  # the first delivery and MaximumRetryAttempts (2) more
    (parked,) = _pipe_dlq(app)
    assert parked["dynamoDbStreamBatchInfo"]["batchSize"] == 1
    assert _sent(app) == []


def test_names_and_addresses_never_reach_a_log(app: LocalApp) -> None:
    sub = _user(app)
    _account(app, sub)
    _update(app, sub, "SET address.line1 = :line", {":line": {"S": "1 New Road"}})
    assert len(_sent(app)) == 1
    logged = "\n".join(line for function in app.lambdas.functions() for line in app.logs.lines(function.name))
    assert sub in logged  # the tasks do log (ids and attribute names)
    for personal in ("ada@example.com", "Ada", "Lovelace"):
        assert personal not in logged, personal


def test_executions_walk_the_deployed_asl_file_to_its_end_states(app: LocalApp) -> None:
    # Given the definition in asl/account_change_notification.asl.json
    states = json.loads(load_definition("account_change_notification"))["States"]
    sub = _user(app)
    _account(app, sub)
    # When a security change and a nickname change run
    _update(app, sub, "SET phone = :p", {":p": {"S": "+44 3"}})
    _update(app, sub, "SET nickname = :n", {":n": {"S": "countess"}})
    # Then each execution visited states of that file, each one the Next (or a Choice's
    # target) of the one before, and ended in one of its Succeed states
    for execution in _executions(app):
        visited = app.states_visited(execution["executionArn"])
        assert visited[0] == "DiffImages" and states[visited[-1]]["Type"] == "Succeed"
        for before, after in itertools.pairwise(visited):
            state = states[before]
            targets = {state.get("Next"), state.get("Default")} | {
                c["Next"] for c in state.get("Choices", [])
            }
            assert after in targets, (before, after)
