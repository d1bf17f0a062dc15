"""Reading the records a pipe hands a workflow (always a JSON array of records).

DynamoDB stream records are read by Powertools' parser model (``DynamoDBStreamRecordModel``,
through a ``TypeAdapter`` of a list: a pipe hands over a bare array, not Lambda's ``Records``
envelope), which also deserializes each record's keys and images (numbers as Decimals, binary
as bytes). A batch that does not fit raises the reading package's own named error, which its
state machine catches and never retries.
"""

from typing import Any

from aws_lambda_powertools.utilities.parser.models.dynamodb import DynamoDBStreamRecordModel
from pydantic import TypeAdapter, ValidationError

_STREAM_BATCH = TypeAdapter(list[DynamoDBStreamRecordModel])
_MAX_PROBLEMS = 5


def stream_batch(records: Any, invalid: type[Exception]) -> list[DynamoDBStreamRecordModel]:
    """A pipe's batch of DynamoDB stream records, images deserialized; `invalid` when it is not
    one (naming the record and the field)."""
    try:
        return _STREAM_BATCH.validate_python(records)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}"
            for detail in error.errors(include_url=False)[:_MAX_PROBLEMS]
        )
        raise invalid(f"not a batch of DynamoDB stream records: {problems}") from error
    except (TypeError, KeyError, ArithmeticError) as error:  # the image deserializer's own refusals
        raise invalid(f"a stream record's keys or images are not DynamoDB JSON: {error}") from error


def message_attribute(record: dict[str, Any], name: str) -> str | None:
    """A message attribute's string value, as Pipes deliver SQS records (``stringValue``); the
    SDK's spelling (``StringValue``) is accepted too. None when absent or not a string."""
    attributes = record.get("messageAttributes")
    if not isinstance(attributes, dict):
        return None
    attribute = attributes.get(name)
    if not isinstance(attribute, dict):
        return None
    value = attribute.get("stringValue", attribute.get("StringValue"))
    return value if isinstance(value, str) else None
