"""The three intake doors, read from the one SQS record a pipe hands the split workflow.

(a) an object uploaded under the intake prefix: S3 sends ``Object Created`` to EventBridge, a
    rule puts the whole event on the intake queue;
(b) the Amazon SQS Extended Client pointer format, so producers using AWS's extended client
    libraries work unchanged: the body is
    ``["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName", "s3Key"}]``
    and the ``ExtendedPayloadSize`` attribute (``SQSLargePayloadSize`` in older clients) gives
    the payload's size;
(c) anything else is an inline payload: the message body is the JSON Lines text itself, which
    the workflow stores as an object before measuring it (so every payload is resolved from S3
    the same way).

Optional message attributes ``producer`` and ``contentType`` describe doors (b) and (c).
"""

import json
from dataclasses import dataclass
from typing import Any, Final

from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel

from claim_check.errors import InvalidIntakeMessage
from claim_check.models import IntakeDoor, PayloadLocation
from task_io.pipe_records import message_attribute, one_sqs_record

POINTER_CLASS: Final = "software.amazon.payloadoffloading.PayloadS3Pointer"
SIZE_ATTRIBUTES: Final = ("ExtendedPayloadSize", "SQSLargePayloadSize")
DEFAULT_CONTENT_TYPE: Final = "application/x-ndjson"
S3_SOURCE: Final = "aws.s3"
OBJECT_CREATED: Final = "Object Created"


@dataclass(frozen=True)
class Intake:
    """What one intake message hands over: where the payload is (or the inline text), who sent
    it, and the size a pointer announced (checked against the object)."""

    door: IntakeDoor
    message_id: str
    producer: str
    content_type: str
    location: PayloadLocation | None = None
    inline: str | None = None
    announced_size: int | None = None


def parse_intake(records: Any) -> Intake:
    """The intake of a pipe batch of one SQS record; InvalidIntakeMessage when it is not one."""
    record = one_sqs_record(records, InvalidIntakeMessage)
    body, message_id = record.body, record.messageId
    if not isinstance(body, str) or not message_id:
        raise InvalidIntakeMessage("the SQS record has no body or no messageId")
    producer = message_attribute(record, "producer") or "unknown"
    content_type = message_attribute(record, "contentType") or DEFAULT_CONTENT_TYPE
    document = _json_or_none(body)
    if isinstance(document, dict) and document.get("source") == S3_SOURCE:
        return _uploaded(document, message_id)
    if isinstance(document, list) and document and document[0] == POINTER_CLASS:
        return _pointer(document, record, message_id, producer, content_type)
    if not body:
        raise InvalidIntakeMessage("an inline payload must not be empty: upload an empty file instead")
    return Intake(
        door="inline", message_id=message_id, producer=producer, content_type=content_type, inline=body
    )


def _json_or_none(body: str) -> Any:
    """The body as JSON if it is one document (a JSON Lines payload of several lines is not)."""
    if not body.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _uploaded(event: dict[str, Any], message_id: str) -> Intake:
    detail = event.get("detail")
    if event.get("detail-type") != OBJECT_CREATED or not isinstance(detail, dict):
        raise InvalidIntakeMessage(f"not an S3 Object Created event: {event.get('detail-type')!r}")
    bucket = (detail.get("bucket") or {}).get("name")
    obj = detail.get("object") or {}
    key, version_id, size = obj.get("key"), obj.get("version-id"), obj.get("size")
    if not isinstance(bucket, str) or not isinstance(key, str) or not isinstance(version_id, str):
        raise InvalidIntakeMessage("the S3 event names no bucket, key and version id")
    return Intake(
        door="bucket",
        message_id=message_id,
        producer=f"s3://{bucket}",
        content_type=DEFAULT_CONTENT_TYPE,
        location=_location(bucket, key, version_id),
        announced_size=size if isinstance(size, int) else None,
    )


def _pointer(
    document: list[Any], record: SqsRecordModel, message_id: str, producer: str, content_type: str
) -> Intake:
    pointer = document[1] if len(document) == 2 else None
    if not isinstance(pointer, dict):
        raise InvalidIntakeMessage("a payload pointer must be [class, {s3BucketName, s3Key}]")
    bucket, key = pointer.get("s3BucketName"), pointer.get("s3Key")
    if not isinstance(bucket, str) or not isinstance(key, str):
        raise InvalidIntakeMessage("the payload pointer names no s3BucketName and s3Key")
    announced = next(
        (message_attribute(record, name) for name in SIZE_ATTRIBUTES if message_attribute(record, name)), None
    )
    size = None
    if announced is not None:
        if not announced.isdigit():
            raise InvalidIntakeMessage(f"ExtendedPayloadSize is not a size: {announced!r}")
        size = int(announced)
    return Intake(
        door="pointer",
        message_id=message_id,
        producer=producer,
        content_type=content_type,
        location=_location(bucket, key, None),
        announced_size=size,
    )


def _location(bucket: str, key: str, version_id: str | None) -> PayloadLocation:
    try:
        return PayloadLocation(bucket=bucket, key=key, version_id=version_id)
    except ValueError as error:
        raise InvalidIntakeMessage(f"unusable payload location: {error}") from error
