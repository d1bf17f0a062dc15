"""The claim-check adapters on moto: the claims table's status moves and the payload bucket."""

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from claim_check.claims import DynamoClaims
from claim_check.errors import ClaimIntegrityError, ClaimNotFound, InvalidIntakeMessage
from claim_check.models import ByteRange, Claim, ClaimRecord, PayloadLocation, claim_id_for
from claim_check.payloads import PayloadBucket
from claim_check.resolving import RangeResult, finish_resolve, verify_payload
from tests.integration.conftest import REGION
from tests.table_schemas import PK_TABLE_SCHEMA

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
BUCKET = "claim-payloads"


@pytest.fixture
def claims(dynamodb: Any) -> DynamoClaims:
    dynamodb.create_table(TableName="Claims", BillingMode="PAY_PER_REQUEST", **PK_TABLE_SCHEMA)
    return DynamoClaims("Claims", dynamodb)


@pytest.fixture
def s3(aws: None) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return client


def _claim(version: str = "v1", **changes: Any) -> Claim:
    values: dict[str, Any] = {
        "claim_id": claim_id_for(BUCKET, "intake/a.jsonl", version),
        "bucket": BUCKET,
        "key": "intake/a.jsonl",
        "version_id": version,
        "size": 0,
        "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "content_type": "application/x-ndjson",
        "producer": "test",
        "door": "bucket",
        "manifest_key": "manifests/x.json",
        "ranges": 0,
        "created_at": "2026-11-30T10:00:00.000Z",
        "expires_at": 1_900_000_000,
    }
    values.update(changes)
    return Claim(**values)


def test_one_execution_owns_a_claim_until_it_ends(claims: DynamoClaims) -> None:
    claim = _claim()
    assert claims.issue(claim) and not claims.issue(claim)
    # The gate: one owner, the same owner again on a retry, nobody else
    assert claims.begin(claim.claim_id, "exec-A")
    assert claims.begin(claim.claim_id, "exec-A")
    assert not claims.begin(claim.claim_id, "exec-B")
    # Only the owner resolves, once; a resolved claim never fails afterwards
    assert not claims.resolve(claim.claim_id, "exec-B", 1, 0, None, NOW)
    assert claims.resolve(claim.claim_id, "exec-A", 3, 1, "reports/x.jsonl", NOW)
    assert not claims.fail(claim.claim_id, "exec-A", "Late", "", NOW)
    stored = claims.get(claim.claim_id)
    assert stored is not None
    assert (stored.status, stored.accepted, stored.rejected, stored.report_key) == (
        "RESOLVED",
        3,
        1,
        "reports/x.jsonl",
    )
    assert not claims.begin(claim.claim_id, "exec-C")


@pytest.mark.parametrize(
    ("error", "resumable"),
    [
        ("States.TaskFailed", True),
        ("OrderStoreUnavailable", True),
        ("ClaimIntegrityError", False),
        ("ClaimNotFound", False),
        ("ClaimExpired", False),
    ],
)
def test_a_redrive_resumes_a_claim_only_when_its_failure_can_be_cured(
    claims: DynamoClaims, error: str, resumable: bool
) -> None:
    claim = _claim()
    claims.issue(claim)
    claims.begin(claim.claim_id, "exec-A")
    assert claims.fail(claim.claim_id, "exec-A", error, "why", NOW)
    assert claims.begin(claim.claim_id, "exec-redrive") is resumable
    stored = claims.get(claim.claim_id)
    assert stored is not None
    assert stored.status == ("RESOLVING" if resumable else "FAILED")
    assert stored.failure_error == (None if resumable else error)


def test_a_missing_version_is_claim_not_found_and_an_unversioned_object_is_refused(s3: Any) -> None:
    bucket = PayloadBucket(s3)
    version = s3.put_object(Bucket=BUCKET, Key="k", Body=b"abc")["VersionId"]
    s3.delete_object(Bucket=BUCKET, Key="k", VersionId=version)
    with pytest.raises(ClaimNotFound):
        b"".join(bucket.chunks(PayloadLocation(bucket=BUCKET, key="k", version_id=version)))
    s3.create_bucket(Bucket="plain-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="plain-bucket", Key="k", Body=b"abc")
    with pytest.raises(InvalidIntakeMessage, match="not versioned"):
        bucket.head(PayloadLocation(bucket="plain-bucket", key="k"))


def test_a_range_is_read_exactly_and_a_changed_payload_fails_verification(s3: Any) -> None:
    bucket = PayloadBucket(s3)
    version = s3.put_object(Bucket=BUCKET, Key="intake/a.jsonl", Body=b"one\ntwo\nthree\n")["VersionId"]
    location = PayloadLocation(bucket=BUCKET, key="intake/a.jsonl", version_id=version)
    assert b"".join(bucket.chunks(location, ByteRange(start=4, end=7, first_line=2))) == b"two\n"
    claim = ClaimRecord(**_claim(version, size=14).model_dump(), status="RESOLVING")
    with pytest.raises(ClaimIntegrityError, match="14 bytes"):
        verify_payload(claim, bucket)  # the size matches, the digest is the empty payload's


@pytest.mark.parametrize("after_success", ["delete", "tag"])
def test_finishing_records_the_result_then_releases_the_payload_and_is_safe_to_repeat(
    s3: Any, claims: DynamoClaims, after_success: str
) -> None:
    # Given a claim being resolved, its payload, manifest and two report parts
    version = s3.put_object(Bucket=BUCKET, Key="intake/a.jsonl", Body=b"x")["VersionId"]
    s3.put_object(Bucket=BUCKET, Key="manifests/x.json", Body=b"[]")
    claim = _claim(version)
    claims.issue(claim)
    claims.begin(claim.claim_id, "exec-A")
    for first_line, body in ((9, b'{"line":9}\n'), (2, b'{"line":2}\n')):
        s3.put_object(Bucket=BUCKET, Key=f"reports/{claim.claim_id}/lines-{first_line:012d}.jsonl", Body=body)
    record = claims.get(claim.claim_id)
    assert record is not None
    # When it finishes, twice (a retried task)
    bucket = PayloadBucket(s3)
    for _ in range(2):
        done = finish_resolve(
            record, "exec-A", [RangeResult(2, 1), RangeResult(5, 1)], bucket, claims, after_success, NOW
        )  # type: ignore[arg-type]
    # Then the claim holds the totals and one report in line order, and the payload is released
    assert (done.status, done.accepted, done.rejected) == ("RESOLVED", 7, 2)
    report = s3.get_object(Bucket=BUCKET, Key=str(done.report_key))["Body"].read()
    assert report == b'{"line":2}\n{"line":9}\n'
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix="intake/").get("Versions", [])
    if after_success == "delete":
        assert versions == []
    else:
        tags = s3.get_object_tagging(Bucket=BUCKET, Key="intake/a.jsonl", VersionId=version)["TagSet"]
        assert tags == [{"Key": "claim-check", "Value": "resolved"}]
