"""Reading the records a pipe hands a workflow (always a JSON array of records).

Records are read by Powertools' parser models (``DynamoDBStreamRecordModel``,
``SqsRecordModel``), through a ``TypeAdapter`` of a list: a pipe hands over a bare array, not
Lambda's ``Records`` envelope. The stream model also deserializes each record's keys and images
(numbers as Decimals, binary as bytes). A batch that does not fit raises the reading package's
own named error, which its state machine catches and never retries.
"""

from typing import Any

import pydantic_core
from aws_lambda_powertools.utilities.parser.models.dynamodb import DynamoDBStreamRecordModel
from aws_lambda_powertools.utilities.parser.models.event_bridge import EventBridgeModel
from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel
from pydantic import TypeAdapter, ValidationError

_STREAM_BATCH = TypeAdapter(list[DynamoDBStreamRecordModel])
_SQS_BATCH = TypeAdapter(list[SqsRecordModel])
_MAX_PROBLEMS = 5


def problems(error: ValidationError) -> str:
    """A validation error as one line: each invalid field's location and why (the first few)."""
    details = error.errors(include_url=False)
    text = "; ".join(
        f"{'.'.join(str(part) for part in detail['loc']) or 'value'}: {detail['msg']}"
        for detail in details[:_MAX_PROBLEMS]
    )
    more = len(details) - _MAX_PROBLEMS
    return f"{text}; and {more} more" if more > 0 else text


def stream_batch(records: Any, invalid: type[Exception]) -> list[DynamoDBStreamRecordModel]:
    """A pipe's batch of DynamoDB stream records, images deserialized; `invalid` when it is not
    one (naming the record and the field)."""
    try:
        return _STREAM_BATCH.validate_python(records)
    except ValidationError as error:
        raise invalid(f"not a batch of DynamoDB stream records: {problems(error)}") from error
    except (TypeError, KeyError, ArithmeticError) as error:  # the image deserializer's own refusals
        raise invalid(f"a stream record's keys or images are not DynamoDB JSON: {error}") from error


def one_sqs_record(records: Any, invalid: type[Exception]) -> SqsRecordModel:
    """The one SQS record of a pipe batch (the pipes that start workflows hand over one message
    at a time); `invalid` when the batch is not exactly one SQS record."""
    if not isinstance(records, list) or len(records) != 1:
        count = len(records) if isinstance(records, list) else "no"
        raise invalid(f"expected a batch of exactly one SQS record, got {count} records")
    try:
        (record,) = _SQS_BATCH.validate_python(records)
    except ValidationError as error:
        raise invalid(f"not an SQS record: {problems(error)}") from error
    return record


def bus_event_in(record: SqsRecordModel, invalid: type[Exception]) -> EventBridgeModel:
    """The EventBridge event a rule put on the queue (the record's body), read by Powertools'
    model; `invalid` when the body is not one."""
    try:
        # RFC 8259 JSON only: NaN and Infinity are not JSON, whatever Python's parser accepts
        document = pydantic_core.from_json(
            record.body if isinstance(record.body, str) else "", allow_inf_nan=False
        )
    except ValueError as error:
        raise invalid("the record body is not JSON") from error
    if not isinstance(document, dict):
        raise invalid("the record body is not a JSON object")
    try:
        return EventBridgeModel.model_validate(document)
    except ValidationError as error:
        raise invalid(f"the record body is not an EventBridge event: {problems(error)}") from error


def message_attribute(record: SqsRecordModel, name: str) -> str | None:
    """A message attribute's string value; None when the message has no such attribute."""
    attribute = record.messageAttributes.get(name)
    return None if attribute is None else attribute.stringValue
