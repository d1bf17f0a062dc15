"""Split: an intake message becomes a stored, measured payload, a claim, and a manifest of
line-aligned byte ranges for the resolve's Distributed Map.

Safe to run twice for the same message: the claim id is derived from the object version, an
inline payload is stored once per message id, and an existing claim is returned as it is.
"""

from datetime import datetime, timedelta

from claim_check.claims import DynamoClaims
from claim_check.errors import ClaimNotFound, ClaimStoreUnavailable, InvalidIntakeMessage
from claim_check.intake import Intake
from claim_check.models import Claim, PayloadLocation, claim_id_for
from claim_check.payloads import PayloadBucket
from claim_check.streaming import measure
from order_store.timestamps import iso_timestamp

INLINE_PREFIX = "inline/"
MANIFEST_PREFIX = "manifests/"
REPORT_PREFIX = "reports/"
PLATFORM_PREFIXES = (INLINE_PREFIX, MANIFEST_PREFIX, REPORT_PREFIX)
"""Keys the platform writes itself: a producer's pointer may not name them."""


def manifest_key_for(claim_id: str) -> str:
    """Where the claim's byte ranges are stored (the resolve's ItemReader reads it)."""
    return f"{MANIFEST_PREFIX}{claim_id}.json"


def store_payload(intake: Intake, bucket: str, payloads: PayloadBucket) -> PayloadLocation:
    """The object version the intake's payload is: the uploaded or pointed-to object (which must
    be in the payload bucket), or the inline payload stored once under its message id."""
    if intake.door == "inline":
        assert intake.inline is not None
        location = PayloadLocation(bucket=bucket, key=f"{INLINE_PREFIX}{intake.message_id}")
        try:
            existing = payloads.head(location)
        except ClaimNotFound:
            version = payloads.put(
                bucket,
                location.key,
                intake.inline.encode("utf-8"),
                intake.content_type,
                {"producer": intake.producer},
            )
            return location.model_copy(update={"version_id": version})
        return location.model_copy(update={"version_id": existing.version_id})
    assert intake.location is not None
    if intake.location.bucket != bucket:
        raise InvalidIntakeMessage(
            f"payloads are claimed from s3://{bucket} only, not s3://{intake.location.bucket}"
        )
    if intake.location.key.startswith(PLATFORM_PREFIXES):
        raise InvalidIntakeMessage(
            f"{intake.location.key!r} is one of the platform's own objects, not a payload"
        )
    stored = payloads.head(intake.location)
    if intake.announced_size is not None and intake.announced_size != stored.size:
        raise InvalidIntakeMessage(
            f"the message announces {intake.announced_size} bytes, the object has {stored.size}"
        )
    return intake.location.model_copy(update={"version_id": stored.version_id})


def issue_claim(
    intake: Intake,
    bucket: str,
    payloads: PayloadBucket,
    claims: DynamoClaims,
    *,
    range_bytes: int,
    time_to_live: timedelta,
    now: datetime,
) -> Claim:
    """Store (if inline), measure by streaming, write the manifest and store the claim; the
    claim a first delivery already issued when there is one."""
    location = store_payload(intake, bucket, payloads)
    assert location.version_id is not None
    claim_id = claim_id_for(location.bucket, location.key, location.version_id)
    existing = claims.get(claim_id)
    if existing is not None:
        return Claim.model_validate(existing.model_dump(include=set(Claim.model_fields)))
    measurement = measure(payloads.chunks(location), range_bytes)
    manifest_key = manifest_key_for(claim_id)
    payloads.put_json(bucket, manifest_key, [piece.model_dump(mode="json") for piece in measurement.ranges])
    claim = Claim(
        claim_id=claim_id,
        bucket=location.bucket,
        key=location.key,
        version_id=location.version_id,
        size=measurement.size,
        sha256=measurement.sha256,
        content_type=intake.content_type,
        producer=intake.producer,
        door=intake.door,
        manifest_key=manifest_key,
        ranges=len(measurement.ranges),
        created_at=iso_timestamp(now),
        expires_at=int((now + time_to_live).timestamp()),
    )
    if claims.issue(claim):
        return claim
    stored = claims.get(claim_id)
    if stored is None:
        raise ClaimStoreUnavailable(f"claim {claim_id} vanished; retry")
    return Claim.model_validate(stored.model_dump(include=set(Claim.model_fields)))
