"""The two time formats the table uses.

``createdAt``-style attributes are ISO-8601 UTC strings with millisecond precision and a ``Z``
suffix, so they sort lexicographically in the PendingOutbox index; TTL and lease attributes are
epoch seconds because that is what DynamoDB TTL and simple numeric conditions need.
"""

from datetime import UTC, datetime


def iso_timestamp(moment: datetime) -> str:
    """Render ``moment`` as ``2026-11-23T10:00:00.123Z`` (fixed width, so string order is time order)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_seconds(moment: datetime) -> int:
    """Whole epoch seconds, the unit of DynamoDB TTL and of claim leases."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return int(moment.timestamp())
