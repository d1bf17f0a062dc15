"""A breaking change published side by side: while a superseded major is still in its period, every
event goes out once per version (the older one made by its downgrade), a record is PUBLISHED only
when the bus took every copy, and a consumer acts on the copy in its own major.

No event has had a breaking change yet, so each test stages one: OrderPlaced 2.0 moves the amount
into a money object, and 1.1 (its predecessor) is published beside it."""

import json
import re
from datetime import date, timedelta
from typing import Any

import jsonschema
import pytest
from event_contracts import versions
from event_contracts.versions import (
    ALSO_PUBLISHED_AS_FIELD,
    SIDE_BY_SIDE_DAYS,
    VERSION_FIELD,
    MissingDowngrade,
    ReadInAnotherMajor,
    Superseded,
    UnsupportedEventVersion,
    accepted_version,
    published_versions,
)

from claim_check.models import CLAIM_CHECK_ISSUED, ClaimCheckIssued
from claim_check.resolving import claim_id_of
from operations.event_schemas import SCHEMA_ROOT, side_by_side_problems
from order_saga.order_placed import parse_order_placed
from order_store.events import bus_entries, new_order_event
from order_store.models import OutboxRecord
from outbox_publisher.logic import claim_outbox, select_failed_entries, settle_claims
from outbox_publisher.schemas import ClaimRequest, FailedEntriesRequest, MarkRequest
from outbox_publisher.settings import ClaimSettings, MarkSettings, RetrySettings
from tests.unit.fakes import InMemoryOrderStore
from tests.unit.samples import NOW, bus_event, outbox_stream_record, sqs_record

SETTINGS = ClaimSettings(
    orders_table_name="Orders", event_bus_name="orders-bus", event_source="order-platform.orders"
)
TOKEN = "arn:aws:states:eu-west-1:123456789012:express:OutboxPublisher:exec-1:run-1"
ORDER_ID = "3f2b8c1e-0000-5000-8000-000000000001"
PREVIOUS = versions.PUBLISHED["OrderPlaced"]


def _to_previous(data: Any) -> dict[str, Any]:
    """The staged downgrade: 2.0's ``total`` money object back to 1.x's amount and currency."""
    rest = {k: v for k, v in data.items() if k != "total"}
    return {**rest, "totalAmount": data["total"]["amount"], "currency": data["total"]["currency"]}


@pytest.fixture
def order_placed_2(monkeypatch: pytest.MonkeyPatch) -> Superseded:
    """OrderPlaced 2.0 is published since yesterday, its predecessor beside it."""
    previous = Superseded(PREVIOUS, superseded_on=NOW.date() - timedelta(days=1))
    monkeypatch.setitem(versions.PUBLISHED, "OrderPlaced", "2.0")
    monkeypatch.setitem(versions.PUBLISHED_BESIDE, "OrderPlaced", (previous,))
    monkeypatch.setitem(versions.DOWNGRADES, ("OrderPlaced", PREVIOUS), _to_previous)
    return previous


def _record_in_2_0(order_id: str = ORDER_ID) -> OutboxRecord:
    data = {
        "orderId": order_id,
        "customerId": "customer-42",
        "total": {"amount": 3499, "currency": "EUR"},
        "items": [
            {"sku": "SKU-1", "quantity": 2, "unitPrice": 1250},
            {"sku": "SKU-2", "quantity": 1, "unitPrice": 999},
        ],
        "destinationCountry": "DE",
    }
    return new_order_event(
        order_id=order_id,
        sequence=1,
        event_type="OrderPlaced",
        data=data,
        now=NOW,
        event_id=f"event-{order_id}",
    )


def _claimed(store: InMemoryOrderStore, record: OutboxRecord) -> Any:
    store.put_outbox(record)
    request = ClaimRequest.model_validate({"input": [outbox_stream_record(record)], "claimToken": TOKEN})
    return claim_outbox(request, store, SETTINGS, NOW)


# --- the producer ---------------------------------------------------------------------------------


def test_while_a_major_is_superseded_each_event_goes_out_once_per_version(
    store: InMemoryOrderStore, order_placed_2: Superseded
) -> None:
    # Given an order written in 2.0 while its predecessor is still published
    record = _record_in_2_0()
    # When the publisher claims it
    result = _claimed(store, record)
    # Then its one record goes out as two entries, the new major first, both paired with its key
    assert (result.claimed, len(result.batches)) == (1, 1)
    (batch,) = result.batches
    assert batch.keys == [record.key, record.key]
    details = [json.loads(entry.detail) for entry in batch.entries]
    assert [d[VERSION_FIELD] for d in details] == ["2.0", PREVIOUS]
    # ... one event (one id), each copy naming the other's version so a consumer can skip it
    assert {d["eventId"] for d in details} == {record.event_id}
    assert [d[ALSO_PUBLISHED_AS_FIELD] for d in details] == [[PREVIOUS], ["2.0"]]
    # ... and the older copy in the older major's committed shape
    assert details[1]["data"]["totalAmount"] == 3499 and "total" not in details[1]["data"]
    schema = json.loads((SCHEMA_ROOT / "OrderPlaced" / f"{PREVIOUS}.json").read_text())
    jsonschema.Draft4Validator(schema).validate(details[1])


def _put_result(*accepted: bool) -> dict[str, Any]:
    return {
        "FailedEntryCount": accepted.count(False),
        "Entries": [
            {"EventId": f"bus-{i}"} if ok else {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
            for i, ok in enumerate(accepted)
        ],
    }


def test_a_record_is_published_only_when_the_bus_took_every_copy(
    store: InMemoryOrderStore, order_placed_2: Superseded
) -> None:
    # Given a claimed 2.0 record whose 1.x copy the bus kept refusing until the attempts ran out
    record = _record_in_2_0()
    (batch,) = _claimed(store, record).batches
    retry = select_failed_entries(
        FailedEntriesRequest.model_validate(
            {**batch.model_dump(), "attempt": 5, "putResult": _put_result(True, False)}
        ),
        RetrySettings(max_publish_attempts=5),
    )
    # Then only the refused copy is retried ...
    assert [json.loads(e.detail)[VERSION_FIELD] for e in retry.entries] == [PREVIOUS]
    assert retry.exhausted
    # ... and settling releases the record to PENDING with the copy's error: it goes out again
    mark = MarkRequest.model_validate(
        {
            "claimToken": TOKEN,
            "batches": [batch.model_dump()],
            "results": [
                {
                    "failedKeys": [k.model_dump() for k in retry.keys],
                    "lastErrors": retry.model_dump()["lastErrors"],
                }
            ],
        }
    )
    outcome = settle_claims(mark, store, MarkSettings(orders_table_name="Orders"), NOW)
    assert (outcome.published, outcome.released) == (0, 1)
    released = store.record(record.key)
    assert (released.status, released.last_error_code) == ("PENDING", "InternalFailure")


def test_a_record_whose_copies_were_all_taken_is_published_once(
    store: InMemoryOrderStore, order_placed_2: Superseded
) -> None:
    record = _record_in_2_0()
    (batch,) = _claimed(store, record).batches
    mark = MarkRequest.model_validate(
        {
            "claimToken": TOKEN,
            "batches": [batch.model_dump()],
            "results": [
                {
                    "failedKeys": [],
                    "answeredKeys": [k.model_dump() for k in batch.keys],
                    "answer": _put_result(True, True),
                }
            ],
        }
    )
    outcome = settle_claims(mark, store, MarkSettings(orders_table_name="Orders"), NOW)
    assert (outcome.published, outcome.failed) == (1, 0)
    assert store.record(record.key).status == "PUBLISHED"


def test_once_the_period_has_run_out_only_the_new_major_goes_out(
    monkeypatch: pytest.MonkeyPatch, order_placed_2: Superseded
) -> None:
    ran_out = Superseded(PREVIOUS, superseded_on=NOW.date() - timedelta(days=SIDE_BY_SIDE_DAYS))
    monkeypatch.setitem(versions.PUBLISHED_BESIDE, "OrderPlaced", (ran_out,))
    entries = bus_entries(_record_in_2_0(), source="s", event_bus_name="b", today=NOW.date())
    (only,) = [json.loads(entry.detail) for entry in entries]
    assert only[VERSION_FIELD] == "2.0" and ALSO_PUBLISHED_AS_FIELD not in only
    # (the day before, it still went out twice)
    assert (
        len(
            bus_entries(
                _record_in_2_0(),
                source="s",
                event_bus_name="b",
                today=ran_out.published_until - timedelta(days=1),
            )
        )
        == 2
    )


def test_a_record_written_in_the_old_major_goes_out_in_its_own_version_only(
    order_placed_2: Superseded,
) -> None:
    # Given a record written before 2.0 shipped, published after (nothing makes 2.0 from 1.x)
    record = _record_in_2_0().model_copy(update={"event_version": PREVIOUS})
    entries = bus_entries(record, source="s", event_bus_name="b", today=NOW.date())
    assert [json.loads(e.detail)[VERSION_FIELD] for e in entries] == [PREVIOUS]


def test_a_superseded_major_without_its_downgrade_or_schema_is_refused(
    monkeypatch: pytest.MonkeyPatch, order_placed_2: Superseded
) -> None:
    # Given the staged 2.0 is fine as it is
    assert side_by_side_problems() == []
    # When its downgrade is forgotten, and a major never committed is published beside it
    monkeypatch.delitem(versions.DOWNGRADES, ("OrderPlaced", PREVIOUS))
    monkeypatch.setitem(
        versions.PUBLISHED_BESIDE, "OrderPlaced", (order_placed_2, Superseded("0.9", date(2026, 11, 1)))
    )
    # Then the schema check (CI's) names both, and the publisher cannot make the copy
    assert side_by_side_problems() == [
        f"OrderPlaced {PREVIOUS} is published side by side without a downgrade",
        "OrderPlaced 0.9 is published side by side but has no committed schema",
        "OrderPlaced 0.9 is published side by side without a downgrade",
    ]
    with pytest.raises(
        MissingDowngrade, match=re.escape(f"OrderPlaced {PREVIOUS} is published side by side")
    ):
        bus_entries(_record_in_2_0(), source="s", event_bus_name="b", today=NOW.date())


def test_the_versions_an_event_goes_out_in(order_placed_2: Superseded) -> None:
    today = NOW.date()
    assert published_versions("OrderPlaced", "2.0", today) == ("2.0", PREVIOUS)
    assert published_versions("OrderConfirmed", "1.1", today) == ("1.1",)
    assert published_versions("OrderPlaced", "2.0", order_placed_2.published_until) == ("2.0",)


def test_a_claim_goes_out_once_per_version_while_its_major_is_superseded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given ClaimCheckIssued 2.0 (its claim id renamed) published beside its predecessor
    previous = versions.PUBLISHED[CLAIM_CHECK_ISSUED]
    monkeypatch.setitem(versions.PUBLISHED, CLAIM_CHECK_ISSUED, "2.0")
    monkeypatch.setitem(versions.PUBLISHED_BESIDE, CLAIM_CHECK_ISSUED, (Superseded(previous, NOW.date()),))
    monkeypatch.setitem(versions.DOWNGRADES, (CLAIM_CHECK_ISSUED, previous), lambda d: {**d, "legacy": True})
    claim = ClaimCheckIssued.model_validate(
        {
            "claimId": "00000000-0000-5000-8000-0000000c1a10",
            "bucket": "payloads",
            "key": "intake/a.jsonl",
            "versionId": "v-1",
            "size": 12,
            "sha256": "0" * 64,
            "contentType": "application/x-ndjson",
            "producer": "partner-7",
            "door": "bucket",
            "manifestKey": "manifests/a.json",
            "ranges": 1,
            "createdAt": "2026-11-23T10:00:00.123Z",
            "expiresAt": 1900000000,
            "eventVersion": "2.0",
        }
    )
    # When its details are built
    details = ClaimCheckIssued.details(claim, today=NOW.date())
    # Then there is one per version, the older made by the downgrade, each naming the other
    assert [(d[VERSION_FIELD], d[ALSO_PUBLISHED_AS_FIELD], d.get("legacy")) for d in details] == [
        ("2.0", [previous], None),
        (previous, ["2.0"], True),
    ]
    assert {d["claimId"] for d in details} == {claim.claim_id}


# --- the consumers --------------------------------------------------------------------------------


def test_a_consumer_skips_a_copy_in_a_major_it_does_not_read_when_one_it_reads_was_published() -> None:
    with pytest.raises(ReadInAnotherMajor, match=re.escape("OrderPlaced 2.0 is also published as 1.1")):
        accepted_version("OrderPlaced", "2.0", ["1.1"])
    # a copy in its own major is read, whatever else it names
    assert accepted_version("OrderPlaced", "1.1", ["2.0"]) == "1.1"


@pytest.mark.parametrize("named", [None, [], ["3.0"], "1.1", [1], ["1"]])
def test_a_copy_that_names_no_readable_version_is_still_refused_and_parked(named: Any) -> None:
    with pytest.raises(UnsupportedEventVersion):
        accepted_version("OrderPlaced", "2.0", named)


def test_the_saga_skips_the_new_major_copy_and_reads_the_old_one() -> None:
    def batch(version: str, also: list[str], data: dict[str, Any]) -> list[dict[str, Any]]:
        detail = {
            "eventId": f"event-{ORDER_ID}",
            "eventType": "OrderPlaced",
            VERSION_FIELD: version,
            ALSO_PUBLISHED_AS_FIELD: also,
            "aggregateType": "Order",
            "aggregateId": ORDER_ID,
            "sequence": 1,
            "occurredAt": "2026-11-23T10:00:00.123Z",
            "data": data,
        }
        return [sqs_record(json.dumps(bus_event("OrderPlaced", detail)))]

    new = _record_in_2_0()
    data_2_0 = json.loads(new.detail)
    with pytest.raises(ReadInAnotherMajor):
        parse_order_placed(batch("2.0", [PREVIOUS], data_2_0))
    order = parse_order_placed(batch(PREVIOUS, ["2.0"], _to_previous(data_2_0)))
    assert (order.order_id, order.total_amount, order.currency) == (ORDER_ID, 3499, "EUR")


def test_the_claim_resolve_skips_the_copy_in_a_major_it_does_not_read() -> None:
    claim_id = "00000000-0000-5000-8000-0000000c1a10"

    def batch(version: str, also: list[str]) -> list[dict[str, Any]]:
        detail = {"claimId": claim_id, VERSION_FIELD: version, ALSO_PUBLISHED_AS_FIELD: also}
        return [sqs_record(json.dumps(bus_event("ClaimCheckIssued", detail)), "m-1")]

    with pytest.raises(ReadInAnotherMajor):
        claim_id_of(batch("2.0", ["1.1"]))
    assert claim_id_of(batch("1.1", ["2.0"])) == claim_id
