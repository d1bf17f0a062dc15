"""The outbox path through the real handlers and adapter on moto, without the state machine.

An order posted to the API leaves an outbox record; its stream record, shaped as a pipe
delivers it, goes through claim → PutEvents → mark, and the event reaches a queue subscribed to
the bus. This is what the workflow tests run under Step Functions; here each hand-off is checked
at the handler boundary.
"""

import json
from typing import Any

import boto3
import pytest

from orders_api import handler as orders_handler
from outbox_publisher import claim_handler, failed_entries_handler, mark_handler
from tests.unit.fakes import FakeLambdaContext
from tests.unit.samples import CUSTOMER_CLIENT, OPERATOR_ROLE_ARN, order_body, post_order_event

BUS = "orders-bus"
SOURCE = "order-platform.orders"


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    """What the Lambda runtime passes as the second handler argument."""
    return FakeLambdaContext()


pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, orders_table: str) -> None:
    """The variables the infrastructure sets on the API and publisher functions."""
    monkeypatch.setenv("ORDERS_TABLE_NAME", orders_table)
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    monkeypatch.setenv("EVENT_SOURCE", SOURCE)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "ignored-explicit-names-win")
    monkeypatch.setenv("CUSTOMER_CLIENT_IDS", CUSTOMER_CLIENT)
    monkeypatch.setenv("OPERATOR_ROLE_ARN", OPERATOR_ROLE_ARN)


@pytest.fixture
def subscriber(aws: None) -> str:
    """A queue receiving every event of our source from the bus; returns its URL."""
    events = boto3.client("events")
    sqs = boto3.client("sqs")
    events.create_event_bus(Name=BUS)
    queue_url: str = sqs.create_queue(QueueName="order-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="all-order-events", EventBusName=BUS, EventPattern=json.dumps({"source": [SOURCE]}))
    events.put_targets(Rule="all-order-events", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url


def _pipe_batch(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """New outbox records from the table's stream, as the pipe (filter: INSERT of OUTBOX) delivers them."""
    streams = boto3.client("dynamodbstreams")
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records.extend(streams.get_records(ShardIterator=iterator)["Records"])
    batch = [
        {**record, "eventSourceARN": stream_arn}
        for record in records
        if record["eventName"] == "INSERT" and record["dynamodb"]["NewImage"]["recordType"]["S"] == "OUTBOX"
    ]
    result: list[dict[str, Any]] = json.loads(json.dumps(batch, default=str))
    return result


def _publish(batches: list[dict[str, Any]], context: FakeLambdaContext) -> list[dict[str, Any]]:
    """What the Map state does per batch: PutEvents, and retry selection if entries failed."""
    events = boto3.client("events")
    results = []
    for batch in batches:
        put_result = events.put_events(Entries=batch["entries"])
        state = {**batch, "putResult": {k: put_result[k] for k in ("FailedEntryCount", "Entries")}}
        if put_result["FailedEntryCount"]:
            state = failed_entries_handler.lambda_handler(state, context)
        # as BatchAbandoned / BatchPublished report the batch (no retries here)
        failed = bool(put_result["FailedEntryCount"])
        results.append(
            {"failedKeys": state["keys"], "lastErrors": state["lastErrors"]}
            if failed
            else {"failedKeys": [], "answeredKeys": state["keys"], "answer": state["putResult"]}
        )
    return results


@pytest.mark.usefixtures("environment")
def test_a_placed_order_is_published_exactly_once(
    dynamodb: Any, orders_table: str, subscriber: str, lambda_context: FakeLambdaContext
) -> None:
    # Given an order placed through the API
    response = orders_handler.lambda_handler(post_order_event(order_body()), lambda_context)
    assert response["statusCode"] == 201
    order_id = json.loads(response["body"])["orderId"]
    # When the pipe delivers the new outbox record and the workflow's tasks run
    batch = _pipe_batch(dynamodb, orders_table)
    assert len(batch) == 1
    token = "arn:aws:states:eu-west-1:123456789012:express:OutboxPublisher:exec-1:run-1"
    claim = claim_handler.lambda_handler({"input": batch, "claimToken": token}, lambda_context)
    results = _publish(claim["batches"], lambda_context)
    outcome = mark_handler.lambda_handler(
        {"claimToken": claim["claimToken"], "batches": claim["batches"], "results": results}, lambda_context
    )
    # Then one record was claimed, published and marked
    assert (claim["claimed"], outcome["published"], outcome["failed"]) == (1, 1, 0)
    # And the subscriber received OrderPlaced with the business facts and no personal data
    messages = boto3.client("sqs").receive_message(QueueUrl=subscriber, MaxNumberOfMessages=10)
    [message] = messages["Messages"]
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"]) == (SOURCE, "OrderPlaced")
    detail = event["detail"]
    assert detail["aggregateId"] == order_id and detail["sequence"] == 1
    assert detail["data"]["totalAmount"] == 3499 and detail["data"]["destinationCountry"] == "DE"
    assert "Ada" not in message["Body"] and "Example Street" not in message["Body"]
    # And a duplicate delivery of the same batch publishes nothing
    duplicate = claim_handler.lambda_handler({"input": batch, "claimToken": token + "-dup"}, lambda_context)
    assert (duplicate["claimed"], duplicate["skipped"], duplicate["batches"]) == (0, 1, [])
    # And the sweeper finds nothing left to publish
    sweep = claim_handler.lambda_handler(
        {"input": {"sweep": {"olderThanSeconds": 0}}, "claimToken": "s"}, lambda_context
    )
    assert sweep["claimed"] == 0


@pytest.mark.usefixtures("environment")
def test_an_entry_the_bus_rejects_leaves_its_record_pending_with_the_bus_error(
    dynamodb: Any, orders_table: str, subscriber: str, lambda_context: FakeLambdaContext
) -> None:
    # Given a claimed order event whose entry the bus will reject (its Detail is not JSON)
    orders_handler.lambda_handler(post_order_event(order_body()), lambda_context)
    token = "arn:aws:states:eu-west-1:123456789012:express:OutboxPublisher:exec-2:run-1"
    claim = claim_handler.lambda_handler(
        {"input": _pipe_batch(dynamodb, orders_table), "claimToken": token}, lambda_context
    )
    [batch] = claim["batches"]
    batch["entries"][0]["Detail"] = "not json"
    # When published and settled
    results = _publish(claim["batches"], lambda_context)
    outcome = mark_handler.lambda_handler(
        {"claimToken": token, "batches": claim["batches"], "results": results}, lambda_context
    )
    # Then the record is PENDING again, one attempt counted, with moto's error code and message
    assert (outcome["published"], outcome["failed"], outcome["released"]) == (0, 1, 1)
    key = batch["keys"][0]
    item = dynamodb.get_item(TableName=orders_table, Key={"pk": {"S": key["pk"]}, "sk": {"S": key["sk"]}})[
        "Item"
    ]
    assert (item["status"]["S"], item["attempts"]["N"]) == ("PENDING", "1")
    assert (item["lastErrorCode"]["S"], item["lastErrorMessage"]["S"]) == (
        "MalformedDetail",
        "Detail is malformed.",
    )
    assert item["lastError"]["S"] == "MalformedDetail: Detail is malformed."
    assert "Messages" not in boto3.client("sqs").receive_message(QueueUrl=subscriber)
