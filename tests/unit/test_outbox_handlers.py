"""The publisher's Lambda shells: the workflow contract at the handler boundary (fake store)."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from order_store.errors import OutboxStoreUnavailable
from outbox_publisher import claim_handler, failed_entries_handler, mark_handler
from outbox_publisher.errors import InvalidOutboxInput
from tests.unit.fakes import FakeLambdaContext, InMemoryOrderStore
from tests.unit.samples import outbox_record, outbox_stream_record

pytestmark = [
    pytest.mark.usefixtures("publisher_env"),
    # a refused input publishes no metric, and Powertools says so
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

TOKEN = "arn:aws:states:eu-west-1:123456789012:express:OutboxPublisher:exec-1:run-1"


@pytest.fixture(autouse=True)
def _fake_store(monkeypatch: pytest.MonkeyPatch, store: InMemoryOrderStore) -> None:
    tables: list[str] = []

    def factory(table_name: str) -> InMemoryOrderStore:
        tables.append(table_name)
        assert table_name == "Orders"
        return store

    monkeypatch.setattr(claim_handler, "repository_factory", factory)
    monkeypatch.setattr(mark_handler, "repository_factory", factory)


def _round_trip(value: dict[str, Any]) -> dict[str, Any]:
    """What Step Functions does between states: the payload is JSON."""
    result: dict[str, Any] = json.loads(json.dumps(value))
    return result


def test_claim_returns_exactly_what_the_result_selector_reads(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given a new outbox record delivered by the pipe
    record = outbox_record("o-1")
    store.put_outbox(record)
    event = {"input": [outbox_stream_record(record)], "claimToken": TOKEN}
    # When the claim task runs
    output = _round_trip(claim_handler.lambda_handler(event, lambda_context))
    # Then the output carries the selected fields, with PutEvents-shaped entries and aligned keys
    assert {"claimToken", "claimed", "skipped", "batches"} <= set(output)
    assert (output["claimToken"], output["claimed"], output["skipped"]) == (TOKEN, 1, 0)
    [batch] = output["batches"]
    assert batch["attempt"] == 1
    assert batch["keys"] == [{"pk": record.pk, "sk": record.sk, "eventId": record.event_id}]
    [entry] = batch["entries"]
    assert entry["Source"] == "order-platform.orders" and entry["EventBusName"] == "orders-bus"
    assert entry["DetailType"] == "OrderPlaced"
    assert json.loads(entry["Detail"])["eventId"] == record.event_id


def test_claim_accepts_the_sweeper_input(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given a pending record created long ago
    record = outbox_record("o-1", created=datetime(2000, 1, 1, tzinfo=UTC))
    store.put_outbox(record)
    # When the sweeper's execution claims with the default minimum age
    output = claim_handler.lambda_handler({"input": {"sweep": {}}, "claimToken": TOKEN}, lambda_context)
    # Then it is claimed
    assert output["claimed"] == 1


@pytest.mark.parametrize(
    "event",
    [
        {"claimToken": TOKEN},
        {"input": [], "claimToken": ""},
        {"input": "not a batch", "claimToken": TOKEN},
        {"input": {"sweep": {"limit": 0}}, "claimToken": TOKEN},
        {"input": {"sweep": {}, "other": 1}, "claimToken": TOKEN},
    ],
)
def test_claim_refuses_input_outside_the_contract(
    event: dict[str, Any], lambda_context: FakeLambdaContext
) -> None:
    # Given an input that is not a pipe batch or a sweep / When the task runs / Then it fails by name
    with pytest.raises(InvalidOutboxInput):
        claim_handler.lambda_handler(event, lambda_context)


def test_a_throttled_store_raises_the_error_the_state_machine_retries(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given a throttling store
    record = outbox_record("o-1")
    store.put_outbox(record)
    store.fail_with = OutboxStoreUnavailable("throttled")
    # When the claim task runs / Then the error name is OutboxStoreUnavailable
    with pytest.raises(OutboxStoreUnavailable):
        claim_handler.lambda_handler(
            {"input": [outbox_stream_record(record)], "claimToken": TOKEN}, lambda_context
        )


def test_failed_entries_output_matches_its_result_selector(lambda_context: FakeLambdaContext) -> None:
    # Given the Map iteration state after a PutEvents call that rejected one of two entries
    entries = [{"Source": "s", "DetailType": "OrderPlaced", "Detail": "{}", "EventBusName": "b"}] * 2
    keys = [{"pk": f"ORDER#{i}", "sk": "OUTBOX#0000000001", "eventId": f"e-{i}"} for i in range(2)]
    event = {
        "attempt": 2,
        "entries": entries,
        "keys": keys,
        "putResult": {
            "FailedEntryCount": 1,
            "Entries": [{"EventId": "x"}, {"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}],
        },
        "delaySeconds": 1,
        "exhausted": False,
        "lastErrors": [],
    }
    # When the task runs
    output = _round_trip(failed_entries_handler.lambda_handler(event, lambda_context))
    # Then it returns the next attempt with the rejected entry only and the doubled delay
    assert output == {
        "attempt": 3,
        "entries": [entries[1]],
        "keys": [keys[1]],
        "delaySeconds": 2,
        "exhausted": False,
        "lastErrors": [{"eventId": "e-1", "errorCode": "InternalFailure", "errorMessage": "boom"}],
    }


def test_failed_entries_refuses_misaligned_input(lambda_context: FakeLambdaContext) -> None:
    # Given entries and keys of different lengths / When the task runs / Then it fails by name
    event = {"attempt": 1, "entries": [], "keys": [{"pk": "p", "sk": "s", "eventId": "e"}], "putResult": {}}
    with pytest.raises(InvalidOutboxInput):
        failed_entries_handler.lambda_handler(event, lambda_context)


def test_claim_then_mark_publishes_and_releases_through_the_handlers(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given two claimed records, the second of which the bus kept rejecting
    first, second = outbox_record("o-1"), outbox_record("o-2")
    store.put_outbox(first)
    store.put_outbox(second)
    claim = _round_trip(
        claim_handler.lambda_handler(
            {"input": [outbox_stream_record(first), outbox_stream_record(second)], "claimToken": TOKEN},
            lambda_context,
        )
    )
    results = [
        {"failedKeys": [key for key in batch["keys"] if key["eventId"] == second.event_id]}
        for batch in claim["batches"]
    ]
    # When the mark task gets the state machine's payload
    output = _round_trip(
        mark_handler.lambda_handler(
            {"claimToken": claim["claimToken"], "batches": claim["batches"], "results": results},
            lambda_context,
        )
    )
    # Then it reports what the ResultSelector reads, and the records are settled
    assert {key: output[key] for key in ("published", "failed", "failedEventIds")} == {
        "published": 1,
        "failed": 1,
        "failedEventIds": [second.event_id],
    }
    assert store.record(first.key).status == "PUBLISHED"
    assert store.record(second.key).status == "PENDING"


def test_mark_refuses_results_that_do_not_match_the_batches(lambda_context: FakeLambdaContext) -> None:
    # Given a mark payload with one batch and no results / When the task runs / Then it fails by name
    batch = {"attempt": 1, "entries": [], "keys": []}
    with pytest.raises(InvalidOutboxInput):
        mark_handler.lambda_handler({"claimToken": TOKEN, "batches": [batch], "results": []}, lambda_context)
