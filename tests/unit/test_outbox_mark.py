"""Settling claims: PUBLISHED for accepted records, PENDING again for failed ones."""

from datetime import timedelta

import pytest

from order_store.events import bus_entry
from order_store.models import MAX_ERROR_CODE_LENGTH, MAX_ERROR_MESSAGE_LENGTH, OutboxRecord
from outbox_publisher.logic import settle_claims
from outbox_publisher.schemas import MarkRequest
from outbox_publisher.settings import MarkSettings
from tests.unit.fakes import InMemoryOrderStore
from tests.unit.samples import NOW, outbox_record

SETTINGS = MarkSettings(orders_table_name="Orders")
TOKEN = "execution-1"


def _claimed(store: InMemoryOrderStore, *order_ids: str) -> list[OutboxRecord]:
    records = []
    for order_id in order_ids:
        store.put_outbox(outbox_record(order_id))
        claimed = store.claim(outbox_record(order_id).key, TOKEN, NOW, 60)
        assert claimed is not None
        records.append(claimed)
    return records


def _request(
    batches: list[list[OutboxRecord]], failed: list[list[OutboxRecord]], **extra: object
) -> MarkRequest:
    return MarkRequest.model_validate(
        {
            "claimToken": TOKEN,
            "batches": [
                {
                    "attempt": 1,
                    "entries": [bus_entry(r, source="s", event_bus_name="b").model_dump() for r in batch],
                    "keys": [r.key.model_dump() for r in batch],
                }
                for batch in batches
            ],
            "results": [{"failedKeys": [r.key.model_dump() for r in keys]} for keys in failed],
            **extra,
        }
    )


def test_accepted_records_are_published_with_ttl_and_leave_the_pending_index(
    store: InMemoryOrderStore,
) -> None:
    # Given two claimed records, both accepted by the bus
    first, second = _claimed(store, "o-1", "o-2")
    # When the claims are settled
    outcome = settle_claims(_request([[first, second]], [[]]), store, SETTINGS, NOW)
    # Then both are PUBLISHED, expire after the TTL and no longer carry a shard or a claim
    assert outcome.model_dump() == {
        "published": 2,
        "failed": 0,
        "failedEventIds": [],
        "released": 0,
        "conflictEventIds": [],
    }
    for record in (first, second):
        current = store.record(record.key)
        assert current.status == "PUBLISHED"
        assert current.published_at == "2026-11-23T10:00:00.123Z"
        assert current.expires_at == int(NOW.timestamp()) + 7 * 86_400
        assert (current.pending_shard, current.claim_token, current.claim_expires_at) == (None, None, None)


def test_failed_records_are_released_with_the_attempt_counted(store: InMemoryOrderStore) -> None:
    # Given two batches, the second record of the first batch never accepted
    first, second, third = _claimed(store, "o-1", "o-2", "o-3")
    # When settled
    outcome = settle_claims(_request([[first, second], [third]], [[second], []]), store, SETTINGS, NOW)
    # Then the failed one is PENDING again, in the index, counted and explained; the others published
    assert (outcome.published, outcome.failed, outcome.released) == (2, 1, 1)
    assert outcome.failed_event_ids == [second.event_id]
    released = store.record(second.key)
    assert released.status == "PENDING" and released.attempts == 1
    assert released.pending_shard is not None and released.claim_token is None
    assert released.last_error_code == "NotAccepted"
    assert released.last_error_message == f"not accepted by the event bus (execution {TOKEN})"
    assert store.record(third.key).status == "PUBLISHED"


def _with_errors(request: MarkRequest, *errors: tuple[OutboxRecord, str, str]) -> MarkRequest:
    """The request with the last entry errors the workflow reports for its one batch."""
    event = request.model_dump(mode="json")
    event["results"][0]["lastErrors"] = [
        {"eventId": record.event_id, "errorCode": code, "errorMessage": message}
        for record, code, message in errors
    ]
    return MarkRequest.model_validate(event)


def test_each_failed_record_keeps_the_last_error_of_its_own_entry(store: InMemoryOrderStore) -> None:
    # Given a batch of three, two of which the bus kept rejecting, each for its own reason
    first, second, third = _claimed(store, "o-1", "o-2", "o-3")
    request = _with_errors(
        _request([[first, second, third]], [[first, third]]),
        (first, "ThrottlingException", "x"),
        (third, "UnattributedFailure", "PutEvents reported FailedEntryCount 1 with no entry error"),
    )
    # When settled
    outcome = settle_claims(request, store, SETTINGS, NOW)
    # Then each released record carries its entry's code and message, apart and as one line
    assert (outcome.published, outcome.released) == (1, 2)
    released = store.record(first.key)
    assert (released.status, released.attempts) == ("PENDING", 1)
    assert (released.last_error_code, released.last_error_message) == ("ThrottlingException", "x")
    assert released.last_error == "ThrottlingException: x"
    assert store.record(third.key).last_error_code == "UnattributedFailure"
    assert store.record(third.key).last_error_message == (
        "PutEvents reported FailedEntryCount 1 with no entry error"
    )
    assert store.record(second.key).status == "PUBLISHED"


def test_a_task_error_is_the_last_error_of_every_failed_key_of_its_batch(store: InMemoryOrderStore) -> None:
    # Given two batches: PutEvents itself failed for good in the first (its Catch error reported),
    # the bus rejected the entry of the second
    first, second, third = _claimed(store, "o-1", "o-2", "o-3")
    event = _request([[first, second], [third]], [[first, second], [third]]).model_dump(mode="json")
    event["results"][0]["taskError"] = {"Error": "EventBridge.InternalException", "Cause": "the bus is down"}
    event["results"][1]["lastErrors"] = [
        {"eventId": third.event_id, "errorCode": "ThrottlingException", "errorMessage": "x"}
    ]
    # When settled
    outcome = settle_claims(MarkRequest.model_validate(event), store, SETTINGS, NOW)
    # Then the keys of the first batch carry the task's error, the third its entry's error
    assert (outcome.released, outcome.published) == (3, 0)
    for record in (first, second):
        released = store.record(record.key)
        assert (released.last_error_code, released.last_error_message) == (
            "EventBridge.InternalException",
            "the bus is down",
        )
    assert store.record(third.key).last_error == "ThrottlingException: x"


def test_a_stored_error_is_bounded(store: InMemoryOrderStore) -> None:
    # Given a failed record whose error code and message are huge
    [record] = _claimed(store, "o-1")
    request = _with_errors(_request([[record]], [[record]]), (record, "C" * 500, "m" * 50_000))
    # When settled / Then what the record keeps is cut to the bounds
    settle_claims(request, store, SETTINGS, NOW)
    released = store.record(record.key)
    assert released.last_error_code == "C" * MAX_ERROR_CODE_LENGTH
    assert released.last_error_message == "m" * MAX_ERROR_MESSAGE_LENGTH
    assert released.last_error is not None and len(released.last_error) < 2 * MAX_ERROR_MESSAGE_LENGTH


def test_settling_twice_is_harmless(store: InMemoryOrderStore) -> None:
    # Given claims that were already settled once (the mark task is retried after a timeout)
    first, second = _claimed(store, "o-1", "o-2")
    request = _request([[first, second]], [[]])
    settle_claims(request, store, SETTINGS, NOW)
    # When settled again later
    outcome = settle_claims(request, store, SETTINGS, NOW + timedelta(minutes=5))
    # Then the records are still PUBLISHED with their first publication time, and nothing conflicts
    assert outcome.published == 2 and outcome.conflict_event_ids == []
    assert store.record(first.key).published_at == "2026-11-23T10:00:00.123Z"
    assert store.record(first.key).expires_at == int(NOW.timestamp()) + 7 * 86_400


def test_a_record_someone_else_claimed_meanwhile_is_left_alone(store: InMemoryOrderStore) -> None:
    # Given our lease expired and a sweep claimed one record (the other we failed to publish was
    # also taken over)
    first, second = _claimed(store, "o-1", "o-2")
    later = NOW + timedelta(seconds=120)
    store.claim(first.key, "sweeper", later, 60)
    store.claim(second.key, "sweeper", later, 60)
    # When our mark task finally runs
    outcome = settle_claims(_request([[first, second]], [[second]]), store, SETTINGS, later)
    # Then it neither publishes nor releases the new owner's records, and reports them
    assert (outcome.published, outcome.released, outcome.failed) == (0, 0, 1)
    assert outcome.conflict_event_ids == [first.event_id, second.event_id]
    assert store.record(first.key).claim_token == "sweeper"
    assert store.record(second.key).status == "PUBLISHING"


def test_results_must_match_batches_one_to_one() -> None:
    # Given a mark input with a result missing / When parsed / Then it is refused
    with pytest.raises(ValueError, match="one entry per batch"):
        _request([[outbox_record("o-1")]], [])


def _answered(records: list[OutboxRecord], answer: dict[str, object]) -> dict[str, object]:
    """A batch result as BatchPublished reports it: no failed key, the bus's answer to its keys."""
    return {"failedKeys": [], "answeredKeys": [r.key.model_dump() for r in records], "answer": answer}


@pytest.mark.parametrize(
    ("entries", "code", "message_start"),
    [
        ([{"EventId": "e-1"}, {}], "UnattributedFailure", "PutEvents reported FailedEntryCount 0"),
        ([{"EventId": "e-1"}], "MissingResult", "PutEvents returned no result"),
    ],
    ids=["empty-result", "no-result"],
)
def test_an_entry_without_an_event_id_is_failed_even_when_no_failure_was_counted(
    store: InMemoryOrderStore, entries: list[dict[str, str]], code: str, message_start: str
) -> None:
    # Given a batch of two the bus answered with FailedEntryCount 0 but an EventId for the first only
    first, second = _claimed(store, "o-1", "o-2")
    answer = {"FailedEntryCount": 0, "Entries": entries}
    request = _request([[first, second]], [], results=[_answered([first, second], answer)])
    # When settled
    outcome = settle_claims(request, store, SETTINGS, NOW)
    # Then only the entry with an EventId is PUBLISHED; the other is PENDING again, and says why
    assert (outcome.published, outcome.failed, outcome.failed_event_ids) == (1, 1, [second.event_id])
    assert store.record(first.key).status == "PUBLISHED"
    released = store.record(second.key)
    assert released.status == "PENDING"
    assert released.last_error_code == code
    assert released.last_error_message.startswith(message_start)


def test_an_answer_with_more_results_than_entries_fails_the_whole_batch(store: InMemoryOrderStore) -> None:
    # Given an answer that cannot be lined up with the entries it answers
    first, second = _claimed(store, "o-1", "o-2")
    answer = {"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}, {"EventId": "e-2"}, {"EventId": "e-3"}]}
    request = _request([[first, second]], [], results=[_answered([first, second], answer)])
    # When settled, nothing is PUBLISHED on its word
    outcome = settle_claims(request, store, SETTINGS, NOW)
    assert (outcome.published, outcome.failed) == (0, 2)
    assert {store.record(r.key).last_error_code for r in (first, second)} == {"MisalignedResult"}
