"""moto's per-request costs paid once (`moto_patches.speedups`) change no answer: each scenario runs on a
fresh mock without them and with them, and the two transcripts must be equal."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_runtime.moto_patches import speedups

_REGION = "eu-west-1"
_VOLATILE = {"ResponseMetadata", "CreationDateTime", "LatestStreamArn", "LatestStreamLabel", "TableId"}


@pytest.fixture
def both_ways() -> Iterator[Callable[[Callable[[], list[Any]]], tuple[list[Any], list[Any]]]]:
    """Run a scenario without the speedups, then with them; leave them as they were."""
    installed = [patch.applied for patch in speedups.PATCHES]

    def run(scenario: Callable[[], list[Any]]) -> tuple[list[Any], list[Any]]:
        transcripts = []
        for faster in (False, True):
            for patch in speedups.PATCHES:
                (patch.apply if faster else patch.revert)()
            with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
                transcripts.append(_stable(scenario()))
        return transcripts[0], transcripts[1]

    yield run
    for patch, was in zip(speedups.PATCHES, installed, strict=True):
        (patch.apply if was else patch.revert)()


def _stable(value: Any) -> Any:
    """The answer without what differs from one mock to the next (request ids, creation times)."""
    if isinstance(value, dict):
        return {key: _stable(item) for key, item in value.items() if key not in _VOLATILE}
    if isinstance(value, list):
        return [_stable(item) for item in value]
    return value


def _dynamodb_scenario() -> list[Any]:
    dynamodb = boto3.client("dynamodb", region_name=_REGION)
    table = dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    item = {
        "pk": {"S": "ORDER#1"},
        "sk": {"S": "META"},
        "amount": {"N": "12.50"},
        "lines": {"L": [{"M": {"sku": {"S": "A"}, "qty": {"N": "2"}}}, {"NULL": True}]},
        "tags": {"SS": ["x", "y"]},
        "blob": {"B": b"\x00\x01"},
        "paid": {"BOOL": False},
    }
    key = {"pk": item["pk"], "sk": item["sk"]}
    return [
        table,
        dynamodb.put_item(TableName="orders", Item=item, ReturnConsumedCapacity="TOTAL"),
        dynamodb.get_item(TableName="orders", Key=key),
        dynamodb.update_item(
            TableName="orders",
            Key=key,
            UpdateExpression="SET paid = :yes, amount = amount + :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":yes": {"BOOL": True}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        ),
        dynamodb.query(
            TableName="orders",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": item["pk"]},
        ),
        _error_of(
            lambda: dynamodb.put_item(
                TableName="orders", Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        ),
        dynamodb.describe_table(TableName="orders")["Table"]["KeySchema"],
    ]


def _error_of(call: Callable[[], Any]) -> dict[str, Any]:
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the refusal is the answer compared
        return dict(getattr(error, "response", {}).get("Error", {"Message": str(error)}))
    raise AssertionError("the call was expected to be refused")


def _other_services_scenario() -> list[Any]:
    sqs = boto3.client("sqs", region_name=_REGION)
    queue = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(
        QueueUrl=queue,
        MessageBody="hello",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )
    events = boto3.client("events", region_name=_REGION)
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["s"]}))
    s3 = boto3.client("s3", region_name=_REGION)
    s3.create_bucket(Bucket="speedups-bucket", CreateBucketConfiguration={"LocationConstraint": _REGION})
    s3.put_object(Bucket="speedups-bucket", Key="k", Body=b"x")
    received = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    return [
        [{key: message[key] for key in ("Body", "MD5OfBody", "MessageAttributes")} for message in received],
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout"]),
        {key: value for key, value in events.describe_rule(Name="r").items() if key != "Arn"},
        [obj["Key"] for obj in s3.list_objects_v2(Bucket="speedups-bucket")["Contents"]],
    ]


_PATHS_DEFINITION = {
    "StartAt": "Shape",
    "States": {
        "Shape": {
            "Type": "Pass",
            "InputPath": "$.order",
            "Parameters": {"id.$": "$.id", "first.$": "$.lines[0].sku", "skus.$": "$.lines[*].sku"},
            "ResultPath": "$.shaped",
            "Next": "Route",
        },
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.shaped.id", "StringEquals": "o-A", "Next": "Done"}],
            "Default": "Other",
        },
        "Other": {"Type": "Fail", "Error": "Unrouted"},
        "Done": {"Type": "Pass", "OutputPath": "$.shaped", "End": True},
    },
}


def _paths_scenario() -> list[Any]:
    sfn = boto3.client("stepfunctions", region_name=_REGION)
    machine = sfn.create_state_machine(
        name="paths", definition=json.dumps(_PATHS_DEFINITION), roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    outputs = []
    for first in ("A", "A", "B"):
        order = {"order": {"id": f"o-{first}", "lines": [{"sku": first}, {"sku": "C"}]}}
        arn = sfn.start_execution(
            stateMachineArn=machine, name=f"run-{len(outputs)}", input=json.dumps(order)
        )["executionArn"]
        deadline = time.monotonic() + 10
        while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the execution did not end"
            time.sleep(0.005)
        outputs.append({key: described.get(key) for key in ("status", "output", "error")})
    return outputs


def test_dynamodb_answers_the_same_with_the_serializer_cache(both_ways: Any) -> None:
    without, with_speedups = both_ways(_dynamodb_scenario)
    assert with_speedups == without
    assert without[2]["Item"]["lines"]["L"][0]["M"]["qty"] == {"N": "2"}  # nested values survive


def test_other_protocols_answer_the_same(both_ways: Any) -> None:
    without, with_speedups = both_ways(_other_services_scenario)
    assert with_speedups == without
    assert without[0][0]["MessageAttributes"]["k"]["StringValue"] == "v"


def test_jsonpaths_evaluate_the_same_when_parsed_once(both_ways: Any) -> None:
    without, with_speedups = both_ways(_paths_scenario)
    assert with_speedups == without
    assert [run["status"] for run in without] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    output = json.loads(without[0]["output"])
    assert (output["id"], output["skus"]) == ("o-A", ["A", "C"])
