"""Each moto patch is needed: the behaviour it fixes is broken without it."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from demo.customers import CustomerAccount
from local_runtime import LocalApp, moto_patches


def _run(app: LocalApp, definition: dict[str, Any], name: str, payload: Any = None) -> str:
    sfn = app.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"probe-{name}",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{app.account}:role/probe",
    )["stateMachineArn"]
    return str(
        sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload or {}))[
            "executionArn"
        ]
    )


PUT_EVENTS = {
    "StartAt": "Put",
    "States": {
        "Put": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:eventbridge:putEvents",
            "Parameters": {"Entries": [{"Source": "probe", "DetailType": "Probe", "Detail": "{}"}]},
            "End": True,
        }
    },
}


def test_sdk_eventbridge_tasks_reach_the_bus(tiny_app: LocalApp) -> None:
    description = tiny_app.wait_for(_run(tiny_app, PUT_EVENTS, "sdk-put"))
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"])["FailedEntryCount"] == 0


def _wait_in_real_time(app: LocalApp, arn: str) -> dict[str, Any]:
    """An unpatched engine runs on real threads, outside the clock: poll until it ends."""
    sfn = app.client("stepfunctions")
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.01)
    description: dict[str, Any] = sfn.describe_execution(executionArn=arn)
    return description


def test_without_the_patch_sdk_eventbridge_is_an_unknown_service(tiny_app: LocalApp) -> None:
    with moto_patches.without("boto_overrides"):
        description = _wait_in_real_time(tiny_app, _run(tiny_app, PUT_EVENTS, "sdk-put-tiny_app"))
        assert description["status"] == "FAILED"
        assert "Unknown service: 'eventbridge'" in description["cause"]


LONG_WAIT = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def _virtual_seconds(description: dict[str, Any]) -> float:
    return float((description["stopDate"] - description["startDate"]).total_seconds())


def _still_running_after_hours(app: LocalApp, arn: str) -> bool:
    """Let two hours of virtual time pass; an engine on real time has not moved meanwhile.

    Its threads are not the clock's, so first wait (in real time) until it is blocked in its
    long wait: its history stops growing. Otherwise the clock could jump while it still works."""
    previous, stable_since = -1, time.monotonic()
    give_up = stable_since + 10
    while time.monotonic() - stable_since < 0.3 and time.monotonic() < give_up:
        length = len(app.history(arn))
        if length != previous:
            previous, stable_since = length, time.monotonic()
        time.sleep(0.02)
    app.advance(timedelta(hours=2))
    running = app.client("stepfunctions").describe_execution(executionArn=arn)["status"] == "RUNNING"
    app.client("stepfunctions").stop_execution(executionArn=arn)
    return running


def test_a_wait_state_is_a_timer_on_the_virtual_clock(tiny_app: LocalApp) -> None:
    # Given a one-hour Wait: it ends exactly one virtual hour after it started
    description = tiny_app.wait_for(_run(tiny_app, LONG_WAIT, "wait"))
    assert description["status"] == "SUCCEEDED"
    assert _virtual_seconds(description) == 3600


def test_without_the_patch_a_wait_state_sleeps_in_real_time(tiny_app: LocalApp) -> None:
    with moto_patches.without("threads"):
        assert _still_running_after_hours(tiny_app, _run(tiny_app, LONG_WAIT, "wait-tiny_app"))


def _retrying(function_arn: str) -> dict[str, Any]:
    return {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                "Retry": [{"ErrorEquals": ["OutOfStock"], "IntervalSeconds": 600, "MaxAttempts": 2}],
                "End": True,
            }
        },
    }


def test_retry_intervals_are_timers_on_the_virtual_clock(tiny_app: LocalApp) -> None:
    # Given a task retried twice (10 then 20 minutes apart: BackoffRate 2.0) that always fails
    work = tiny_app.resource("AWS::Lambda::Function", "Tiny/Work/").arn()
    arn = _run(tiny_app, _retrying(work), "retry", {"fail": "SKU"})
    description = tiny_app.wait_for(arn)
    # Then all three attempts ran, at the virtual times the Retry policy says, and the error surfaced
    assert description["status"] == "FAILED"
    assert description["error"] == "OutOfStock"
    failed_at = [e["timestamp"] for e in tiny_app.history(arn) if e["type"] == "TaskFailed"]
    assert [(t - failed_at[0]).total_seconds() for t in failed_at] == [0, 600, 1800]


def test_without_the_patch_a_retry_interval_sleeps_in_real_time(tiny_app: LocalApp) -> None:
    with moto_patches.without("threads"):
        work = tiny_app.resource("AWS::Lambda::Function", "Tiny/Work/").arn()
        assert _still_running_after_hours(
            tiny_app, _run(tiny_app, _retrying(work), "retry-tiny_app", {"fail": "S"})
        )


def test_a_different_moto_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_patches.moto, "__version__", "5.3.0")
    moto_patches.uninstall()
    try:
        with pytest.raises(moto_patches.UnsupportedMotoVersion):
            moto_patches.install()
    finally:
        monkeypatch.undo()
        moto_patches.install()


def _failures_queue(app: LocalApp) -> str:
    """A queue receiving every FAILED status-change event from the default bus."""
    sqs, events = app.client("sqs"), app.client("events")
    url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"]}
    events.put_rule(Name="failures", EventPattern=json.dumps({**pattern, "detail": {"status": ["FAILED"]}}))
    events.put_targets(Rule="failures", Targets=[{"Id": "q", "Arn": arn}])
    return str(url)


def test_an_ended_execution_emits_its_status_change_event(tiny_app: LocalApp) -> None:
    # Given a rule on the default bus for failed executions
    queue = _failures_queue(tiny_app)
    # When an execution fails (and another succeeds)
    sfn = tiny_app.client("stepfunctions")
    machine = tiny_app.state_machine_arn("Tiny/Machine/")
    failed = sfn.start_execution(stateMachineArn=machine, name="bad", input=json.dumps({"fail": "SKU-1"}))
    sfn.start_execution(stateMachineArn=machine, name="good", input=json.dumps({"n": 1}))
    tiny_app.drain()
    # Then the queue holds exactly the failure, with the original input as AWS reports it
    (event,) = tiny_app.receive_all(queue)
    assert event["detail"]["executionArn"] == failed["executionArn"]
    assert event["detail"]["status"] == "FAILED"
    assert event["detail"]["error"] == "OrderRejected"
    assert json.loads(event["detail"]["input"]) == {"fail": "SKU-1"}


def test_without_the_patch_no_status_change_event_is_emitted(tiny_app: LocalApp) -> None:
    with moto_patches.without("terminated"):
        queue = _failures_queue(tiny_app)
        sfn = tiny_app.client("stepfunctions")
        arn = sfn.start_execution(
            stateMachineArn=tiny_app.state_machine_arn("Tiny/Machine/"),
            name="bad",
            input=json.dumps({"fail": "X"}),
        )["executionArn"]
        assert _wait_in_real_time(tiny_app, arn)["status"] == "FAILED"
        assert tiny_app.receive_all(queue) == []


def _rule_to_machine(app: LocalApp, **rule: Any) -> None:
    events = app.client("events")
    events.put_rule(Name="to-machine", **rule)
    target = {
        "Id": "m",
        "Arn": app.state_machine_arn("Tiny/Machine/"),
        "Input": json.dumps({"n": "constant"}),
    }
    events.put_targets(Rule="to-machine", Targets=[target])


def test_a_rule_starts_a_state_machine_with_the_targets_input(tiny_app: LocalApp) -> None:
    _rule_to_machine(tiny_app, EventPattern=json.dumps({"source": ["shop"]}))
    tiny_app.client("events").put_events(Entries=[{"Source": "shop", "DetailType": "Ping", "Detail": "{}"}])
    tiny_app.drain()
    (execution,) = tiny_app.executions("Tiny/Machine/")
    assert json.loads(execution["input"]) == {"n": "constant"}


def test_without_the_patch_an_event_for_a_state_machine_target_fails_put_events(tiny_app: LocalApp) -> None:
    _rule_to_machine(tiny_app, EventPattern=json.dumps({"source": ["shop"]}))
    entry = {"Source": "shop", "DetailType": "Ping", "Detail": "{}"}
    with moto_patches.without("send_to_targets"), pytest.raises(NotImplementedError):
        tiny_app.client("events").put_events(Entries=[entry])
    assert tiny_app.executions("Tiny/Machine/") == []


def test_a_scheduled_rule_never_matches_events(tiny_app: LocalApp) -> None:
    _rule_to_machine(tiny_app, ScheduleExpression="rate(5 minutes)")
    tiny_app.client("events").put_events(Entries=[{"Source": "shop", "DetailType": "Ping", "Detail": "{}"}])
    tiny_app.drain()
    assert tiny_app.executions("Tiny/Machine/") == []


CALLBACK = {
    "StartAt": "Wait for answer",
    "States": {
        "Wait for answer": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "${Fn}", "Payload": {"token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 3600,
            "End": True,
        }
    },
}


def _callback(app: LocalApp) -> dict[str, Any]:
    text = json.dumps(CALLBACK).replace("${Fn}", app.resource("AWS::Lambda::Function", "Tiny/Work/").arn())
    return dict(json.loads(text))


def test_a_task_timeout_is_a_timer_on_the_virtual_clock(tiny_app: LocalApp) -> None:
    # Given a callback nobody answers, with TimeoutSeconds 3600
    arn = _run(tiny_app, _callback(tiny_app), "callback")
    # Then draining leaves it parked (only an outside party could answer)...
    tiny_app.drain()
    assert tiny_app.parked_executions() == [arn]
    # ...and when the hour has passed, it times out, exactly then
    description = tiny_app.wait_for(arn)
    assert (description["status"], description["error"]) == ("FAILED", "States.Timeout")
    assert _virtual_seconds(description) == 3600


def test_without_the_patch_a_task_timeout_runs_in_real_time(tiny_app: LocalApp) -> None:
    with moto_patches.without("threads"):
        assert _still_running_after_hours(tiny_app, _run(tiny_app, _callback(tiny_app), "callback-tiny_app"))


SELF_ANSWERING = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "${Fn}", "Payload": {"answer_own_token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 900,
            "HeartbeatSeconds": 300,
            "End": True,
        }
    },
}


def _self_answering(app: LocalApp) -> dict[str, Any]:
    text = json.dumps(SELF_ANSWERING).replace(
        "${Fn}", app.resource("AWS::Lambda::Function", "Tiny/Work/").arn()
    )
    return dict(json.loads(text))


def test_a_token_answered_during_its_invocation_completes_the_task_at_once(tiny_app: LocalApp) -> None:
    # Given a callback task with a heartbeat whose Lambda answers its own token before returning
    arn = _run(tiny_app, _self_answering(tiny_app), "self-answering")
    # Then the task succeeds with that answer, at the instant it started (no heartbeat timeout)
    description = tiny_app.wait_for(arn)
    assert description["status"] == "SUCCEEDED", description
    assert json.loads(description["output"]) == {"answered": "during the invocation"}
    assert _virtual_seconds(description) == 0


def test_without_the_patch_an_early_answer_is_lost_and_the_heartbeat_times_out(tiny_app: LocalApp) -> None:
    with moto_patches.without("heartbeat_wait"):
        description = tiny_app.wait_for(_run(tiny_app, _self_answering(tiny_app), "self-answering-unpatched"))
    assert (description["status"], description["error"]) == ("FAILED", "States.Timeout")


def _task_token(app: LocalApp, arn: str) -> str:
    app.drain()
    (scheduled,) = [e for e in app.history(arn) if e["type"] == "TaskScheduled"]
    return str(json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["Payload"]["token"])


def test_send_task_failure_keeps_its_cause(tiny_app: LocalApp) -> None:
    arn = _run(tiny_app, _callback(tiny_app), "failure-with-cause")
    tiny_app.client("stepfunctions").send_task_failure(
        taskToken=_task_token(tiny_app, arn), error="PaymentDeclined", cause="over the limit"
    )
    description = tiny_app.wait_for(arn)
    assert (description["error"], description["cause"]) == ("PaymentDeclined", "over the limit")


def test_without_the_patch_send_task_failure_loses_its_cause(tiny_app: LocalApp) -> None:
    arn = _run(tiny_app, _callback(tiny_app), "failure-losing-cause")
    token = _task_token(tiny_app, arn)
    with moto_patches.without("send_task_failure"):
        tiny_app.client("stepfunctions").send_task_failure(
            taskToken=token, error="PaymentDeclined", cause="over the limit"
        )
    description = tiny_app.wait_for(arn)
    assert description["error"] == "PaymentDeclined"
    assert description.get("cause") != "over the limit"


def test_stopping_an_execution_waiting_for_its_token_aborts_it_at_once(tiny_app: LocalApp) -> None:
    # Given an execution waiting on a callback with an hour's timeout
    status_events = tiny_app.subscribe("default", {"source": ["aws.states"]})
    arn = _run(tiny_app, _callback(tiny_app), "stopped")
    tiny_app.drain()
    # When it is stopped, saying why
    tiny_app.client("stepfunctions").stop_execution(executionArn=arn, error="Operator", cause="stuck order")
    tiny_app.drain()
    # Then it is ABORTED now (no virtual time passed), with the reason, and its status-change event is out
    description = tiny_app.client("stepfunctions").describe_execution(executionArn=arn)
    assert description["status"] == "ABORTED"
    (aborted,) = [e for e in tiny_app.history(arn) if e["type"] == "ExecutionAborted"]
    assert aborted["executionAbortedEventDetails"] == {"error": "Operator", "cause": "stuck order"}
    assert _virtual_seconds(description) == 0
    assert [e["detail"]["status"] for e in tiny_app.receive_all(status_events)] == ["ABORTED"]


def test_without_the_patch_a_stop_drops_the_callers_error_and_cause(tiny_app: LocalApp) -> None:
    arn = _run(tiny_app, _callback(tiny_app), "stopped-silently")
    tiny_app.drain()
    with moto_patches.without("stop_execution_response"):
        tiny_app.client("stepfunctions").stop_execution(
            executionArn=arn, error="Operator", cause="stuck order"
        )
    tiny_app.drain()
    (aborted,) = [e for e in tiny_app.history(arn) if e["type"] == "ExecutionAborted"]
    assert aborted.get("executionAbortedEventDetails", {}).get("error") != "Operator"


def test_without_the_patch_a_stopped_callback_ends_failed(tiny_app: LocalApp) -> None:
    # The stop interrupts the callback wait; moto then records the interruption as the failure
    arn = _run(tiny_app, _callback(tiny_app), "stopped-then-failed")
    tiny_app.drain()
    with moto_patches.without("set_error"):
        tiny_app.client("stepfunctions").stop_execution(
            executionArn=arn, error="Operator", cause="stuck order"
        )
        tiny_app.drain()
    assert tiny_app.client("stepfunctions").describe_execution(executionArn=arn)["status"] == "FAILED"


def test_without_the_patch_a_stopped_callback_waits_out_its_timeout(tiny_app: LocalApp) -> None:
    arn = _run(tiny_app, _callback(tiny_app), "stopped-unpatched")
    tiny_app.drain()
    with moto_patches.without("stop_execution"):
        tiny_app.client("stepfunctions").stop_execution(executionArn=arn)
    tiny_app.drain()
    assert tiny_app.client("stepfunctions").describe_execution(executionArn=arn)["status"] == "RUNNING"


def _given_back(app: LocalApp, queue: str) -> str:
    """A queue holding one message that was received and given back (visibility timeout 0)."""
    sqs = app.client("sqs")
    url = str(sqs.create_queue(QueueName=queue)["QueueUrl"])
    sqs.send_message(QueueUrl=url, MessageBody="m")
    (message,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return url


def test_a_message_given_back_is_visible_at_once_on_the_virtual_clock(tiny_app: LocalApp) -> None:
    url = _given_back(tiny_app, "given-back")
    assert [m["Body"] for m in tiny_app.client("sqs").receive_message(QueueUrl=url).get("Messages", [])] == [
        "m"
    ]


def test_without_the_patch_a_message_given_back_stays_hidden(tiny_app: LocalApp) -> None:
    url = _given_back(tiny_app, "given-back-hidden")
    with moto_patches.without("message_visible"):
        assert tiny_app.client("sqs").receive_message(QueueUrl=url).get("Messages", []) == []


def _signing_keys(app: LocalApp) -> list[Any]:
    from moto.cognitoidp.models import cognitoidp_backends

    cognito = app.client("cognito-idp")
    ids = [cognito.create_user_pool(PoolName=f"probe-{n}")["UserPool"]["Id"] for n in range(2)]
    backend = cognitoidp_backends[app.account][app.region]
    return [backend.user_pools[pool_id].json_web_key for pool_id in ids]


def test_user_pools_share_one_signing_key_built_once(tiny_app: LocalApp) -> None:
    first, second = _signing_keys(tiny_app)
    assert first is second  # the same key moto would have built twice, built once


def test_without_the_patch_every_user_pool_builds_its_key_again(tiny_app: LocalApp) -> None:
    with moto_patches.without("cognito_jwk"):
        first, second = _signing_keys(tiny_app)
        assert first is not second and first.as_dict() == second.as_dict()


def _pool_requiring_mfa(app: LocalApp) -> tuple[Any, str]:
    """A pool as the stack's is (email usernames, auto-verified, TOTP MFA required) and a client."""
    cognito = app.client("cognito-idp")
    pool = cognito.create_user_pool(
        PoolName=f"mfa-{time.monotonic_ns()}",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        MfaConfiguration="ON",
    )["UserPool"]["Id"]
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON"
    )
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return cognito, client


def _signed_up(app: LocalApp) -> CustomerAccount:
    cognito, client = _pool_requiring_mfa(app)
    account = CustomerAccount(cognito, client, f"u{time.monotonic_ns()}@example.com")
    account.sign_up()
    return account


def _password_sign_in(account: CustomerAccount) -> dict[str, Any]:
    answer: dict[str, Any] = account.cognito.initiate_auth(
        ClientId=account.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": account.email, "PASSWORD": account.password},
    )
    return answer


def test_a_pool_requiring_mfa_asks_a_new_user_to_set_it_up_then_for_a_code(tiny_app: LocalApp) -> None:
    # Given a confirmed user of a pool that requires MFA
    account = _signed_up(tiny_app)
    # When she signs in with her password / Then no token yet: set up MFA first
    first = _password_sign_in(account)
    assert first["ChallengeName"] == "MFA_SETUP" and "AuthenticationResult" not in first
    # When she sets up her authenticator and answers / Then she is signed in
    tokens = account.sign_in()
    assert account.totp_secret and tokens.customer_id
    # And the next sign-in asks for the authenticator's code, and refuses a wrong one
    again = _password_sign_in(account)
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    with pytest.raises(ClientError, match="CodeMismatch"):
        account.cognito.respond_to_auth_challenge(
            ClientId=account.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=again["Session"],
            ChallengeResponses={"USERNAME": account.email, "SOFTWARE_TOKEN_MFA_CODE": "000000"},
        )


def test_without_the_patch_a_pool_requiring_mfa_signs_in_a_user_without_it(tiny_app: LocalApp) -> None:
    account = _signed_up(tiny_app)
    with moto_patches.without("cognito_sign_in"):
        assert "AccessToken" in _password_sign_in(account)["AuthenticationResult"]


def _password_sign_in_by_admin(account: CustomerAccount) -> dict[str, Any]:
    answer: dict[str, Any] = account.cognito.admin_initiate_auth(
        UserPoolId=_pool_of(account),
        ClientId=account.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": account.email, "PASSWORD": account.password},
    )
    return answer


def _srp_only_client(account: CustomerAccount) -> str:
    client_id: str = account.cognito.create_user_pool_client(
        UserPoolId=_pool_of(account), ClientName="srp-only", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return client_id


def test_a_client_signs_in_only_by_the_flows_it_allows(tiny_app: LocalApp) -> None:
    # Given a user, a client that allows password sign-ins and one that allows SRP only
    account = _signed_up(tiny_app)
    srp_only = _srp_only_client(account)
    # When she signs in with her password through the SRP-only client / Then it is refused
    with pytest.raises(ClientError, match="USER_PASSWORD_AUTH flow not enabled for this client"):
        account.cognito.initiate_auth(
            ClientId=srp_only,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": account.email, "PASSWORD": account.password},
        )
    # And an admin flow the password client does not allow cannot skip her MFA either
    with pytest.raises(ClientError, match="ADMIN_USER_PASSWORD_AUTH flow not enabled"):
        _password_sign_in_by_admin(account)


def test_without_the_patch_a_client_signs_in_by_a_flow_it_does_not_allow(tiny_app: LocalApp) -> None:
    account = _signed_up(tiny_app)
    with moto_patches.without("cognito_sign_in"):
        answer = account.cognito.initiate_auth(
            ClientId=_srp_only_client(account),
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": account.email, "PASSWORD": account.password},
        )
        assert "AuthenticationResult" in answer


def test_without_the_patch_a_client_signs_in_by_an_admin_flow_it_does_not_allow(tiny_app: LocalApp) -> None:
    account = _signed_up(tiny_app)
    with moto_patches.without("cognito_admin_sign_in"):
        assert "AccessToken" in _password_sign_in_by_admin(account)["AuthenticationResult"]


def _email_verified(account: CustomerAccount) -> str | None:
    attributes = account.cognito.admin_get_user(UserPoolId=_pool_of(account), Username=account.email)[
        "UserAttributes"
    ]
    return next((a["Value"] for a in attributes if a["Name"] == "email_verified"), None)


def _pool_of(account: CustomerAccount) -> str:
    pools = account.cognito.list_user_pools(MaxResults=60)["UserPools"]
    return next(
        pool["Id"]
        for pool in pools
        if any(
            client["ClientId"] == account.client_id
            for client in account.cognito.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"]
        )
    )


def test_a_confirmed_sign_up_has_a_verified_email(tiny_app: LocalApp) -> None:
    assert _email_verified(_signed_up(tiny_app)) == "true"


def test_without_the_patch_a_confirmed_sign_up_leaves_the_email_unverified(tiny_app: LocalApp) -> None:
    with moto_patches.without("cognito_confirm_verifies_email"):
        assert _email_verified(_signed_up(tiny_app)) is None


FAILING_CHILDREN = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Check",
                "States": {
                    "Check": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$", "NumericGreaterThan": 1, "Next": "Broken"}],
                        "Default": "Fine",
                    },
                    "Broken": {"Type": "Fail", "Error": "Broken"},
                    "Fine": {"Type": "Pass", "End": True},
                },
            },
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Caught"}],
            "ResultPath": "$.results",
            "End": True,
        },
        "Caught": {"Type": "Pass", "End": True},
    },
}


def test_a_distributed_map_whose_children_fail_fails_beyond_its_tolerance(tiny_app: LocalApp) -> None:
    arn = _run(tiny_app, FAILING_CHILDREN, "map-fails", {"items": [1, 2, 3]})
    done = tiny_app.wait_for(arn)
    output = json.loads(done["output"])
    assert output["failure"]["Error"] == "States.ExceedToleratedFailureThreshold"
    assert "2 of 3" in output["failure"]["Cause"] and "results" not in output


def test_without_the_patch_a_failed_child_is_a_null_result(tiny_app: LocalApp) -> None:
    with moto_patches.without("map_run"):
        arn = _run(tiny_app, FAILING_CHILDREN, "map-nulls", {"items": [1, 2, 3]})
        deadline = time.monotonic() + 10
        sfn = tiny_app.client("stepfunctions")
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.05)
        output = json.loads(sfn.describe_execution(executionArn=arn)["output"])
        assert output["results"] == [1, None, None] and "failure" not in output


def test_a_failed_execution_is_redriven_from_the_state_it_did_not_get_through(tiny_app: LocalApp) -> None:
    work = tiny_app.function_name("Tiny/Work/")
    arn_of = tiny_app.lambdas.spec(work).arn
    definition = {
        "StartAt": "Before",
        "States": {
            "Before": {"Type": "Pass", "Result": "ran", "ResultPath": "$.before", "Next": "Call"},
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": arn_of, "Payload.$": "$"},
                "ResultSelector": {"value.$": "$.Payload"},
                "ResultPath": "$.answer",
                "End": True,
            },
        },
    }
    # Given an execution whose task failed (no Retry, no Catch)
    tiny_app.lambdas.inject_failure(work, "WorkUnavailable")
    arn = _run(tiny_app, definition, "redriven")
    assert tiny_app.wait_for(arn)["status"] == "FAILED"
    # When it is redriven (the function works again)
    sfn = tiny_app.client("stepfunctions")
    sfn.redrive_execution(executionArn=arn)
    done = tiny_app.wait_for(arn)
    # Then it succeeded from the failed task, with the input that task had, and its history goes on
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"])["before"] == "ran"
    events = [event["type"] for event in tiny_app.history(arn)]
    assert events.count("ExecutionRedriven") == 1 and events.count("PassStateEntered") == 1
    assert (
        events.index("ExecutionFailed")
        < events.index("ExecutionRedriven")
        < events.index("ExecutionSucceeded")
    )
    # And a succeeded execution cannot be redriven
    with pytest.raises(ClientError) as refused:
        sfn.redrive_execution(executionArn=arn)
    assert refused.value.response["Error"]["Code"] == "ExecutionNotRedrivable"


def test_after_an_app_a_plain_mock_still_answers_as_moto(tiny_app: LocalApp) -> None:
    """The patches stay installed once an app ran; a plain mock_aws in the same process (no
    execute_state_machine: moto's plain Step Functions backend) must answer as moto does."""
    import boto3
    from moto import mock_aws

    tiny_app.stop()
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="eu-west-1")
        sfn.send_task_failure(taskToken="token", error="PaymentDeclined", cause="no funds")
        machine = sfn.create_state_machine(
            name="plain",
            definition=json.dumps(LONG_WAIT),
            roleArn="arn:aws:iam::123456789012:role/r",
        )["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="plain")["executionArn"]
        sfn.stop_execution(executionArn=arn, error="Operator", cause="stopped by hand")
        assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"
        assert sfn.list_executions(stateMachineArn=machine)["executions"]


INDEXED_PATHS = {
    "StartAt": "Pick",
    "States": {
        "Pick": {
            "Type": "Pass",
            "Parameters": {
                "first.$": "$.lines[0].sku",
                "every.$": "$.lines[*].sku",
                "only.$": "$.single[*].sku",
                "line.$": "$.lines[1]",
            },
            "Next": "Route",
        },
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.first", "StringEquals": "A", "Next": "Done"}],
            "Default": "Wrong",
        },
        "Wrong": {"Type": "Fail", "Error": "Unrouted"},
        "Done": {"Type": "Succeed"},
    },
}
LINES = {"lines": [{"sku": "A"}, {"sku": "B"}], "single": [{"sku": "S"}]}


def test_a_definite_path_through_an_index_gives_the_node(tiny_app: LocalApp) -> None:
    ended = tiny_app.wait_for(_run(tiny_app, INDEXED_PATHS, "indexed", LINES))
    assert ended["status"] == "SUCCEEDED", ended.get("error")
    assert json.loads(ended["output"]) == {
        "first": "A",
        "every": ["A", "B"],
        "only": ["S"],  # an indefinite path is a list, even of one
        "line": {"sku": "B"},
    }


def test_without_the_patch_a_definite_path_through_an_index_is_a_list(tiny_app: LocalApp) -> None:
    with moto_patches.without("extract_json"):
        ended = _wait_in_real_time(tiny_app, _run(tiny_app, INDEXED_PATHS, "indexed-tiny_app", LINES))
        assert (ended["status"], ended.get("error")) == ("FAILED", "Unrouted")


def _delivered_event(app: LocalApp) -> dict[str, Any]:
    queue = app.subscribe("default", {"source": ["probe"]})
    app.client("events").put_events(
        Entries=[{"Source": "probe", "DetailType": "Probe", "Detail": '{"n": 1}'}]
    )
    (event,) = app.receive_all(queue)
    return event


def test_an_event_delivered_whole_carries_its_account(tiny_app: LocalApp) -> None:
    # An SQS target with no input of its own gets the whole event, as AWS delivers it
    event = _delivered_event(tiny_app)
    assert event["account"] == tiny_app.account
    assert {"version", "id", "detail-type", "source", "time", "region", "resources", "detail"} <= set(event)


def test_without_the_patch_a_delivered_event_has_no_account(tiny_app: LocalApp) -> None:
    with moto_patches.without("event_template"):
        assert "account" not in _delivered_event(tiny_app)
