"""Outbox keys from a Pipe batch of DynamoDB stream records.

Pipes deliver records in the Lambda/stream shape (``eventName``, ``dynamodb.Keys``,
``dynamodb.NewImage``). Only outbox images that are not yet published are of interest; the
pipe's filter should already guarantee that, but the table also streams order items, and a
broader filter must not make us claim the wrong items.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from pydantic import ValidationError

from order_store.keys import OUTBOX_RECORD_TYPE
from order_store.models import OutboxKey
from outbox_publisher.errors import InvalidOutboxInput

_deserializer = TypeDeserializer()


def _new_image(record: Mapping[str, Any]) -> dict[str, Any] | None:
    stream_data = record.get("dynamodb")
    if not isinstance(stream_data, Mapping):
        return None
    image = stream_data.get("NewImage")
    if not isinstance(image, Mapping):
        return None
    try:
        return {name: _deserializer.deserialize(value) for name, value in image.items()}
    except (TypeError, ValueError, KeyError) as error:
        raise InvalidOutboxInput(f"stream record {record.get('eventID')} has a malformed NewImage") from error


def outbox_keys_from_stream(records: Sequence[Mapping[str, Any]]) -> list[OutboxKey]:
    """Keys of the unpublished outbox records in ``records``, in stream order.

    Records without a NewImage (e.g. TTL removals), non-outbox items and already published
    records are ignored; an outbox image without its key attributes is a contract break.
    """
    keys: list[OutboxKey] = []
    for record in records:
        image = _new_image(record)
        if (
            image is None
            or image.get("recordType") != OUTBOX_RECORD_TYPE
            or image.get("status") == "PUBLISHED"
        ):
            continue
        try:
            keys.append(OutboxKey(pk=image.get("pk"), sk=image.get("sk"), event_id=image.get("eventId")))
        except ValidationError as error:
            raise InvalidOutboxInput(
                f"stream record {record.get('eventID')} is an outbox image without pk/sk/eventId"
            ) from error
    return keys
