"""The claim check on the embedded engine: three intake doors -> split -> ClaimCheckIssued -> resolve
(gate, verify, Distributed Map import through the orders service) -> result and release.

Every test runs both workflows from their ASL files with the real handlers; the saga's pipe is
paused (imported orders stop at their OrderPlaced event, which the outbox publishes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.s3.models import s3_backends

from claim_check.models import ByteRange, ClaimRecord, PayloadLocation
from claim_check.payloads import PayloadBucket
from claim_check.resolving import verify_payload
from local_runtime import LocalApp
from observability.slo import CLAIM_RESOLVE_TIME
from tests.workflow.outbox_helpers import orders, tap_bus
from tests.workflow.slo_values import slo_values

pytestmark = pytest.mark.workflow

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "sample_events" / "place_order.json").read_text())
_deserializer = TypeDeserializer()


@pytest.fixture
def claim_app(assembly_dir: Path) -> Iterator[LocalApp]:
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        app.pause_pipe("OrderSaga")
        yield app


def _line(**changes: Any) -> str:
    return json.dumps({**SAMPLE, **changes})


def _upload(app: LocalApp, body: bytes, key: str = "intake/batch.jsonl") -> str:
    answer = app.client("s3").put_object(Bucket=app.output("PayloadBucketName"), Key=key, Body=body)
    return str(answer["VersionId"])


def _claims(app: LocalApp) -> list[ClaimRecord]:
    items = app.client("dynamodb").scan(TableName=app.output("ClaimsTableName"))["Items"]
    values = [{k: _deserializer.deserialize(v) for k, v in item.items() if k != "pk"} for item in items]
    return [
        ClaimRecord.model_validate(
            {k: int(v) if hasattr(v, "as_integer_ratio") else v for k, v in value.items()}
        )
        for value in values
    ]


def _only_claim(app: LocalApp) -> ClaimRecord:
    (claim,) = _claims(app)
    return claim


def _ended(app: LocalApp, machine: str) -> list[tuple[str, str | None]]:
    return [(e["status"], e.get("error")) for e in app.executions(machine)]


def _object(app: LocalApp, key: str) -> bytes:
    body = app.client("s3").get_object(Bucket=app.output("PayloadBucketName"), Key=key)["Body"]
    return bytes(body.read())


def _versions(app: LocalApp, key: str) -> list[dict[str, Any]]:
    listed = app.client("s3").list_object_versions(Bucket=app.output("PayloadBucketName"), Prefix=key)
    return [v for v in listed.get("Versions", []) if v["Key"] == key]


RESOLVE_ASL = Path(__file__).resolve().parents[2] / "asl" / "claim_check_resolve.asl.json"


def _happy_path(definition: Path) -> list[str]:
    """The top-level states a definition walks when nothing fails and no Choice branches off:
    StartAt, then each Next (a Choice's Default), to the first Succeed."""
    parsed = json.loads(definition.read_text())
    states, path = parsed["States"], [parsed["StartAt"]]
    while states[path[-1]]["Type"] != "Succeed":
        state = states[path[-1]]
        path.append(state["Default"] if state["Type"] == "Choice" else state["Next"])
    return path


def _parked(app: LocalApp) -> list[dict[str, Any]]:
    return app.receive_all(app.output("ClaimWorkflowFailuresQueueUrl"))


# --- the three doors ---------------------------------------------------------------------------


def test_an_uploaded_file_is_claimed_verified_and_imported(claim_app: LocalApp) -> None:
    # Given a consumer of the platform bus, and a file of three orders, two bad lines, a blank one
    tap = claim_app.subscribe(claim_app.output("EventBusName"), {"source": ["order-platform.claim-check"]})
    orders_tap = tap_bus(claim_app)
    lines = [
        _line(customerId="c-1"),
        _line(customerId="c-2"),
        "{not json",
        "",
        _line(currency="euro"),
        _line(),
    ]
    payload = ("\n".join(lines) + "\n").encode()
    version = _upload(claim_app, payload)
    # When the platform settles
    claim_app.drain()
    # Then the split issued one claim of the payload's size and digest, and only the claim travelled
    assert _ended(claim_app, "ClaimCheck/Split") == [("SUCCEEDED", None)]
    (event,) = claim_app.receive_all(tap)
    assert event["detail-type"] == "ClaimCheckIssued" and len(json.dumps(event)) < 1500
    assert "Analytical" not in json.dumps(event)  # no payload content on the bus
    claim = _only_claim(claim_app)
    assert (claim.door, claim.version_id, claim.size) == ("bucket", version, len(payload))
    assert event["detail"]["claimId"] == claim.claim_id and event["detail"]["sha256"] == claim.sha256
    # And the resolve imported the three orders, reported lines 3 and 5 with reasons, and released
    assert _ended(claim_app, "ClaimCheck/Resolve") == [("SUCCEEDED", None)]
    (resolve,) = claim_app.executions("ClaimCheck/Resolve")
    assert claim_app.states_visited(resolve["executionArn"]) == _happy_path(RESOLVE_ASL)
    assert (claim.status, claim.accepted, claim.rejected) == ("RESOLVED", 3, 2)
    report = [json.loads(line) for line in _object(claim_app, str(claim.report_key)).splitlines()]
    assert [entry["line"] for entry in report] == [3, 5]
    assert "currency" in report[1]["error"]
    assert sorted(order["customerId"] for order in orders(claim_app)) == ["c-1", "c-2", SAMPLE["customerId"]]
    placed = [e for e in claim_app.receive_all(orders_tap) if e["detail-type"] == "OrderPlaced"]
    assert len(placed) == 3  # through the outbox: every imported order starts its saga
    assert _versions(claim_app, "intake/batch.jsonl") == []  # the payload version is deleted
    # and FinishResolve reported the time from the claim's issue to its resolution (an SLO),
    # within the two executions' span
    (took,) = slo_values(claim_app, CLAIM_RESOLVE_TIME)
    (split,) = claim_app.executions("ClaimCheck/Split")
    assert 0 <= took <= (resolve["stopDate"] - split["startDate"]).total_seconds() * 1000 + 1


@pytest.fixture(scope="module")
def extended_client_session() -> Any:
    """AWS's SQS Extended Client for Python. Importing it replaces boto3's Session class and
    default session process-wide; both are put back at once, and only its own session is used."""
    saved = (boto3.session.Session, boto3.Session, boto3.DEFAULT_SESSION)
    import sqs_extended_client

    boto3.session.Session, boto3.Session, boto3.DEFAULT_SESSION = saved
    return sqs_extended_client.SQSExtendedClientSession


def test_a_producer_using_the_sqs_extended_client_is_imported_unchanged(
    claim_app: LocalApp, extended_client_session: Any
) -> None:
    # Given a producer sending a large message with AWS's extended client, through the bucket
    session = extended_client_session(region_name=claim_app.region)
    sqs = session.client("sqs")
    sqs.large_payload_support = claim_app.output("PayloadBucketName")
    sqs.always_through_s3 = True
    payload = "\n".join(_line(customerId=f"bulk-{n}") for n in range(40))
    sqs.send_message(
        QueueUrl=claim_app.output("ClaimIntakeQueueUrl"),
        MessageBody=payload,
        MessageAttributes={"producer": {"DataType": "String", "StringValue": "partner-7"}},
    )
    # When the platform settles
    claim_app.drain()
    # Then the pointer was followed: claimed, verified and all 40 orders imported
    claim = _only_claim(claim_app)
    assert (claim.door, claim.producer, claim.size) == ("pointer", "partner-7", len(payload.encode()))
    assert (claim.status, claim.accepted, claim.rejected) == ("RESOLVED", 40, 0)
    assert len(orders(claim_app)) == 40


def test_a_small_inline_message_is_stored_then_claimed(claim_app: LocalApp) -> None:
    body = _line(customerId="inline-1")
    claim_app.client("sqs").send_message(QueueUrl=claim_app.output("ClaimIntakeQueueUrl"), MessageBody=body)
    claim_app.drain()
    claim = _only_claim(claim_app)
    assert (claim.door, claim.key, claim.size) == ("inline", claim.key, len(body))
    assert claim.key.startswith("inline/")
    assert (claim.status, claim.accepted) == ("RESOLVED", 1)
    assert [order["customerId"] for order in orders(claim_app)] == ["inline-1"]


# --- what must never be processed ---------------------------------------------------------------


def _split_only(app: LocalApp, payload: bytes) -> ClaimRecord:
    """Upload and split, with the resolve's pipe paused: the claim is issued, not yet resolved."""
    app.pause_pipe("ClaimCheck/Resolve")
    _upload(app, payload)
    app.drain()
    return _only_claim(app)


def _resolve_now(app: LocalApp) -> None:
    app.resume_pipe("ClaimCheck/Resolve")
    app.drain()


def _assert_rejected(app: LocalApp, error: str) -> None:
    assert _ended(app, "ClaimCheck/Resolve") == [("FAILED", "ClaimRejected")]
    claim = _only_claim(app)
    assert (claim.status, claim.failure_error) == ("FAILED", error)
    assert orders(app) == []
    (parked,) = _parked(app)
    assert json.loads(parked["detail"]["input"])[0]["body"]  # the original message is kept


def test_a_tampered_object_is_refused_and_nothing_is_imported(claim_app: LocalApp) -> None:
    claim = _split_only(claim_app, (_line() + "\n").encode())
    # When the claimed version's bytes change behind the claim's back (same size)
    stored = s3_backends[claim_app.account]["global"].get_object(
        claim.bucket, claim.key, version_id=claim.version_id
    )
    assert stored is not None
    stored.value = stored.value.replace(b"Ada", b"Eve")
    _resolve_now(claim_app)
    _assert_rejected(claim_app, "ClaimIntegrityError")


def test_a_missing_object_is_refused(claim_app: LocalApp) -> None:
    claim = _split_only(claim_app, (_line() + "\n").encode())
    claim_app.client("s3").delete_object(Bucket=claim.bucket, Key=claim.key, VersionId=claim.version_id)
    _resolve_now(claim_app)
    _assert_rejected(claim_app, "ClaimNotFound")


def _take_claim_message(app: LocalApp) -> dict[str, Any]:
    """Receive (and delete) the ClaimCheckIssued message waiting in the resolve's queue."""
    queue = app.queue_url("ClaimCheck/Resolve/ClaimQueue/")
    sqs = app.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return message


def test_a_claim_started_by_hand_is_resolved_as_its_message_would_be(claim_app: LocalApp) -> None:
    # Given an issued claim whose message an operator took off the queue
    claim = _split_only(claim_app, (_line(customerId="c-by-hand") + "\n").encode())
    _take_claim_message(claim_app)
    # When they start the resolve by hand with the claim alone (sample_events/claim_check_resolve.json)
    sfn = claim_app.client("stepfunctions")
    sfn.start_execution(
        stateMachineArn=claim_app.output("ClaimCheckResolveStateMachineArn"),
        input=json.dumps({"claimId": claim.claim_id}),
    )
    claim_app.drain()
    # Then the claim is read from the claims table and imported, as its message would have been
    assert _ended(claim_app, "ClaimCheck/Resolve") == [("SUCCEEDED", None)]
    assert _only_claim(claim_app).status == "RESOLVED"
    assert [order["customerId"] for order in orders(claim_app)] == ["c-by-hand"]


def test_an_expired_claim_is_refused(claim_app: LocalApp) -> None:
    # Given a claim whose message comes back after the claim's 7 days (a parked message redriven:
    # the work queue itself keeps messages 4 days only)
    _split_only(claim_app, (_line() + "\n").encode())
    message = _take_claim_message(claim_app)
    for schedule in claim_app.schedules.values():
        schedule.cancel()  # 8 days of 5-minute sweeps are not this test's concern
    claim_app.advance(timedelta(days=8))
    queue = claim_app.queue_url("ClaimCheck/Resolve/ClaimQueue/")
    claim_app.client("sqs").send_message(QueueUrl=queue, MessageBody=message["Body"])
    # When it is resolved / Then it is refused as expired
    _resolve_now(claim_app)
    _assert_rejected(claim_app, "ClaimExpired")


def test_a_duplicate_claim_event_processes_nothing_twice(claim_app: LocalApp) -> None:
    # Given a claim whose ClaimCheckIssued message is delivered twice
    claim_app.pause_pipe("ClaimCheck/Resolve")
    _upload(claim_app, ("\n".join(_line(customerId=f"d-{n}") for n in range(5)) + "\n").encode())
    claim_app.drain()
    message = _take_claim_message(claim_app)
    resolve_queue = claim_app.queue_url("ClaimCheck/Resolve/ClaimQueue/")
    for _ in range(2):
        claim_app.client("sqs").send_message(QueueUrl=resolve_queue, MessageBody=message["Body"])
    # When both are resolved
    _resolve_now(claim_app)
    # Then one execution imported, the other was a duplicate, and each order exists once
    endings = sorted(
        claim_app.states_visited(e["executionArn"])[-1] for e in claim_app.executions("ClaimCheck/Resolve")
    )
    assert endings == ["DuplicateClaim", "Resolved"]
    assert (_only_claim(claim_app).accepted, len(orders(claim_app))) == (5, 5)


def test_a_duplicate_upload_event_issues_one_claim(claim_app: LocalApp) -> None:
    # Given the S3 event of one upload delivered twice to the intake queue
    claim_app.pause_pipe("ClaimCheck/Split")
    _upload(claim_app, (_line() + "\n").encode())
    intake = claim_app.output("ClaimIntakeQueueUrl")
    sqs = claim_app.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=intake, MaxNumberOfMessages=10)["Messages"]
    sqs.change_message_visibility(
        QueueUrl=intake, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    sqs.send_message(QueueUrl=intake, MessageBody=message["Body"])
    claim_app.resume_pipe("ClaimCheck/Split")
    claim_app.drain()
    # Then both splits succeeded with the same claim, resolved once, one order
    assert _ended(claim_app, "ClaimCheck/Split") == [("SUCCEEDED", None), ("SUCCEEDED", None)]
    assert _only_claim(claim_app).status == "RESOLVED"
    assert len(orders(claim_app)) == 1


def test_an_empty_file_resolves_to_nothing(claim_app: LocalApp) -> None:
    _upload(claim_app, b"")
    claim_app.drain()
    claim = _only_claim(claim_app)
    assert (claim.size, claim.ranges, claim.status, claim.accepted, claim.rejected) == (
        0,
        0,
        "RESOLVED",
        0,
        0,
    )
    assert claim.report_key is None and orders(claim_app) == []


def test_a_message_that_is_no_intake_is_parked(claim_app: LocalApp) -> None:
    body = json.dumps({"source": "aws.s3", "detail-type": "Object Deleted", "detail": {}})
    claim_app.client("sqs").send_message(QueueUrl=claim_app.output("ClaimIntakeQueueUrl"), MessageBody=body)
    claim_app.drain()
    assert _ended(claim_app, "ClaimCheck/Split") == [("FAILED", "IntakeRejected")]
    assert _claims(claim_app) == []


# --- any payload, byte for byte -----------------------------------------------------------------

payloads = st.lists(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60), max_size=25
).map(lambda parts: "\n".join(parts).encode())


def test_any_payload_round_trips_byte_for_byte(assembly_dir: Path) -> None:
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        app.pause_pipe("ClaimCheck/Resolve")
        bucket = PayloadBucket(app.client("s3"))

        @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(payload=payloads)
        def round_trip(payload: bytes) -> None:
            # Given any payload, uploaded and split
            before = {claim.claim_id for claim in _claims(app)}
            _upload(app, payload, key=f"intake/{len(before)}.bin")
            app.drain()
            (claim,) = [c for c in _claims(app) if c.claim_id not in before]
            # Then the claim's ranges, read as the resolve reads them, are the payload's bytes
            manifest = json.loads(
                b"".join(bucket.chunks(PayloadLocation(bucket=claim.bucket, key=claim.manifest_key)))
            )
            location = PayloadLocation(bucket=claim.bucket, key=claim.key, version_id=claim.version_id)
            read = b"".join(
                b"".join(bucket.chunks(location, ByteRange.model_validate(piece))) for piece in manifest
            )
            assert read == payload
            # And the resolve's verification accepts it
            verify_payload(claim, bucket)

        round_trip()


# --- the Distributed Map: several ranges, a range that keeps failing, a redrive ---------------

FILLER = " " * 60_000  # a blank line (skipped), long enough to spread orders over several ranges


def _spread_payload(customers: list[str]) -> bytes:
    """Orders separated by ~3 MiB of blank lines: 8 MiB ranges put them in different children."""
    blank = "\n".join([FILLER] * 50)
    return ("\n".join(f"{_line(customerId=c)}\n{blank}" for c in customers) + "\n").encode()


def test_a_payload_of_several_ranges_is_imported_by_as_many_map_children(claim_app: LocalApp) -> None:
    customers = [f"spread-{n}" for n in range(6)]
    payload = _spread_payload(customers)
    _upload(claim_app, payload)
    claim_app.drain()
    claim = _only_claim(claim_app)
    assert claim.ranges >= 2 and claim.size == len(payload) > 8 * 1024 * 1024
    assert (claim.status, claim.accepted, claim.rejected) == ("RESOLVED", 6, 0)
    assert sorted(order["customerId"] for order in orders(claim_app)) == customers


def test_a_range_that_keeps_failing_parks_the_claim_and_a_redrive_finishes_it_once(
    claim_app: LocalApp,
) -> None:
    # Given an order table that refuses every write of the importer for a while
    claim_app.calls.fail(
        "dynamodb",
        "TransactWriteItems",
        function=claim_app.function_name("ClaimCheck/ImportRange"),
        times=1000,
        error="ProvisionedThroughputExceededException",
    )
    _upload(claim_app, ("\n".join(_line(customerId=f"r-{n}") for n in range(3)) + "\n").encode())
    claim_app.drain()
    # Then the import was retried, then the claim marked failed and its message parked
    assert _ended(claim_app, "ClaimCheck/Resolve") == [("FAILED", "ClaimRejected")]
    failed = _only_claim(claim_app)
    assert failed.status == "FAILED" and orders(claim_app) == []
    (parked,) = _parked(claim_app)
    # When the table recovers and the operator sends the parked message back
    claim_app.calls.clear()
    (record,) = json.loads(parked["detail"]["input"])
    claim_app.client("sqs").send_message(
        QueueUrl=claim_app.queue_url("ClaimCheck/Resolve/ClaimQueue/"), MessageBody=record["body"]
    )
    claim_app.drain()
    # Then the claim resumes and resolves, each order once
    claim = _only_claim(claim_app)
    assert (claim.status, claim.accepted, claim.failure_error) == ("RESOLVED", 3, None)
    assert sorted(order["customerId"] for order in orders(claim_app)) == ["r-0", "r-1", "r-2"]
