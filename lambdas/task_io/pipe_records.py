"""Reading the SQS records a pipe hands a workflow (always a JSON array of records)."""

from typing import Any


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
