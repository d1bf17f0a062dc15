"""Pipe batches of DynamoDB stream records → outbox keys."""

import pytest

from outbox_publisher.errors import InvalidOutboxInput
from outbox_publisher.stream_records import outbox_keys_from_stream
from tests.unit.samples import outbox_record, outbox_stream_record, stream_record


def test_keys_come_from_outbox_images_in_stream_order() -> None:
    # Given a batch with two new outbox records
    first, second = outbox_record("o-1"), outbox_record("o-2")
    # When keys are extracted
    keys = outbox_keys_from_stream([outbox_stream_record(first), outbox_stream_record(second)])
    # Then each key names its record, in the order the stream delivered them
    assert keys == [first.key, second.key]


def test_order_items_removals_and_published_records_are_ignored() -> None:
    # Given an order item, a TTL removal without image, a published record and a pending one
    pending = outbox_record("o-3")
    published = outbox_record("o-4").model_copy(update={"status": "PUBLISHED", "pending_shard": None})
    order_item = stream_record({"pk": "ORDER#o-3", "sk": "ORDER", "recordType": "ORDER", "orderId": "o-3"})
    removal = outbox_stream_record(outbox_record("o-5"), "REMOVE")
    del removal["dynamodb"]["NewImage"]
    # When keys are extracted
    keys = outbox_keys_from_stream(
        [order_item, removal, outbox_stream_record(published), outbox_stream_record(pending)]
    )
    # Then only the pending outbox record remains
    assert keys == [pending.key]


def test_an_outbox_image_without_its_event_id_is_a_contract_break() -> None:
    # Given an outbox image that lost its eventId
    broken = outbox_stream_record(outbox_record("o-6"))
    del broken["dynamodb"]["NewImage"]["eventId"]
    # When / Then the batch is refused by name
    with pytest.raises(InvalidOutboxInput, match="without pk/sk/eventId"):
        outbox_keys_from_stream([broken])


def test_a_malformed_attribute_value_is_a_contract_break() -> None:
    # Given an image whose attribute value has no type descriptor
    broken = outbox_stream_record(outbox_record("o-7"))
    broken["dynamodb"]["NewImage"]["pk"] = {"NOPE": "x"}
    # When / Then the batch is refused by name
    with pytest.raises(InvalidOutboxInput, match="not DynamoDB JSON"):
        outbox_keys_from_stream([broken])
