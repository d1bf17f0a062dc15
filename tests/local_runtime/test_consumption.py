"""The consumption meter counts what AWS bills and throttles: requests per operation and target,
DynamoDB units per table and key (transactional writes twice), PutEvents entries, SQS messages."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from local_runtime import LocalApp
from local_runtime.consumption import ConsumptionMeter, key_schema_of


@pytest.fixture
def meter(tiny_app: LocalApp) -> Iterator[ConsumptionMeter]:
    metering = ConsumptionMeter(key_schema_of(tiny_app.account, tiny_app.region))
    metering.install(boto3._get_default_session())
    metering.install(tiny_app.client("dynamodb").meta)
    metering.install(tiny_app.client("events").meta)
    metering.install(tiny_app.client("sqs").meta)
    yield metering
    metering.uninstall()


def test_dynamodb_units_are_counted_per_table_and_key(tiny_app: LocalApp, meter: ConsumptionMeter) -> None:
    table = tiny_app.table_name("Tiny/Table")
    dynamodb = tiny_app.client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "hot"}, "n": {"N": "1"}})
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": "hot"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "2"}},
    )
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "hot"}}}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "cold"}}}},
        ]
    )
    dynamodb.get_item(TableName=table, Key={"pk": {"S": "hot"}})
    dynamodb.scan(TableName=table)
    counted = meter.reset()
    assert counted.write_units[(table, json.dumps({"pk": "hot"}))] == 1 + 1 + 2
    assert counted.write_units[(table, json.dumps({"pk": "cold"}))] == 2
    assert counted.units_by_table(counted.write_units)[table] == 6
    assert counted.hottest_key(counted.write_units) == (table, json.dumps({"pk": "hot"}), 4)
    assert sum(counted.read_units.values()) == 2  # a GetItem by key, a Scan per request
    assert counted.requests_of("dynamodb") == 5
    assert meter.reset().requests_of("dynamodb") == 0  # reset starts again from zero


def test_put_events_entries_and_sqs_messages_are_counted(tiny_app: LocalApp, meter: ConsumptionMeter) -> None:
    tiny_app.client("events").put_events(
        Entries=[{"Source": "probe", "DetailType": "Probe", "Detail": "{}"} for _ in range(3)]
    )
    sqs = tiny_app.client("sqs")
    url = sqs.create_queue(QueueName="metered")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": "m"} for n in range(4)])
    counted = meter.reset()
    assert counted.requests_of("events", "PutEvents") == 1 and counted.put_events_entries == 3
    assert counted.sqs_messages_sent["metered"] == 5
    assert counted.requests[("sqs", "SendMessage", url)] == 1
