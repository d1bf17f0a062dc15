"""Claiming outbox records and building PutEvents batches (domain logic, fake store)."""

import json
from datetime import timedelta

import pytest

from order_store.errors import OutboxStoreUnavailable
from outbox_publisher.logic import claim_outbox, entry_error
from outbox_publisher.schemas import ClaimRequest
from outbox_publisher.settings import ClaimSettings
from tests.unit.fakes import InMemoryOrderStore
from tests.unit.samples import NOW, outbox_record, outbox_stream_record

SETTINGS = ClaimSettings(
    orders_table_name="Orders", event_bus_name="orders-bus", event_source="order-platform.orders"
)
TOKEN = "arn:aws:states:eu-west-1:123456789012:express:OutboxPublisher:exec-1:run-1"


def _stream_request(*records: object, token: str = TOKEN) -> ClaimRequest:
    return ClaimRequest.model_validate({"input": list(records), "claimToken": token})


def _sweep_request(token: str = TOKEN, **sweep: int) -> ClaimRequest:
    return ClaimRequest.model_validate({"input": {"sweep": sweep}, "claimToken": token})


def test_a_stream_batch_claims_each_pending_record_and_batches_its_entry(store: InMemoryOrderStore) -> None:
    # Given two pending records announced by the stream
    first, second = outbox_record("o-1"), outbox_record("o-2")
    store.put_outbox(first)
    store.put_outbox(second)
    request = _stream_request(outbox_stream_record(first), outbox_stream_record(second))
    # When they are claimed
    result = claim_outbox(request, store, SETTINGS, NOW)
    # Then both are PUBLISHING under our token with a lease, in one batch of index-aligned entries
    assert (result.claimed, result.skipped, result.deferred) == (2, 0, 0)
    for record in (first, second):
        current = store.record(record.key)
        assert current.status == "PUBLISHING" and current.claim_token == TOKEN
        assert current.claim_expires_at == int(NOW.timestamp()) + SETTINGS.claim_lease_seconds
    [batch] = result.batches
    assert batch.attempt == 1
    assert batch.keys == [first.key, second.key]
    assert [json.loads(entry.detail)["eventId"] for entry in batch.entries] == [
        first.event_id,
        second.event_id,
    ]
    assert all(
        entry.source == "order-platform.orders" and entry.event_bus_name == "orders-bus"
        for entry in batch.entries
    )


def test_records_published_or_owned_by_another_live_claim_are_skipped(store: InMemoryOrderStore) -> None:
    # Given one record already published and one claimed by another execution whose lease runs
    published = outbox_record("o-1").model_copy(update={"status": "PUBLISHED", "pending_shard": None})
    foreign = outbox_record("o-2").model_copy(
        update={"status": "PUBLISHING", "claim_token": "other", "claim_expires_at": int(NOW.timestamp()) + 30}
    )
    store.put_outbox(published)
    store.put_outbox(foreign)
    # When a duplicate delivery tries to claim them (MODIFY images, so the published one reaches the claim)
    result = claim_outbox(
        _stream_request(outbox_stream_record(foreign, "MODIFY"), outbox_stream_record(foreign, "MODIFY")),
        store,
        SETTINGS,
        NOW,
    )
    result_published = claim_outbox(
        _sweep_request(olderThanSeconds=0), store, SETTINGS, NOW + timedelta(seconds=1)
    )
    # Then nothing is claimed and the other execution keeps its record
    assert (result.claimed, result.skipped, result.batches) == (0, 1, [])
    assert result_published.claimed == 0
    assert store.record(foreign.key).claim_token == "other"
    assert store.record(published.key).status == "PUBLISHED"


def test_a_record_whose_lease_expired_can_be_claimed_again(store: InMemoryOrderStore) -> None:
    # Given a record claimed by an execution that died, its lease over
    stuck = outbox_record("o-1").model_copy(
        update={"status": "PUBLISHING", "claim_token": "dead", "claim_expires_at": int(NOW.timestamp()) - 1}
    )
    store.put_outbox(stuck)
    # When a sweep claims it
    result = claim_outbox(_sweep_request(olderThanSeconds=0), store, SETTINGS, NOW + timedelta(seconds=1))
    # Then it is ours now
    assert result.claimed == 1
    assert store.record(stuck.key).claim_token == TOKEN


def test_a_retried_claim_of_the_same_execution_gets_its_records_back(store: InMemoryOrderStore) -> None:
    # Given a claim that succeeded for the first record before the task failed
    first, second = outbox_record("o-1"), outbox_record("o-2")
    store.put_outbox(first)
    store.put_outbox(second)
    request = _stream_request(outbox_stream_record(first), outbox_stream_record(second))
    store.claim(first.key, TOKEN, NOW, 60)
    # When Step Functions retries the claim task with the same execution id
    result = claim_outbox(request, store, SETTINGS, NOW)
    # Then both records are in the batches, none skipped
    assert result.claimed == 2
    assert result.batches[0].keys == [first.key, second.key]


def test_the_same_event_delivered_twice_in_one_input_is_claimed_once(store: InMemoryOrderStore) -> None:
    # Given a batch that repeats a record
    record = outbox_record("o-1")
    store.put_outbox(record)
    # When claimed
    result = claim_outbox(
        _stream_request(outbox_stream_record(record), outbox_stream_record(record, "MODIFY")),
        store,
        SETTINGS,
        NOW,
    )
    # Then it appears once
    assert result.claimed == 1 and result.skipped == 0
    assert result.batches[0].keys == [record.key]


def test_a_sweep_claims_only_records_older_than_the_minimum_age(store: InMemoryOrderStore) -> None:
    # Given an old pending record, a fresh one, and an old published one
    old = outbox_record("o-old", created=NOW - timedelta(seconds=600))
    fresh = outbox_record("o-fresh", created=NOW - timedelta(seconds=5))
    done = outbox_record("o-done", created=NOW - timedelta(seconds=600)).model_copy(
        update={"status": "PUBLISHED", "pending_shard": None}
    )
    for record in (old, fresh, done):
        store.put_outbox(record)
    # When the sweeper runs with the default age
    result = claim_outbox(_sweep_request(), store, SETTINGS, NOW)
    # Then only the old pending record is claimed
    assert [key for batch in result.batches for key in batch.keys] == [old.key]
    assert store.record(fresh.key).status == "PENDING"


def test_a_sweep_respects_its_limit_oldest_first(store: InMemoryOrderStore) -> None:
    # Given five stale records
    records = [outbox_record(f"o-{i}", created=NOW - timedelta(seconds=1000 - i)) for i in range(5)]
    for record in records:
        store.put_outbox(record)
    # When the sweep is limited to two
    result = claim_outbox(_sweep_request(limit=2), store, SETTINGS, NOW)
    # Then the two oldest are claimed
    assert [key for batch in result.batches for key in batch.keys] == [records[0].key, records[1].key]


def test_batches_hold_at_most_ten_entries(store: InMemoryOrderStore) -> None:
    # Given 23 stale records
    for i in range(23):
        store.put_outbox(outbox_record(f"o-{i:02d}", created=NOW - timedelta(seconds=500 + i)))
    # When swept
    result = claim_outbox(_sweep_request(), store, SETTINGS, NOW)
    # Then the entries are split 10/10/3, every key once
    assert [len(batch.entries) for batch in result.batches] == [10, 10, 3]
    assert len({key.event_id for batch in result.batches for key in batch.keys}) == 23


@pytest.mark.parametrize(("count", "blob_size"), [(30, 10_000), (3, 120_000), (1000, 10)])
def test_claiming_stops_at_the_state_budget_and_leaves_the_rest_pending(
    store: InMemoryOrderStore, count: int, blob_size: int
) -> None:
    # Given more stale records than one execution's state can carry (many mid-sized, few huge,
    # or very many tiny ones)
    for i in range(count):
        created = NOW - timedelta(seconds=5000 - i)
        store.put_outbox(outbox_record(f"o-{i:03d}", created=created, blob="x" * blob_size))
    # When swept without a limit that would cut earlier
    result = claim_outbox(_sweep_request(limit=1000), store, SETTINGS, NOW)
    # Then claiming stopped within the budget, so the state fits even when every record failed
    # with the largest error the retry step reports (multi-byte text, cut to its bounds)
    assert result.claimed + result.deferred == count
    assert 0 < result.claimed < count
    keys = [key for batch in result.batches for key in batch.keys]
    errors = [entry_error(key, "É" * 500, "é" * 5000).model_dump(mode="json") for key in keys]
    state = {
        **result.model_dump(mode="json"),
        "results": [{"failedKeys": [key.model_dump(mode="json") for key in keys], "lastErrors": errors}],
    }
    assert len(json.dumps(state, ensure_ascii=False).encode()) < 256 * 1024
    # And every record not carried by this execution is PENDING, unclaimed, for the next sweep
    pending = [r for r in store.outbox.values() if r.status == "PENDING"]
    assert len(pending) == result.deferred
    assert all(r.claim_token is None and r.attempts == 0 for r in pending)


def test_nothing_to_claim_yields_no_batches(store: InMemoryOrderStore) -> None:
    # Given an empty table / When swept / Then the result says there is nothing to publish
    result = claim_outbox(_sweep_request(), store, SETTINGS, NOW)
    assert (result.claimed, result.skipped, result.batches) == (0, 0, [])


def test_an_unavailable_store_surfaces_as_the_retried_error(store: InMemoryOrderStore) -> None:
    # Given a store that is throttling
    record = outbox_record("o-1")
    store.put_outbox(record)
    store.fail_with = OutboxStoreUnavailable("throttled")
    # When claiming / Then the error the state machine retries is raised
    with pytest.raises(OutboxStoreUnavailable):
        claim_outbox(_stream_request(outbox_stream_record(record)), store, SETTINGS, NOW)
