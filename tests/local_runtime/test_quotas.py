"""Account quotas on the virtual clock: a request beyond the rate is refused as AWS refuses it
(ThrottlingException), tokens come back as virtual time passes, and what retries gets through."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local_runtime import LocalApp

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def _machine(app: LocalApp, name: str, definition: dict[str, object]) -> str:
    return str(
        app.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=f"arn:aws:iam::{app.account}:role/q"
        )["stateMachineArn"]
    )


def test_starts_beyond_the_bucket_are_throttled_until_virtual_time_refills_it(tiny_app: LocalApp) -> None:
    machine = _machine(tiny_app, "limited", PASS)
    sfn = tiny_app.client("stepfunctions")
    quota = tiny_app.quotas.limit("stepfunctions", "StartExecution", per_second=2, burst=3)
    for n in range(3):  # the bucket starts full
        sfn.start_execution(stateMachineArn=machine, name=f"in-{n}")
    # the fourth is refused with AWS's code (botocore's own retries see the same still bucket)
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=machine, name="over")
    assert refused.value.response["Error"]["Code"] == "ThrottlingException"
    assert quota.throttled >= 1
    # a virtual second later two tokens are back: two more starts, and the next one refused again
    tiny_app.advance(timedelta(seconds=1))
    for n in range(2):
        sfn.start_execution(stateMachineArn=machine, name=f"later-{n}")
    with pytest.raises(ClientError):
        sfn.start_execution(stateMachineArn=machine, name="over-again")
    tiny_app.drain()
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 5


def test_a_throttled_sdk_task_retries_by_its_definition_and_every_event_gets_out(tiny_app: LocalApp) -> None:
    put = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:eventbridge:putEvents",
        "Parameters": {"Entries": [{"Source": "quota", "DetailType": "Probe", "Detail": "{}"}]},
        "Retry": [
            {"ErrorEquals": ["EventBridge.ThrottlingException"], "IntervalSeconds": 1, "MaxAttempts": 5}
        ],
        "End": True,
    }
    fan = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [{"StartAt": f"Put{n}", "States": {f"Put{n}": put}} for n in range(3)],
                "End": True,
            }
        },
    }
    queue = tiny_app.subscribe("default", {"source": ["quota"]})
    machine = _machine(tiny_app, "puts-three", fan)
    tiny_app.quotas.limit("events", "PutEvents", per_second=1, burst=1)
    arn = tiny_app.client("stepfunctions").start_execution(stateMachineArn=machine)["executionArn"]
    ended = tiny_app.wait_for(arn)
    assert ended["status"] == "SUCCEEDED"
    assert tiny_app.quotas.throttled[("events", "PutEvents")] >= 2
    assert (ended["stopDate"] - ended["startDate"]).total_seconds() >= 2  # the retries waited for tokens
    assert len(tiny_app.receive_all(queue)) == 3  # nothing lost, nothing twice


def test_a_quota_allows_something() -> None:
    from local_runtime.quotas import AccountQuotas

    quotas = AccountQuotas(lambda: 0.0)
    with pytest.raises(ValueError):
        quotas.limit("events", "PutEvents", per_second=0)


def _single_attempt_dynamodb() -> Any:
    """A client that shows a throttle as it comes (botocore would retry it ten times)."""
    return boto3.client("dynamodb", config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def test_writes_to_one_key_beyond_its_rate_are_throttled_as_a_hot_partition(tiny_app: LocalApp) -> None:
    table = tiny_app.table_name("Tiny/Table/")
    dynamodb = _single_attempt_dynamodb()
    quota = tiny_app.quotas.limit_key_writes(per_second=3)
    for n in range(3):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "hot"}, "n": {"N": str(n)}})
    # the fourth write of the same key in the same virtual second is refused as AWS refuses it
    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "hot"}, "n": {"N": "3"}})
    error = refused.value.response
    assert error["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert error["ThrottlingReasons"][0]["reason"] == "TableWriteKeyRangeThroughputExceeded"
    assert error["ThrottlingReasons"][0]["resource"].endswith(f":table/{table}")
    assert quota.throttled == 1
    # another key is not held back by the hot one, and a refused write wrote nothing
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "cold"}})
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "hot"}})["Item"]
    assert item["n"] == {"N": "2"}
    # a virtual second later the key takes writes again
    tiny_app.advance(timedelta(seconds=1))
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": "hot"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "4"}},
    )


def test_a_transaction_over_a_hot_key_is_cancelled_for_throttling_and_writes_nothing(
    tiny_app: LocalApp,
) -> None:
    table = tiny_app.table_name("Tiny/Table/")
    dynamodb = _single_attempt_dynamodb()
    tiny_app.quotas.limit_key_writes(per_second=4)  # two transactional writes of one key

    def transact(order: str) -> None:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "SKU#hot"}},
                        "UpdateExpression": "ADD sold :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {"pk": {"S": f"RESERVATION#{order}"}}}},
            ]
        )

    transact("o-1")
    transact("o-2")
    with pytest.raises(ClientError) as refused:
        transact("o-3")
    error = refused.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    # the reasons say which item was throttled, so a caller tells it from a failed condition
    assert [r["Code"] for r in error["CancellationReasons"]] == ["ThrottlingError", "None"]
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "RESERVATION#o-3"}})
    sold = dynamodb.get_item(TableName=table, Key={"pk": {"S": "SKU#hot"}})["Item"]["sold"]
    assert sold == {"N": "2"}


def test_a_key_quota_allows_a_transactional_write() -> None:
    from local_runtime.quotas import AccountQuotas

    with pytest.raises(ValueError):
        AccountQuotas(lambda: 0.0).limit_key_writes(per_second=10, burst=1)


def test_a_quota_on_one_state_machine_leaves_the_others_alone(tiny_app: LocalApp) -> None:
    # Standard and Express starts are separate quotas on AWS: a quota may name its machine
    limited, free = _machine(tiny_app, "standard-ish", PASS), _machine(tiny_app, "other", PASS)
    sfn = tiny_app.client("stepfunctions")
    tiny_app.quotas.limit("stepfunctions", "StartExecution", per_second=1, burst=1, target=limited)
    sfn.start_execution(stateMachineArn=limited, name="first")
    for n in range(3):
        sfn.start_execution(stateMachineArn=free, name=f"free-{n}")
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=limited, name="second")
    assert refused.value.response["Error"]["Code"] == "ThrottlingException"
