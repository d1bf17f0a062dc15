"""Event versions: what the platform publishes now, and what each consumer accepts.

A version is ``MAJOR.MINOR``. Adding an optional field is a minor version: a consumer of the
same major reads it unchanged (every model here ignores fields it does not know). Anything else
(a field removed, renamed, retyped or made required) is a major version, published side by side
with the previous major for `SIDE_BY_SIDE_DAYS`, so consumers move over in their own time.
`operations.event_schemas` refuses a schema change that breaks a major without moving it.

Side by side, one event goes on the bus once per version: the new major as written, and each
superseded major still in its period (`PUBLISHED_BESIDE`) made from it by the event's
`DOWNGRADES` entry. Every copy has the same event id and names the other versions in
`ALSO_PUBLISHED_AS_FIELD`, so a consumer reads the copy in a major it knows and ends the others
as `ReadInAnotherMajor` (never parked: the same event reaches it in its own major).

Events published before versioning carry no version: they are `UNVERSIONED` ("1.0", the shape
they had), so an archive's old events replay into today's consumers.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

VERSION_FIELD = "eventVersion"
"""Where an event carries its version: a field of the envelope (of the detail, for a claim)."""

UNVERSIONED = "1.0"

PUBLISHED: dict[str, str] = {
    "OrderPlaced": "1.1",
    "OrderConfirmed": "1.1",
    "OrderCancelled": "1.1",
    "ClaimCheckIssued": "1.1",
}
"""The version of each event the platform publishes now (1.1 added the optional
`ALSO_PUBLISHED_AS_FIELD` to every envelope)."""

ACCEPTED_MAJORS: dict[str, frozenset[int]] = {
    "OrderPlaced": frozenset({1}),
    "ClaimCheckIssued": frozenset({1}),
}
"""The majors each consumed event is read in (the saga reads OrderPlaced, the claim resolve
ClaimCheckIssued). A new major is added here before it is published, and the old one removed
only after `SIDE_BY_SIDE_DAYS`."""

SIDE_BY_SIDE_DAYS = 90
"""How long a superseded major is still published beside its successor."""

ALSO_PUBLISHED_AS_FIELD = "alsoPublishedAs"
"""Where a copy published side by side lists the other versions the same event went out in."""


@dataclass(frozen=True)
class Superseded:
    """A major still published beside its successor: its last version, and the day the successor
    was first published (its period runs `SIDE_BY_SIDE_DAYS` from then)."""

    version: str
    superseded_on: date

    @property
    def published_until(self) -> date:
        return self.superseded_on + timedelta(days=SIDE_BY_SIDE_DAYS)


PUBLISHED_BESIDE: dict[str, tuple[Superseded, ...]] = {}
"""The superseded majors of each event still published beside `PUBLISHED` (none today: no
event has had a breaking change). Publishing a major ``N+1`` adds ``N``'s last version here,
with its downgrade in `DOWNGRADES`; an entry whose period has run out publishes nothing and
is then removed."""

Downgrade = Callable[[Mapping[str, Any]], dict[str, Any]]
"""Makes an event's payload in an older major from its payload in the current one (for an
order event its ``data``, for a claim its detail without the envelope fields)."""

DOWNGRADES: dict[tuple[str, str], Downgrade] = {}
"""``(event type, superseded version)`` -> its `Downgrade`, for every `PUBLISHED_BESIDE` entry."""

_VERSION = re.compile(r"^(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})$")


class UnsupportedEventVersion(Exception):
    """An event in a version this consumer does not read (another major, or not MAJOR.MINOR).

    A consumer raises it before doing anything; its workflow parks the message whole, so it can
    be redriven once a consumer that reads the version is deployed."""


class ReadInAnotherMajor(Exception):
    """This copy of an event is in a major the consumer does not read, and the same event was
    published beside it in one the consumer does read: nothing to do with this copy."""


COPIES_READ_IN_ANOTHER_MAJOR_METRIC = "EventCopiesReadInAnotherMajor"
"""The metric a consumer counts a `ReadInAnotherMajor` copy in (not a failure)."""


class MissingDowngrade(LookupError):
    """A superseded major is published beside its successor without a downgrade to make it."""


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


def published_versions(event_type: str, version: str, today: date) -> tuple[str, ...]:
    """Every version an event written in ``version`` goes out in on ``today``: ``version``
    itself, then each older major published beside it whose period has not run out.

    A record written before its successor's major (in flight when that major shipped) goes out
    in its own version only: nothing makes a newer major from an older one."""
    beside = [
        older.version
        for older in PUBLISHED_BESIDE.get(event_type, ())
        if today < older.published_until and major_of(older.version) < major_of(version)
    ]
    return (version, *beside)


def downgraded(event_type: str, payload: Mapping[str, Any], version: str) -> dict[str, Any]:
    """``payload`` (in the current major) as the superseded ``version`` spells it;
    MissingDowngrade when no downgrade is declared."""
    try:
        downgrade = DOWNGRADES[(event_type, version)]
    except KeyError:
        raise MissingDowngrade(
            f"{event_type} {version} is published side by side without a downgrade: declare it in"
            " event_contracts.versions.DOWNGRADES"
        ) from None
    return downgrade(payload)


def _also_published_as(value: object) -> list[str]:
    """The versions a copy names in `ALSO_PUBLISHED_AS_FIELD`; anything malformed names none."""
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and _VERSION.fullmatch(v)]


def accepted_version(event_type: str, version: object, also_published_as: object = None) -> str:
    """The event's version when its consumer reads it (absent: `UNVERSIONED`); ReadInAnotherMajor
    when it does not but the event says it went out in a major it does; else
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
        readable_copies = [v for v in _also_published_as(also_published_as) if major_of(v) in majors]
        if readable_copies:
            raise ReadInAnotherMajor(
                f"{event_type} {stated} is also published as {', '.join(readable_copies)},"
                " the copy this consumer reads"
            )
        raise UnsupportedEventVersion(
            f"{event_type} {VERSION_FIELD} {stated} is not read by this consumer (it reads {readable})"
        )
    return stated
