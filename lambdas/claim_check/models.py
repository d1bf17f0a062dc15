"""The claim, what the intake hands over, and the byte ranges the import reads in parallel."""

import uuid
from datetime import date
from typing import Any, Literal

from event_contracts.versions import (
    ALSO_PUBLISHED_AS_FIELD,
    PUBLISHED,
    VERSION_FIELD,
    downgraded,
    published_versions,
)
from pydantic import Field

from task_io.models import CamelModel

CLAIM_NAMESPACE = uuid.UUID("7c4f3e0a-5b5d-4c8e-9d61-2f1a8f0c3b42")
"""Fixed forever: the claim id is derived from the object version it claims, so a duplicate
intake delivery finds the claim the first one stored instead of issuing a second."""
CLAIM_CHECK_ISSUED = "ClaimCheckIssued"
SCHEMA_VERSION = "order-import/1"
"""The payload format a claim promises: JSON Lines, one ``POST /orders`` body per line."""

IntakeDoor = Literal["bucket", "pointer", "inline"]
ClaimStatus = Literal["ISSUED", "RESOLVING", "RESOLVED", "FAILED"]
AfterSuccess = Literal["delete", "tag"]
"""What happens to a payload once imported: its version is deleted, or tagged for the lifecycle."""


def claim_id_for(bucket: str, key: str, version_id: str) -> str:
    """The claim id of one object version."""
    return str(uuid.uuid5(CLAIM_NAMESPACE, f"{bucket}/{key}#{version_id}"))


class PayloadLocation(CamelModel):
    """An object version in S3."""

    bucket: str = Field(min_length=3, max_length=63)
    key: str = Field(min_length=1, max_length=1024)
    version_id: str | None = None


class ByteRange(CamelModel):
    """One piece of the payload for one Map child: bytes ``start``..``end`` (inclusive), whole
    lines only; ``first_line`` is the 1-based number of its first line."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    first_line: int = Field(ge=1)


class Claim(CamelModel):
    """A claim check (claims table, ``CLAIM#<claimId>``): where the payload is and what it must
    be. Only this (a few hundred bytes) travels through the bus, the queues and the state."""

    claim_id: str
    bucket: str
    key: str
    version_id: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    content_type: str
    schema_version: str = SCHEMA_VERSION
    producer: str
    door: IntakeDoor
    manifest_key: str
    ranges: int = Field(ge=0)
    created_at: str
    expires_at: int = Field(ge=0)
    """Epoch seconds: the table's TTL attribute, and the moment a resolve refuses the claim."""


class ClaimCheckIssued(Claim):
    """The event announcing a claim (its detail): the claim itself, a few hundred bytes, and the
    version of this contract (``eventVersion``; ``schemaVersion`` is the payload's format).
    Consumers deduplicate on ``claimId``: one claim per object version."""

    event_version: str = Field(default=PUBLISHED[CLAIM_CHECK_ISSUED], pattern=r"^\d+\.\d+$")
    also_published_as: list[str] | None = Field(
        default=None,
        description="The other versions this event is published in, side by side (only while a"
        " superseded major is still published): a consumer acts on the copy in its major.",
    )

    @classmethod
    def of(cls, claim: Claim) -> "ClaimCheckIssued":
        return cls.model_validate(claim.model_dump())

    @classmethod
    def details(cls, claim: Claim, today: date) -> list[dict[str, Any]]:
        """The details announcing ``claim``: one, or, while an older major is published side by
        side (`event_contracts.versions`), one per version, the current first, each naming the
        others' versions."""
        current = cls.of(claim).model_dump(mode="json", exclude={"also_published_as"})
        versions = published_versions(CLAIM_CHECK_ISSUED, current[VERSION_FIELD], today)
        if len(versions) == 1:
            return [current]
        payload = {k: v for k, v in current.items() if k != VERSION_FIELD}
        return [
            {
                **(payload if version == versions[0] else downgraded(CLAIM_CHECK_ISSUED, payload, version)),
                VERSION_FIELD: version,
                ALSO_PUBLISHED_AS_FIELD: [v for v in versions if v != version],
            }
            for version in versions
        ]


class ClaimRecord(Claim):
    """The stored claim with where its resolution stands."""

    status: ClaimStatus
    execution_id: str | None = None
    accepted: int | None = None
    rejected: int | None = None
    report_key: str | None = None
    failure_error: str | None = None
    failure_cause: str | None = None
    resolved_at: str | None = None
