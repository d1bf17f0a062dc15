"""Outbox keys from a pipe batch of DynamoDB stream records.

Only outbox images that are not yet published are of interest; the pipe's filter should
already guarantee that, but the table also streams order items, and a broader filter must not
make us claim the wrong items.
"""

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from order_store.keys import OUTBOX_RECORD_TYPE
from order_store.models import OutboxKey
from outbox_publisher.errors import InvalidOutboxInput
from task_io.pipe_records import stream_batch


def outbox_keys_from_stream(records: Sequence[Any]) -> list[OutboxKey]:
    """Keys of the unpublished outbox records in ``records``, in stream order.

    Records without a NewImage (e.g. TTL removals), non-outbox items and already published
    records are ignored; an outbox image without its key attributes is a contract break.
    """
    keys: list[OutboxKey] = []
    for record in stream_batch(records, InvalidOutboxInput):
        image = record.dynamodb.NewImage
        if (
            not isinstance(image, dict)
            or image.get("recordType") != OUTBOX_RECORD_TYPE
            or image.get("status") == "PUBLISHED"
        ):
            continue
        try:
            keys.append(OutboxKey(pk=image.get("pk"), sk=image.get("sk"), event_id=image.get("eventId")))
        except ValidationError as error:
            raise InvalidOutboxInput(
                f"stream record {record.eventID} is an outbox image without pk/sk/eventId"
            ) from error
    return keys
