"""Resolve: gate the claim, verify the payload against it, import it range by range, finish.

Each step reads the claim from the claims table (the event only names it), so a forged or stale
event cannot point the import at another object; every read of the payload names the claimed
version.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from event_contracts.versions import ALSO_PUBLISHED_AS_FIELD, VERSION_FIELD, accepted_version
from pydantic import ValidationError

from claim_check.claims import DynamoClaims
from claim_check.errors import (
    ClaimExpired,
    ClaimIntegrityError,
    ClaimNotFound,
    ClaimStoreUnavailable,
    InvalidClaimInput,
)
from claim_check.models import CLAIM_CHECK_ISSUED, AfterSuccess, ByteRange, ClaimRecord, PayloadLocation
from claim_check.payloads import PayloadBucket
from claim_check.splitting import REPORT_PREFIX
from claim_check.streaming import digest_of, lines
from order_store.ports import OrderRepository
from orders_api.errors import IdempotencyKeyReused
from orders_api.logic import place_order
from orders_api.schemas import PlaceOrderRequest
from task_io.pipe_records import bus_event_in, one_sqs_record

RESOLVED_TAG = {"claim-check": "resolved"}
"""The tag a resolved payload gets when it is kept (the bucket's lifecycle expires it)."""
MAX_PROBLEMS = 5


def claim_id_of(records: Any) -> str:
    """The claim id a ClaimCheckIssued message names (the pipe's batch of one SQS record, whose
    body is the whole EventBridge event), or a hand start's claim (``{"claimId": ...}``, or the
    event's whole detail); InvalidClaimInput otherwise, UnsupportedEventVersion for an event in
    a version the resolve does not read. Only the id is taken from either: every step reads the
    claim itself from the claims table."""
    if isinstance(records, dict):
        detail: Any = records
    else:
        if not isinstance(records, list):
            raise InvalidClaimInput(
                'expected a claim ({"claimId": ...}) or a batch of exactly one SQS record'
            )
        detail = bus_event_in(one_sqs_record(records, InvalidClaimInput), InvalidClaimInput).detail
    claim_id = detail.get("claimId") if isinstance(detail, dict) else None
    if not isinstance(claim_id, str) or not 1 <= len(claim_id) <= 64:
        raise InvalidClaimInput("the event names no claimId")
    # A newer major is parked whole (UnsupportedEventVersion), its claim left as it is; a copy
    # published beside one in a major the resolve reads ends as ReadInAnotherMajor.
    accepted_version(CLAIM_CHECK_ISSUED, detail.get(VERSION_FIELD), detail.get(ALSO_PUBLISHED_AS_FIELD))
    return claim_id


def location_of(claim: ClaimRecord) -> PayloadLocation:
    """The claimed object version."""
    return PayloadLocation(bucket=claim.bucket, key=claim.key, version_id=claim.version_id)


@dataclass(frozen=True)
class Gate:
    """The claim, and whether this execution is a duplicate that must not process it."""

    claim: ClaimRecord
    duplicate: bool


def begin_resolve(claim_id: str, execution_id: str, claims: DynamoClaims, now: datetime) -> Gate:
    """Take the claim for this execution (the idempotency gate). Raises ClaimNotFound, or
    ClaimExpired when its expiry has passed; a claim another execution took (or that ended) is
    a duplicate."""
    claim = claims.get(claim_id)
    if claim is None:
        raise ClaimNotFound(f"no claim {claim_id}")
    if claim.status != "RESOLVED" and claim.expires_at <= int(now.timestamp()):
        raise ClaimExpired(f"claim {claim_id} expired at {claim.expires_at}")
    return Gate(claim=claim, duplicate=not claims.begin(claim_id, execution_id))


def verify_payload(claim: ClaimRecord, payloads: PayloadBucket) -> None:
    """Stream the claimed version: ClaimNotFound when it is gone, ClaimIntegrityError when its
    size or SHA-256 is not the claim's."""
    size, sha256 = digest_of(payloads.chunks(location_of(claim)))
    if size != claim.size or sha256 != claim.sha256:
        raise ClaimIntegrityError(
            f"s3://{claim.bucket}/{claim.key} version {claim.version_id}: {size} bytes sha256 {sha256},"
            f" the claim says {claim.size} bytes sha256 {claim.sha256}"
        )


@dataclass(frozen=True)
class RangeResult:
    """One range's import: lines placed as orders (or already placed) and lines refused."""

    accepted: int
    rejected: int


def _problem(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in issue['loc']) or 'line'}: {issue['msg']}"
        for issue in error.errors(include_input=False, include_url=False)[:MAX_PROBLEMS]
    ]
    return "; ".join(problems)


def report_part_key(claim_id: str, first_line: int) -> str:
    """Where one range's rejected lines go (merged into the claim's report when it finishes)."""
    return f"{REPORT_PREFIX}{claim_id}/lines-{first_line:012d}.jsonl"


def import_range(
    claim: ClaimRecord,
    byte_range: ByteRange,
    payloads: PayloadBucket,
    repository: OrderRepository,
    now: datetime,
) -> RangeResult:
    """Place every valid line of the range as an order (its Idempotency-Key is the claim id and
    line number, so a retried range replays instead of placing twice); write the rejected lines'
    numbers and reasons to the range's report part."""
    accepted = 0
    rejected: list[dict[str, Any]] = []
    for line in lines(payloads.chunks(location_of(claim), byte_range), byte_range.first_line):
        if line.content is None:
            rejected.append({"line": line.number, "error": "line too long"})
            continue
        text = line.content.rstrip(b"\r")
        if not text.strip():
            continue
        try:
            request = PlaceOrderRequest.model_validate_json(text)
        except ValidationError as error:
            rejected.append({"line": line.number, "error": _problem(error)})
            continue
        try:
            place_order(request, f"import-{claim.claim_id}-{line.number}", repository, now=now)
        except IdempotencyKeyReused:
            rejected.append({"line": line.number, "error": "already imported with different content"})
            continue
        accepted += 1
    if rejected:
        body = "".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in rejected).encode()
        payloads.put(
            claim.bucket,
            report_part_key(claim.claim_id, byte_range.first_line),
            body,
            "application/x-ndjson",
            {},
        )
    return RangeResult(accepted=accepted, rejected=len(rejected))


def merge_report(claim: ClaimRecord, payloads: PayloadBucket) -> str | None:
    """One report of every rejected line, in line order (parts are named by first line), or
    None when every line was accepted."""
    prefix = f"{REPORT_PREFIX}{claim.claim_id}/"
    parts = payloads.keys(claim.bucket, prefix)
    if not parts:
        return None
    body = b"".join(
        b"".join(payloads.chunks(PayloadLocation(bucket=claim.bucket, key=part))) for part in parts
    )
    report_key = f"{REPORT_PREFIX}{claim.claim_id}.jsonl"
    payloads.put(claim.bucket, report_key, body, "application/x-ndjson", {})
    for part in parts:
        payloads.delete(PayloadLocation(bucket=claim.bucket, key=part))
    return report_key


def finish_resolve(
    claim: ClaimRecord,
    execution_id: str,
    results: Iterable[RangeResult],
    payloads: PayloadBucket,
    claims: DynamoClaims,
    after_success: AfterSuccess,
    now: datetime,
) -> ClaimRecord:
    """Record the result (RESOLVED, counts, report), then release the payload: delete its
    version, or tag it for the lifecycle rule. Safe to repeat after a partial first run."""
    collected = list(results)
    accepted = sum(result.accepted for result in collected)
    rejected = sum(result.rejected for result in collected)
    report_key = merge_report(claim, payloads)
    if not claims.resolve(claim.claim_id, execution_id, accepted, rejected, report_key, now):
        current = claims.get(claim.claim_id)
        if current is None or current.status != "RESOLVED" or current.execution_id != execution_id:
            status = "missing" if current is None else current.status
            raise ClaimStoreUnavailable(f"claim {claim.claim_id} is {status}, not ours to resolve")
    location = location_of(claim)
    if after_success == "delete":
        payloads.delete(location)
    else:
        payloads.tag(location, RESOLVED_TAG)
    payloads.delete(PayloadLocation(bucket=claim.bucket, key=claim.manifest_key))
    updated = claims.get(claim.claim_id)
    if updated is None:
        raise ClaimStoreUnavailable(f"claim {claim.claim_id} vanished after resolving")
    return updated
