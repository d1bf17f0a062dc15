"""The redrive command against the AWS APIs (on moto): what it resumes, what it refuses, and how
it reports; and that it speaks BeginSaga's language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from operations.redrive_saga import (
    DEFAULT_MAX_REDRIVES,
    REDRIVE_COUNT_ATTRIBUTE,
    REDRIVE_OF_ATTRIBUTE,
    ParkedMessageError,
    main,
    parse_parked,
)
from order_saga import order_placed
from order_saga.settings import DEFAULT_MAX_REDRIVES as BEGIN_SAGA_DEFAULT

SAGA = "arn:aws:states:eu-west-1:123456789012:stateMachine:OrderSaga"
OTHER = "arn:aws:states:eu-west-1:123456789012:stateMachine:Other"


def _parked(execution: str, count: int | None = None, machine: str = SAGA, order_id: str = "o-1") -> str:
    record: dict[str, Any] = {
        "messageId": "m-1",
        "body": json.dumps({"detail-type": "OrderPlaced", "detail": {"aggregateId": order_id}}),
    }
    if count is not None:
        record["messageAttributes"] = {
            REDRIVE_COUNT_ATTRIBUTE: {"stringValue": str(count), "dataType": "Number"},
            REDRIVE_OF_ATTRIBUTE: {"stringValue": "arn:older", "dataType": "String"},
        }
    detail = {
        "executionArn": f"arn:aws:states:eu-west-1:123456789012:execution:OrderSaga:{execution}",
        "stateMachineArn": machine,
        "status": "FAILED",
        "input": json.dumps([record]),
    }
    return json.dumps({"detail-type": "Step Functions Execution Status Change", "detail": detail})


@pytest.fixture
def platform(tmp_path: Path, aws_account: None) -> dict[str, str]:
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    outputs = {
        "WorkflowFailuresQueueUrl": sqs.create_queue(QueueName="failures")["QueueUrl"],
        "OrderSagaQueueUrl": sqs.create_queue(QueueName="saga")["QueueUrl"],
        "OrderSagaStateMachineArn": SAGA,
        "OpsAlertTopicArn": sns.create_topic(Name="ops")["TopicArn"],
    }
    alerts = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    alerts_arn = sqs.get_queue_attributes(QueueUrl=alerts, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=outputs["OpsAlertTopicArn"], Protocol="sqs", Endpoint=alerts_arn["QueueArn"])
    (tmp_path / "outputs.json").write_text(json.dumps({"OrderPlatformStack": outputs}))
    return {**outputs, "alerts": alerts, "file": str(tmp_path / "outputs.json")}


def _bodies(queue: str) -> list[dict[str, Any]]:
    messages = (
        boto3.client("sqs")
        .receive_message(QueueUrl=queue, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        .get("Messages", [])
    )
    return messages


def test_parked_sagas_are_sent_back_with_their_execution_and_count(
    platform: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=platform["WorkflowFailuresQueueUrl"], MessageBody=_parked("first"))
    sqs.send_message(QueueUrl=platform["WorkflowFailuresQueueUrl"], MessageBody=_parked("again", count=1))
    sqs.send_message(QueueUrl=platform["WorkflowFailuresQueueUrl"], MessageBody=_parked("x", machine=OTHER))
    assert main(["--outputs", platform["file"]]) == 0
    sent = _bodies(platform["OrderSagaQueueUrl"])
    redriven = {
        m["MessageAttributes"][REDRIVE_OF_ATTRIBUTE]["StringValue"].rsplit(":", 1)[1]: m["MessageAttributes"][
            REDRIVE_COUNT_ATTRIBUTE
        ]["StringValue"]
        for m in sent
    }
    assert redriven == {"first": "1", "again": "2"}
    assert {json.loads(m["Body"])["detail"]["aggregateId"] for m in sent} == {"o-1"}
    # the other state machine's message is left parked, visible again
    (left,) = _bodies(platform["WorkflowFailuresQueueUrl"])
    assert json.loads(left["Body"])["detail"]["stateMachineArn"] == OTHER
    assert "2 redriven, 0 refused, 0 unreadable" in capsys.readouterr().out


def test_a_message_at_the_limit_is_refused_left_parked_and_alerted(platform: dict[str, str]) -> None:
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=platform["WorkflowFailuresQueueUrl"], MessageBody=_parked("looping", count=3))
    assert main(["--outputs", platform["file"]]) == 1
    assert _bodies(platform["OrderSagaQueueUrl"]) == []
    assert len(_bodies(platform["WorkflowFailuresQueueUrl"])) == 1
    (alert,) = _bodies(platform["alerts"])
    message = json.loads(json.loads(alert["Body"])["Message"])
    assert (message["orderId"], message["redriveCount"], message["maxRedrives"]) == ("o-1", 3, 3)


def test_a_dry_run_changes_nothing(platform: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=platform["WorkflowFailuresQueueUrl"], MessageBody=_parked("first"))
    assert main(["--outputs", platform["file"], "--dry-run", "--order-id", "o-1"]) == 0
    assert _bodies(platform["OrderSagaQueueUrl"]) == []
    assert len(_bodies(platform["WorkflowFailuresQueueUrl"])) == 1
    assert "would redrive" in capsys.readouterr().out


def test_an_unreadable_message_is_reported_and_kept(platform: dict[str, str]) -> None:
    boto3.client("sqs").send_message(QueueUrl=platform["WorkflowFailuresQueueUrl"], MessageBody="not json")
    assert main(["--outputs", platform["file"]]) == 1
    assert len(_bodies(platform["WorkflowFailuresQueueUrl"])) == 1


@pytest.mark.parametrize(
    "document", ["{}", '{"A": {}, "B": {}}', '{"S": {"OrderSagaQueueUrl": "q"}}', "nope"]
)
def test_bad_outputs_are_a_usage_error_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: str
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(document)
    assert main(["--outputs", str(path)]) == 2
    assert "redrive_saga:" in capsys.readouterr().err


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"detail": {"executionArn": "a", "stateMachineArn": "s"}}),
        json.dumps({"detail": {"executionArn": "a", "stateMachineArn": "s", "input": "[]"}}),
        json.dumps({"detail": {"executionArn": "a", "stateMachineArn": "s", "input": '[{"body": 1}]'}}),
    ],
)
def test_what_is_not_a_parked_saga_is_named(body: str) -> None:
    with pytest.raises(ParkedMessageError):
        parse_parked(body)


def test_the_command_speaks_begin_sagas_language() -> None:
    assert (REDRIVE_OF_ATTRIBUTE, REDRIVE_COUNT_ATTRIBUTE) == (
        order_placed.REDRIVE_OF_ATTRIBUTE,
        order_placed.REDRIVE_COUNT_ATTRIBUTE,
    )
    assert DEFAULT_MAX_REDRIVES == BEGIN_SAGA_DEFAULT
