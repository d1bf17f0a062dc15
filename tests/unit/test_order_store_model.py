"""Order store models, keys, timestamps and event building."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from event_contracts.versions import PUBLISHED, UNVERSIONED, UndeclaredEvent
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from order_store.countries import ISO_3166_ALPHA2
from order_store.events import bus_entry, entry_size, new_order_event, order_placed_data
from order_store.keys import order_pk, outbox_sk, pending_shard, pending_shards
from order_store.models import Order, OrderLine, ShippingAddress, order_total
from order_store.timestamps import epoch_seconds, iso_timestamp
from tests.unit.samples import NOW, outbox_record

ADDRESS = ShippingAddress(
    name="Ada Lovelace", line1="12 Example Street", city="Berlin", postal_code="10115", country="DE"
)

lines = st.lists(
    st.builds(
        # a lambda, because builds() would also fill the aliases it sees in the model's signature
        lambda sku, quantity, unit_price: OrderLine(sku=sku, quantity=quantity, unit_price=unit_price),
        sku=st.from_regex(r"[A-Z][A-Z0-9-]{0,10}", fullmatch=True),
        quantity=st.integers(min_value=1, max_value=1_000_000),
        unit_price=st.integers(min_value=0, max_value=100_000_000),
    ),
    min_size=1,
    max_size=50,
)


def _order(items: list[OrderLine], total: int | None = None) -> Order:
    return Order(
        order_id="order-1",
        customer_id="customer-1",
        items=items,
        currency="EUR",
        total_amount=order_total(items) if total is None else total,
        shipping_address=ADDRESS,
        status="PLACED",
        created_at=iso_timestamp(NOW),
        idempotency_key="key",
        request_hash="hash",
        outbox_sequence=1,
    )


@given(lines)
def test_order_total_is_the_sum_of_line_amounts_and_stays_a_safe_json_integer(items: list[OrderLine]) -> None:
    # Given any valid lines
    # When an order is built from them
    order = _order(items)
    # Then its total is the sum of quantity * unitPrice, exactly representable in any JSON reader
    assert order.total_amount == sum(line.quantity * line.unit_price for line in items)
    assert order.total_amount < 2**53


def test_an_order_whose_total_disagrees_with_its_lines_is_rejected() -> None:
    # Given lines worth 2 * 100
    items = [OrderLine(sku="A", quantity=2, unit_price=100)]
    # When an order claims another total
    # Then the model refuses it
    with pytest.raises(ValidationError, match="totalAmount"):
        _order(items, total=199)


@pytest.mark.parametrize("country", ["DE", "US", "JP", "BR"])
def test_assigned_country_codes_are_accepted(country: str) -> None:
    # Given / When an address in an assigned country / Then it validates
    assert ShippingAddress.model_validate({**ADDRESS.model_dump(), "country": country}).country == country


@pytest.mark.parametrize("country", ["XX", "de", "DEU", "UK", ""])
def test_unassigned_or_malformed_country_codes_are_rejected(country: str) -> None:
    # Given / When an address with a code that is not an assigned alpha-2 code / Then it fails
    with pytest.raises(ValidationError):
        ShippingAddress.model_validate({**ADDRESS.model_dump(), "country": country})


def test_the_country_list_is_the_249_assigned_codes() -> None:
    # Given the embedded list / Then it has ISO 3166-1's 249 entries, all two capital letters
    assert len(ISO_3166_ALPHA2) == 249
    assert all(len(code) == 2 and code.isupper() for code in ISO_3166_ALPHA2)


def test_models_speak_camel_case_on_the_wire() -> None:
    # Given an order line / When it is dumped / Then the attribute names are the table's and the API's
    assert OrderLine(sku="A", quantity=1, unit_price=5).model_dump() == {
        "sku": "A",
        "quantity": 1,
        "unitPrice": 5,
    }


def test_keys_follow_the_table_layout() -> None:
    # Given / When keys are built / Then they follow the documented layout
    assert order_pk("abc") == "ORDER#abc"
    assert outbox_sk(7) == "OUTBOX#0000000007"
    assert pending_shards() == ("PENDING#0", "PENDING#1", "PENDING#2", "PENDING#3")


@pytest.mark.parametrize("sequence", [0, -1, 10**10])
def test_outbox_sequence_outside_the_padded_range_is_refused(sequence: int) -> None:
    # Given a sequence that cannot be zero-padded to 10 digits / Then no key is built
    with pytest.raises(ValueError, match="out of range"):
        outbox_sk(sequence)


@given(st.integers(min_value=1, max_value=10**10 - 2))
def test_outbox_sort_keys_sort_like_their_sequences(sequence: int) -> None:
    # Given two consecutive sequences / Then their sort keys compare the same way
    assert outbox_sk(sequence) < outbox_sk(sequence + 1)


@given(st.text(min_size=1))
def test_pending_shard_is_stable_and_one_of_the_shards(aggregate_id: str) -> None:
    # Given any aggregate id / When its shard is computed twice / Then it is the same, known shard
    assert pending_shard(aggregate_id) == pending_shard(aggregate_id)
    assert pending_shard(aggregate_id) in pending_shards()


def test_timestamps_are_fixed_width_utc_with_milliseconds() -> None:
    # Given a time in another zone
    moment = datetime(2026, 1, 2, 5, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))
    # When rendered / Then it is UTC, millisecond precision, with a Z
    assert iso_timestamp(moment) == "2026-01-02T03:04:05.678Z"
    assert iso_timestamp(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00.000Z"
    assert epoch_seconds(datetime(1970, 1, 1, 0, 1, tzinfo=UTC)) == 60


def test_naive_timestamps_are_refused() -> None:
    # Given a time without zone / Then it cannot be stored ambiguously
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_timestamp(datetime(2026, 1, 1))


def test_order_placed_carries_business_facts_and_no_personal_data() -> None:
    # Given an order with a name and street address
    order = _order([OrderLine(sku="SKU-1", quantity=2, unit_price=1250)])
    # When its OrderPlaced facts are built
    data = order_placed_data(order)
    # Then they hold ids, amounts, lines and the destination country only
    assert data == {
        "orderId": "order-1",
        "customerId": "customer-1",
        "currency": "EUR",
        "totalAmount": 2500,
        "items": [{"sku": "SKU-1", "quantity": 2, "unitPrice": 1250}],
        "destinationCountry": "DE",
    }
    text = json.dumps(data)
    assert "Ada" not in text and "Example Street" not in text and "Berlin" not in text


def test_a_new_order_event_is_pending_and_in_the_sparse_index() -> None:
    # Given / When the second event of an order is built
    record = new_order_event(
        order_id="o-1",
        sequence=2,
        event_type="OrderConfirmed",
        data={"b": 1, "a": 2},
        now=NOW,
        event_id="e-1",
    )
    # Then it sits next to the order, in sequence order, pending, in the order's shard
    assert (record.pk, record.sk) == ("ORDER#o-1", "OUTBOX#0000000002")
    assert record.status == "PENDING" and record.attempts == 0
    assert record.pending_shard == pending_shard("o-1")
    assert record.aggregate_type == "Order" and record.aggregate_id == "o-1"
    assert record.created_at == "2026-11-23T10:00:00.123Z"
    assert json.loads(record.detail) == {"a": 2, "b": 1}
    # and it is stamped with the version of its event's contract the data follows
    assert record.event_version == PUBLISHED["OrderConfirmed"]


def test_an_event_without_a_contract_is_never_written() -> None:
    with pytest.raises(UndeclaredEvent, match="OrderNoted has no contract"):
        new_order_event(order_id="o-1", sequence=2, event_type="OrderNoted", data={}, now=NOW, event_id="e")


def test_a_record_written_before_versioning_is_published_as_the_first_version() -> None:
    record = outbox_record("o-9", 3, totalAmount=10).model_copy(update={"event_version": None})
    detail = json.loads(bus_entry(record, source="s", event_bus_name="b").detail)
    assert detail["eventVersion"] == UNVERSIONED == "1.0"


def test_bus_entry_wraps_the_facts_in_an_envelope_consumers_can_deduplicate() -> None:
    # Given an outbox record
    record = outbox_record("o-9", 3, totalAmount=10)
    # When it becomes a PutEvents entry
    entry = bus_entry(record, source="order-platform.orders", event_bus_name="orders-bus").model_dump()
    # Then the entry uses the API's names and the detail is the documented envelope
    assert set(entry) == {"Source", "DetailType", "Detail", "EventBusName"}
    assert entry["Source"] == "order-platform.orders"
    assert entry["DetailType"] == "OrderPlaced"
    assert entry["EventBusName"] == "orders-bus"
    assert json.loads(entry["Detail"]) == {
        "eventId": "event-o-9-3",
        "eventType": "OrderPlaced",
        "eventVersion": "1.1",  # 1.1: the envelope may name its side-by-side copies
        "aggregateType": "Order",
        "aggregateId": "o-9",
        "sequence": 3,
        "occurredAt": record.created_at,
        "data": {"orderId": "o-9", "totalAmount": 10},
    }


def test_entry_size_counts_utf8_bytes_of_source_detail_type_and_detail() -> None:
    # Given an entry with multi-byte characters in its detail
    entry = bus_entry(outbox_record("o-1", note="é€"), source="src", event_bus_name="a-very-long-bus-name")
    # When sized / Then the bus name is not counted and characters count as their UTF-8 bytes
    expected = len(b"src") + len(b"OrderPlaced") + len(entry.detail.encode("utf-8"))
    assert entry_size(entry) == expected
