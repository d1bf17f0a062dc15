"""Event versions: what the platform publishes now, and what each consumer accepts.

A version is ``MAJOR.MINOR``. Adding an optional field is a minor version: a consumer of the
same major reads it unchanged (every model here ignores fields it does not know). Anything else
(a field removed, renamed, retyped or made required) is a major version, published side by side
with the previous major for `SIDE_BY_SIDE_DAYS`, so consumers move over in their own time.
`operations.event_schemas` refuses a schema change that breaks a major without moving it.

Events published before versioning carry no version: they are `UNVERSIONED` ("1.0", the shape
they had), so an archive's old events replay into today's consumers.
"""

import re

VERSION_FIELD = "eventVersion"
"""Where an event carries its version: a field of the envelope (of the detail, for a claim)."""

UNVERSIONED = "1.0"

PUBLISHED: dict[str, str] = {
    "OrderPlaced": "1.0",
    "OrderConfirmed": "1.0",
    "OrderCancelled": "1.0",
    "ClaimCheckIssued": "1.0",
}
"""The version of each event the platform publishes now."""

ACCEPTED_MAJORS: dict[str, frozenset[int]] = {
    "OrderPlaced": frozenset({1}),
    "ClaimCheckIssued": frozenset({1}),
}
"""The majors each consumed event is read in (the saga reads OrderPlaced, the claim resolve
ClaimCheckIssued). A new major is added here before it is published, and the old one removed
only after `SIDE_BY_SIDE_DAYS`."""

SIDE_BY_SIDE_DAYS = 90
"""How long a superseded major is still published beside its successor."""

_VERSION = re.compile(r"^(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})$")


class UnsupportedEventVersion(Exception):
    """An event in a version this consumer does not read (another major, or not MAJOR.MINOR).

    A consumer raises it before doing anything; its workflow parks the message whole, so it can
    be redriven once a consumer that reads the version is deployed."""


class UndeclaredEvent(ValueError):
    """An event type with no contract: it cannot be written to the outbox or published."""


def published_version(event_type: str) -> str:
    """The version an event is published in now; UndeclaredEvent when it has no contract."""
    try:
        return PUBLISHED[event_type]
    except KeyError:
        raise UndeclaredEvent(
            f"{event_type} has no contract: declare its version in event_contracts.versions.PUBLISHED"
            " and its model for operations.event_schemas"
        ) from None


def major_of(version: str) -> int:
    """The major of a ``MAJOR.MINOR`` version; ValueError when it is not one."""
    found = _VERSION.fullmatch(version)
    if found is None:
        raise ValueError(f"{version!r} is not a MAJOR.MINOR version")
    return int(found.group(1))


def accepted_version(event_type: str, version: object) -> str:
    """The event's version when its consumer reads it (absent: `UNVERSIONED`); else
    UnsupportedEventVersion naming the version and what is read."""
    majors = ACCEPTED_MAJORS.get(event_type, frozenset())
    stated = UNVERSIONED if version is None else version
    readable = ", ".join(f"{m}.x" for m in sorted(majors)) or "none"
    if not isinstance(stated, str) or _VERSION.fullmatch(stated) is None:
        raise UnsupportedEventVersion(
            f"{event_type} {VERSION_FIELD} {stated!r} is not a MAJOR.MINOR version"
            f" (this consumer reads {readable})"
        )
    if major_of(stated) not in majors:
        raise UnsupportedEventVersion(
            f"{event_type} {VERSION_FIELD} {stated} is not read by this consumer (it reads {readable})"
        )
    return stated
