"""Which claim a resolve execution works on: the pipe's message, or a hand start's claim."""

import json
from typing import Any

import pytest
from event_contracts.versions import UnsupportedEventVersion

from claim_check.errors import InvalidClaimInput
from claim_check.resolving import claim_id_of
from tests.unit.samples import bus_event, sqs_record

CLAIM_ID = "00000000-0000-5000-8000-0000000c1a10"


def _batch(body: Any) -> list[dict[str, Any]]:
    """The pipe's batch of one SQS message holding the bus event (`body`: the event, or raw text)."""
    if isinstance(body, dict):
        body = json.dumps(bus_event(body.get("detail-type", "ClaimCheckIssued"), body.get("detail")))
    return [sqs_record(body, "m-1")]


@pytest.mark.parametrize(
    "started_with",
    [
        _batch({"detail-type": "ClaimCheckIssued", "detail": {"claimId": CLAIM_ID, "sha256": "ignored"}}),
        {"claimId": CLAIM_ID},
        {"claimId": CLAIM_ID, "bucket": "ignored", "key": "ignored", "sha256": "ignored"},
    ],
    ids=["the pipe's batch", "a claim by hand", "the event's whole detail by hand"],
)
def test_the_claim_is_named_by_the_message_or_by_hand(started_with: Any) -> None:
    # Only the id is taken: every step reads the claim (bucket, key, version, digest) from its table
    assert claim_id_of(started_with) == CLAIM_ID


@pytest.mark.parametrize(
    ("started_with", "message"),
    [
        ([], "exactly one SQS record, got 0"),
        (_batch({"detail": {"claimId": CLAIM_ID}}) * 2, "exactly one SQS record"),
        ("a string", "exactly one SQS record"),
        (_batch("{not json"), "not JSON"),
        (_batch('{"detail": {"claimId": "x"}}'), "not an EventBridge event"),
        (_batch({"detail": {}}), "names no claimId"),
        ({}, "names no claimId"),
        ({"claimId": ""}, "names no claimId"),
        ({"claimId": "x" * 65}, "names no claimId"),
        ({"claimId": 42}, "names no claimId"),
    ],
)
def test_an_input_that_names_no_claim_is_refused_by_name(started_with: Any, message: str) -> None:
    with pytest.raises(InvalidClaimInput, match=message):
        claim_id_of(started_with)


@pytest.mark.parametrize("version", ["1.0", "1.4"])
def test_every_version_of_the_read_major_names_its_claim(version: str) -> None:
    detail = {"claimId": CLAIM_ID, "eventVersion": version, "addedInALaterMinor": True}
    assert claim_id_of(_batch({"detail-type": "ClaimCheckIssued", "detail": detail})) == CLAIM_ID


def test_a_newer_major_is_refused_by_name_and_its_claim_left_alone() -> None:
    # Given a ClaimCheckIssued in a major this resolve does not read
    detail = {"claimId": CLAIM_ID, "eventVersion": "2.0"}
    # When read / Then UnsupportedEventVersion (parked whole), not InvalidClaimInput
    with pytest.raises(UnsupportedEventVersion, match=r"eventVersion 2\.0 is not read by this consumer"):
        claim_id_of(_batch({"detail-type": "ClaimCheckIssued", "detail": detail}))
