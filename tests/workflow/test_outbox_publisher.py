"""The outbox publisher ASL on the embedded engine, with the real handlers, driven by the real pipe.

Each test asserts what a user of the platform cares about: the table (order
and outbox record, PUBLISHED or not) and the bus as a consumer sees it (a queue
subscribed by a rule), not only an execution's status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from local_runtime import LocalApp
from local_runtime.faults import EventBusProbe
from observability.slo import OUTBOX_LAG, OUTBOX_OLDEST_PENDING_AGE
from tests.workflow.outbox_helpers import (
    delivered_event_ids,
    outbox_records,
    place_order,
    tap_bus,
)
from tests.workflow.slo_values import slo_values

pytestmark = pytest.mark.workflow

PUBLISHER = "OutboxPublisherStateMachineArn"


def test_each_placed_order_is_published_once_and_marked(app: LocalApp, sample_order: dict[str, Any]) -> None:
    # Given a consumer subscribed to the bus
    tap = tap_bus(app)
    # When three orders are placed through the API
    placed = [place_order(app, {**sample_order, "customerId": f"cust-{n}"}) for n in range(3)]
    app.drain()
    # Then every outbox record is PUBLISHED, with its claim released and a TTL set
    records = outbox_records(app)
    assert len(records) == 3
    assert {r["status"] for r in records} == {"PUBLISHED"}
    assert all("pendingShard" not in r and "claimToken" not in r and r["expiresAt"] for r in records)
    # and the consumer received exactly one OrderPlaced per order, carrying the outbox event id
    events = app.receive_all(tap)
    assert sorted(e["detail"]["eventId"] for e in events) == sorted(r["eventId"] for r in records)
    assert {e["detail-type"] for e in events} == {"OrderPlaced"}
    assert sorted(e["detail"]["aggregateId"] for e in events) == sorted(o["orderId"] for o in placed)
    # and the publisher ran its happy path
    executions = app.executions(app.output(PUBLISHER))
    assert executions and {e["status"] for e in executions} == {"SUCCEEDED"}
    visited = app.states_visited(executions[0]["executionArn"])
    assert visited[:3] == ["ClaimRecords", "AnythingToPublish", "PublishBatches"]
    assert visited[-2:] == ["AllPublished", "Published"]
    assert "SelectFailedEntries" not in visited
    # and MarkPublished reported each record's lag from commit to the bus (an SLO), in
    # milliseconds of the app's clock: the drain ran on a still clock, so no more than a few
    # seconds of pipe batching
    lags = slo_values(app, OUTBOX_LAG)
    assert len(lags) == 3
    assert all(0 <= lag <= 5_000 for lag in lags)


def test_events_carry_ids_and_business_facts_but_no_personal_data(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    tap = tap_bus(app)
    place_order(app, sample_order)
    app.drain()
    (event,) = app.receive_all(tap)
    text = json.dumps(event)
    address = sample_order["shippingAddress"]
    for personal in (address["name"], address["line1"], address["postalCode"], address["city"]):
        assert personal not in text
    assert event["detail"]["data"]["destinationCountry"] == address["country"]
    assert event["detail"]["data"]["totalAmount"] == sum(
        i["quantity"] * i["unitPrice"] for i in sample_order["items"]
    )


def test_only_the_entries_putevents_rejected_are_retried(app: LocalApp, sample_order: dict[str, Any]) -> None:
    # Given three orders whose records arrive in one pipe batch, and a bus that rejects one entry once
    tap = tap_bus(app)
    for n in range(3):
        place_order(app, {**sample_order, "customerId": f"cust-{n}"})
    unlucky = outbox_records(app)[1]["eventId"]
    app.bus.reject_event_ids({unlucky}, times=1)
    calls_before = app.bus.calls
    # When the publisher runs
    app.drain()
    # Then each event reached the consumer exactly once
    delivered = delivered_event_ids(app, tap)
    assert set(delivered) == {r["eventId"] for r in outbox_records(app)}
    assert set(delivered.values()) == {1}
    # and the second PutEvents call carried only the rejected entry
    assert app.bus.calls - calls_before == 2
    assert app.bus.rejected == 1
    (execution,) = app.executions(app.output(PUBLISHER))
    assert execution["status"] == "SUCCEEDED"
    visited = app.states_visited(execution["executionArn"])
    assert visited.count("PutEntries") == 2
    assert "SelectFailedEntries" in visited and "BackOff" in visited
    retried = [
        json.loads(e["taskScheduledEventDetails"]["parameters"])
        for e in app.history(execution["executionArn"])
        if e["type"] == "TaskScheduled" and "putEvents" in e["taskScheduledEventDetails"]["resource"]
    ]
    assert [json.loads(entry["Detail"])["eventId"] for entry in retried[-1]["Entries"]] == [unlucky]
    assert {r["status"] for r in outbox_records(app)} == {"PUBLISHED"}


def test_failures_putevents_counts_but_attributes_to_no_entry_are_retried_not_published(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given two orders whose records arrive in one pipe batch, and a bus that twice answers the
    # batch with FailedEntryCount 2 but no ErrorCode (nor EventId) on any entry, delivering nothing
    tap = tap_bus(app)
    for n in range(2):
        place_order(app, {**sample_order, "customerId": f"cust-{n}"})
    app.bus.fail_unattributed(lambda entry: True, times=4)
    # When the publisher runs
    app.drain()
    # Then the whole batch was put three times: two unattributed failures, then accepted
    (execution,) = app.executions(app.output(PUBLISHER))
    assert execution["status"] == "SUCCEEDED"
    assert app.states_visited(execution["executionArn"]).count("PutEntries") == 3
    assert app.bus.rejected == 4
    # and only then were the records marked PUBLISHED, and the consumer got each event once
    records = outbox_records(app)
    assert {r["status"] for r in records} == {"PUBLISHED"}
    assert delivered_event_ids(app, tap) == {r["eventId"]: 1 for r in records}


def test_persistent_rejection_fails_the_execution_and_the_sweeper_republishes(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given a bus that keeps throttling the order's event
    tap = tap_bus(app)
    place_order(app, sample_order)
    (record,) = outbox_records(app)
    app.bus.reject_event_ids({record["eventId"]}, error_code="ThrottlingException", error_message="x")
    # When the pipe delivers it (and retries, as configured)
    app.drain()
    # Then every execution failed with the named error and nothing reached the consumer
    executions = app.executions(app.output(PUBLISHER))
    assert executions and {e["status"] for e in executions} == {"FAILED"}
    assert {e["error"] for e in executions} == {"OutboxPublishFailed"}
    assert app.receive_all(tap) == []
    # and the record is unpublished, released after each execution, with the bus's last answer
    (record,) = outbox_records(app)
    assert record["status"] == "PENDING"
    assert record["attempts"] == len(executions)
    assert (record["lastErrorCode"], record["lastErrorMessage"]) == ("ThrottlingException", "x")
    # When the bus recovers and five minutes pass: the sweeper's schedule fires on its own
    app.bus.clear()
    stuck_since = app.now()
    app.advance(timedelta(minutes=5))
    # Then the record is published exactly once
    assert delivered_event_ids(app, tap) == {record["eventId"]: 1}
    assert outbox_records(app)[0]["status"] == "PUBLISHED"
    # and the sweeper reported how old the record it found was (an SLO): minutes, not seconds
    (age,) = slo_values(app, OUTBOX_OLDEST_PENDING_AGE)
    assert age >= (app.now() - stuck_since).total_seconds() - 60
    # and its lag from commit to the bus, published at last, says the same
    assert max(slo_values(app, OUTBOX_LAG)) >= age * 1000


ONE_EXECUTION_OF_FAILURES = {
    # the bus rejects the entry with an ErrorCode at each of the execution's 4 attempts
    "rejected": (
        lambda bus: bus.reject(
            lambda entry: True, times=4, error_code="ThrottlingException", error_message="x"
        ),
        "ThrottlingException",
        "x",
    ),
    # FailedEntryCount 1, but the entry's result has neither an EventId nor an ErrorCode
    "unattributed": (
        lambda bus: bus.fail_unattributed(lambda entry: True, times=4),
        "UnattributedFailure",
        "PutEvents reported FailedEntryCount 1",
    ),
    # FailedEntryCount 0, yet the entry's result has no EventId: nothing proves the bus took it
    "uncounted": (
        lambda bus: bus.lose_uncounted(lambda entry: True, times=1),
        "UnattributedFailure",
        "PutEvents reported FailedEntryCount 0",
    ),
    # PutEvents itself fails: the first call, the task's 6 retries, then its Catch
    "call-failed": (
        lambda bus: bus.fail_calls(7, message="the bus is down"),
        "EventBridge.InternalException",
        "the bus is down",
    ),
}


@pytest.mark.parametrize(
    ("fault", "error_code", "message_start"),
    ONE_EXECUTION_OF_FAILURES.values(),
    ids=ONE_EXECUTION_OF_FAILURES.keys(),
)
def test_a_batch_failing_one_whole_execution_keeps_why_and_the_pipe_retry_publishes_it(
    app: LocalApp,
    sample_order: dict[str, Any],
    fault: Callable[[EventBusProbe], None],
    error_code: str,
    message_start: str,
) -> None:
    # Given a bus that fails the order's event for as long as one execution keeps trying
    tap = tap_bus(app)
    place_order(app, sample_order)
    fault(app.bus)
    # When the pipe delivers it, and retries the failed batch
    app.drain()
    # Then the first execution released the record and failed; the retry published it
    first, retry = app.executions(app.output(PUBLISHER))
    assert (first["status"], first["error"]) == ("FAILED", "OutboxPublishFailed")
    assert retry["status"] == "SUCCEEDED"
    (record,) = outbox_records(app)
    assert (record["status"], record["attempts"]) == ("PUBLISHED", 1)
    # and the record still tells why its first execution could not publish it
    assert record["lastErrorCode"] == error_code
    assert record["lastErrorMessage"].startswith(message_start)
    assert record["lastError"] == f"{record['lastErrorCode']}: {record['lastErrorMessage']}"
    # and the consumer got the event once
    assert delivered_event_ids(app, tap) == {record["eventId"]: 1}


def test_the_pipe_dead_letters_the_batch_metadata_after_its_retries(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    place_order(app, sample_order)
    app.bus.reject(lambda entry: True)
    app.drain()
    dlq_messages = [
        message
        for queue in app.resources.of_type("AWS::SQS::Queue")  # type: ignore[union-attr]
        if "Pipe" in queue.path and "Dlq" in queue.path.replace("DLQ", "Dlq")
        for message in app.receive_all(queue.ref)
    ]
    assert len(dlq_messages) == 1
    assert dlq_messages[0]["dynamoDbStreamBatchInfo"]["batchSize"] == 1


def test_a_duplicate_stream_delivery_publishes_nothing_twice(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given an order already published
    tap = tap_bus(app)
    place_order(app, sample_order)
    app.drain()
    (first,) = app.executions(app.output(PUBLISHER))
    # When the same batch is delivered twice more, concurrently (Pipes is at-least-once)
    sfn = app.client("stepfunctions")
    for n in range(2):
        sfn.start_execution(
            stateMachineArn=app.output(PUBLISHER), name=f"redelivery-{n}", input=first["input"]
        )
    app.drain()
    # Then the consumer saw the event once and the duplicates ended quietly
    (record,) = outbox_records(app)
    assert delivered_event_ids(app, tap) == {record["eventId"]: 1}
    duplicates = [e for e in app.executions(app.output(PUBLISHER)) if e["name"].startswith("redelivery-")]
    assert {e["status"] for e in duplicates} == {"SUCCEEDED"}
    assert all(app.states_visited(e["executionArn"])[-1] == "NothingToPublish" for e in duplicates)


# --- failures after the effect -------------------------------------------------------------------


def test_a_putevents_answer_lost_after_delivery_is_retried_and_consumers_see_one_event_id(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given the bus delivers the first PutEvents and its answer is lost (reported throttled)
    tap = tap_bus(app)
    rule = app.calls.fail("events", "PutEvents", error="ThrottlingException", after_effect=True)
    place_order(app, sample_order)
    app.drain()
    # Then the publisher retried the call (EventBridge.ThrottlingException): the event went out
    # twice, under one event id (at-least-once: consumers deduplicate by it), PUBLISHED once
    assert rule.fired == 1
    (record,) = outbox_records(app)
    assert record["status"] == "PUBLISHED"
    assert delivered_event_ids(app, tap) == {record["eventId"]: 2}
    assert {e["status"] for e in app.executions(app.output(PUBLISHER))} == {"SUCCEEDED"}


def test_marking_that_fails_after_the_events_went_out_ends_published_without_loss(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given the events reach the bus, then every write of the mark step is throttled for a while
    tap = tap_bus(app)
    mark = app.function_name("OutboxPublisher/Mark")
    app.calls.fail(
        "dynamodb",
        "UpdateItem",
        error="ProvisionedThroughputExceededException",
        function=mark,
        target=app.output("OrdersTableName"),
        times=99,
    )
    place_order(app, sample_order)
    app.drain()
    (record,) = outbox_records(app)
    assert record["status"] == "PUBLISHING"  # published, but not marked: its claim still holds it
    # When the outage ends and the sweeper finds the record after its lease ran out
    app.calls.clear()
    app.advance(timedelta(minutes=30))
    # Then it is PUBLISHED, and consumers received the event under its one id (again: at least once)
    (record,) = outbox_records(app)
    assert record["status"] == "PUBLISHED"
    delivered = delivered_event_ids(app, tap)
    assert set(delivered) == {record["eventId"]} and delivered[record["eventId"]] >= 1
