"""What changed in an account: the stream record read, the images diffed.

The pipe delivers DynamoDB stream records (NEW_AND_OLD_IMAGES) in DynamoDB JSON, every
attribute type included. They are read by Powertools' parser model, which deserializes the
images (sets stay sets, numbers are Decimals, binary is bytes, maps nest), and each configured
attribute path (``address`` or ``mfa.totp``) is compared between the two: added, removed or
changed. Only the configured
security-relevant paths are reported; a change anywhere inside a nested map changes its path.

A person starting the workflow by hand gives the change in plain JSON instead
(``sample_events/account_change_notification.json``): ``eventId`` (the idempotency key a stream
record's eventID is), ``changedAt`` (ISO 8601 with its offset), ``oldImage`` and ``newImage``.
Numbers become Decimals as the deserializer makes them, so both forms diff the same way and meet
the same checks (one sub in both images, an event id, a time).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from account_notification.errors import InvalidAccountChange
from task_io.pipe_records import stream_batch

ChangeKind = Literal["ADDED", "REMOVED", "CHANGED"]
MAX_SHOWN_LENGTH = 200
"""A shown value is cut here: a notice names the change, it does not dump the record."""

_MISSING = object()


@dataclass(frozen=True)
class AttributeChange:
    """One changed security-relevant attribute. ``shown`` is the new value as the notice may show
    it; None for a secret attribute (never shown) or a removed one."""

    path: str
    kind: ChangeKind
    secret: bool
    shown: str | None


@dataclass(frozen=True)
class AccountChange:
    """A MODIFY of one account: its stream event id (the idempotency key), the Cognito sub, when
    it happened, and the security-relevant attributes that changed."""

    event_id: str
    sub: str
    changed_at: str
    changes: tuple[AttributeChange, ...]


def _stream_change(records: Any) -> tuple[str, dict[str, Any], dict[str, Any], str]:
    """The event id, old and new images and time of the one MODIFY record of a pipe batch (the
    pipe's batch size is 1)."""
    if not isinstance(records, list) or len(records) != 1:
        raise InvalidAccountChange(
            "expected an account change (eventId, changedAt, oldImage, newImage) or a batch of exactly"
            " one stream record"
        )
    (record,) = stream_batch(records, InvalidAccountChange)
    if record.eventName != "MODIFY":
        raise InvalidAccountChange(f"eventName is {record.eventName!r}, expected 'MODIFY'")
    if not record.eventID:
        raise InvalidAccountChange("the record has no eventID")
    change = record.dynamodb
    if not isinstance(change.OldImage, dict):
        raise InvalidAccountChange("the record has no OldImage")
    if not isinstance(change.NewImage, dict):
        raise InvalidAccountChange("the record has no NewImage")
    if change.ApproximateCreationDateTime is None:
        raise InvalidAccountChange("the record has no ApproximateCreationDateTime")
    changed_at = change.ApproximateCreationDateTime.astimezone(UTC).isoformat(timespec="seconds")
    return record.eventID, change.OldImage, change.NewImage, changed_at


def _sub(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    sub = new.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise InvalidAccountChange("the new image has no sub string")
    if old.get("sub") != sub:
        raise InvalidAccountChange("the sub differs between the old and the new image")
    return sub


def value_at(image: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or the missing marker."""
    current: Any = image
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def shown(value: Any) -> str:
    """A value as a person reads it: maps as ``key: value`` pairs, sets sorted, numbers plain."""
    if isinstance(value, Mapping):
        text = ", ".join(f"{key}: {shown(item)}" for key, item in sorted(value.items()))
    elif isinstance(value, set | frozenset):
        text = ", ".join(sorted(shown(item) for item in value))
    elif isinstance(value, list | tuple):
        text = ", ".join(shown(item) for item in value)
    elif isinstance(value, bytes | bytearray):
        text = "(binary)"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, Decimal):
        text = format(value.normalize(), "f")
    elif value is None:
        text = "(none)"
    else:
        text = str(value)
    return text if len(text) <= MAX_SHOWN_LENGTH else text[: MAX_SHOWN_LENGTH - 1] + "…"


def diff_images(
    old: Mapping[str, Any], new: Mapping[str, Any], security: Sequence[str], secret: Sequence[str]
) -> tuple[AttributeChange, ...]:
    """The security-relevant paths whose value differs, in the configured order."""
    secrets = set(secret)
    changes: list[AttributeChange] = []
    for path in dict.fromkeys(security):
        before, after = value_at(old, path), value_at(new, path)
        if before == after:
            continue
        kind: ChangeKind = "ADDED" if before is _MISSING else "REMOVED" if after is _MISSING else "CHANGED"
        is_secret = path in secrets
        display = None if is_secret or after is _MISSING else shown(after)
        changes.append(AttributeChange(path=path, kind=kind, secret=is_secret, shown=display))
    return tuple(changes)


def _plain_values(value: Any) -> Any:
    """JSON numbers as the deserializer gives DynamoDB numbers (Decimals), maps and lists within."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {key: _plain_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_values(item) for item in value]
    raise InvalidAccountChange(f"an image holds a {type(value).__name__}, which JSON has not")


def _plain_image(change: Mapping[str, Any], name: str) -> dict[str, Any]:
    image = change.get(name)
    if not isinstance(image, Mapping):
        raise InvalidAccountChange(f"the change has no {name} object")
    plain: dict[str, Any] = _plain_values(image)
    return plain


def _plain_changed_at(change: Mapping[str, Any]) -> str:
    stamp = change.get("changedAt")
    try:
        moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidAccountChange(
            "changedAt must be an ISO 8601 time with its offset (2026-12-02T12:00:00Z)"
        )
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def account_change(records: Any, security: Sequence[str], secret: Sequence[str]) -> AccountChange:
    """Read the batch's MODIFY record (or a hand start's plain change) and diff its images.
    Raises InvalidAccountChange."""
    if isinstance(records, Mapping):
        event_id = records.get("eventId")
        if not isinstance(event_id, str) or not event_id.strip():
            raise InvalidAccountChange("the change has no eventId")
        old, new = _plain_image(records, "oldImage"), _plain_image(records, "newImage")
        changed_at = _plain_changed_at(records)
    else:
        event_id, old, new, changed_at = _stream_change(records)
    return AccountChange(
        event_id=event_id,
        sub=_sub(old, new),
        changed_at=changed_at,
        changes=diff_images(old, new, security, secret),
    )
