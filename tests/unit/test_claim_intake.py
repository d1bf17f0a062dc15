"""The three intake doors, read from the SQS record a pipe hands the split workflow."""

import json
from typing import Any

import pytest

from claim_check.errors import InvalidIntakeMessage
from claim_check.intake import POINTER_CLASS, parse_intake
from claim_check.models import PayloadLocation
from claim_check.payloads import StoredObject
from claim_check.splitting import store_payload
from tests.unit.samples import sqs_record

BUCKET = "payload-bucket"


def _record(body: str, **attributes: str) -> list[dict[str, Any]]:
    """A pipe batch of one intake message, as Pipes deliver it."""
    record = sqs_record(body, "m-1")
    record["messageAttributes"] = {
        name: {"stringValue": value, "dataType": "String"} for name, value in attributes.items()
    }
    return [record]


def _s3_event(**object_fields: Any) -> str:
    obj = {"key": "intake/batch.jsonl", "size": 12, "version-id": "v1", **object_fields}
    return json.dumps(
        {
            "source": "aws.s3",
            "detail-type": "Object Created",
            "detail": {"bucket": {"name": BUCKET}, "object": obj},
        }
    )


def test_an_uploaded_object_is_the_bucket_door() -> None:
    intake = parse_intake(_record(_s3_event()))
    assert intake.door == "bucket"
    assert intake.location is not None
    assert (intake.location.bucket, intake.location.key, intake.location.version_id) == (
        BUCKET,
        "intake/batch.jsonl",
        "v1",
    )
    assert intake.announced_size == 12 and intake.producer == f"s3://{BUCKET}"


@pytest.mark.parametrize("attribute", ["ExtendedPayloadSize", "SQSLargePayloadSize"])
def test_an_extended_client_pointer_is_the_pointer_door(attribute: str) -> None:
    body = json.dumps([POINTER_CLASS, {"s3BucketName": BUCKET, "s3Key": "0f6c-uuid"}])
    intake = parse_intake(_record(body, **{attribute: "2048", "producer": "partner-7"}))
    assert intake.door == "pointer" and intake.producer == "partner-7"
    assert intake.location is not None and (intake.location.bucket, intake.location.key) == (
        BUCKET,
        "0f6c-uuid",
    )
    assert intake.location.version_id is None and intake.announced_size == 2048


def test_anything_else_is_an_inline_payload_even_a_single_json_line() -> None:
    line = json.dumps({"customerId": "c-1"})
    for body in (line, line + "\n" + line, "[1, 2]\n[3]"):
        intake = parse_intake(_record(body, contentType="application/x-ndjson"))
        assert (intake.door, intake.inline) == ("inline", body)


@pytest.mark.parametrize(
    ("records", "reason"),
    [
        ([], "exactly one"),
        ([{"messageId": "m"}, {"messageId": "n"}], "exactly one"),
        ({"body": "x"}, "exactly one"),
        (
            [{k: v for k, v in sqs_record("x").items() if k != "body"}],
            "not an SQS record: 0.body: Field required",
        ),
        ([{**sqs_record("x"), "eventSource": "aws:kinesis"}], "eventSource"),
        (_record(""), "must not be empty"),
        (_record(_s3_event(**{"version-id": None})), "version id"),
        (
            _record(json.dumps({"source": "aws.s3", "detail-type": "Object Deleted", "detail": {}})),
            "Object Created",
        ),
        (_record(json.dumps([POINTER_CLASS, {"s3BucketName": BUCKET}])), "s3Key"),
        (_record(json.dumps([POINTER_CLASS, "not an object"])), "pointer"),
        (
            _record(
                json.dumps([POINTER_CLASS, {"s3BucketName": BUCKET, "s3Key": "k"}]), ExtendedPayloadSize="-1"
            ),
            "size",
        ),
        (_record(json.dumps([POINTER_CLASS, {"s3BucketName": "x", "s3Key": "k"}])), "location"),
    ],
)
def test_malformed_intake_is_refused_by_name(records: Any, reason: str) -> None:
    with pytest.raises(InvalidIntakeMessage, match=reason):
        parse_intake(records)


class _Bucket:
    """Just enough of PayloadBucket for the intake's checks: every object exists, 12 bytes."""

    def head(self, location: PayloadLocation) -> StoredObject:
        return StoredObject(version_id="v9", size=12, content_type="")


@pytest.mark.parametrize(
    ("bucket", "key", "announced", "reason"),
    [
        ("someone-elses-bucket", "data.jsonl", None, "only"),
        (BUCKET, "manifests/other-claim.json", None, "platform's own"),
        (BUCKET, "reports/other-claim.jsonl", None, "platform's own"),
        (BUCKET, "inline/other-message", None, "platform's own"),
        (BUCKET, "data.jsonl", 13, "announces 13 bytes"),
    ],
)
def test_a_pointer_may_name_only_a_payload_of_the_payload_bucket_of_its_announced_size(
    bucket: str, key: str, announced: int | None, reason: str
) -> None:
    attributes = {} if announced is None else {"ExtendedPayloadSize": str(announced)}
    intake = parse_intake(
        _record(json.dumps([POINTER_CLASS, {"s3BucketName": bucket, "s3Key": key}]), **attributes)
    )
    with pytest.raises(InvalidIntakeMessage, match=reason):
        store_payload(intake, BUCKET, _Bucket())  # type: ignore[arg-type]


def test_a_pointer_to_a_payload_is_pinned_to_its_current_version() -> None:
    body = json.dumps([POINTER_CLASS, {"s3BucketName": BUCKET, "s3Key": "data.jsonl"}])
    intake = parse_intake(_record(body, ExtendedPayloadSize="12"))
    location = store_payload(intake, BUCKET, _Bucket())  # type: ignore[arg-type]
    assert (location.key, location.version_id) == ("data.jsonl", "v9")
