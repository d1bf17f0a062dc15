"""Event contracts on the embedded runtime (issue 24): the platform publishes every event with its
version and in its schema, and a consumer parks an event in a version it does not read, leaving
what it names untouched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from event_contracts.versions import ALSO_PUBLISHED_AS_FIELD, PUBLISHED, VERSION_FIELD

from local_runtime import LocalApp
from tests.workflow.contract_check import contract_problems
from tests.workflow.saga_helpers import (
    STOCK,
    failures_parked,
    order_for,
    payments,
    put_order_placed,
    saga_executions,
    start_order,
    stock,
)

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "sample_events" / "place_order.json").read_text())


def _platform_events(app: LocalApp) -> list[dict[str, Any]]:
    return [entry for entry in app.bus.published if entry["FromPlatform"]]


def test_every_event_the_platform_publishes_states_its_version_and_keeps_its_schema(
    saga_app: LocalApp, provider: Any, sample_order: dict[str, Any]
) -> None:
    # Given a confirmed order, a declined one and an imported file
    start_order(saga_app, order_for(sample_order))
    start_order(
        saga_app, order_for(sample_order, items=[{"sku": "SKU-KETTLE-01", "quantity": 1, "unitPrice": 10**8}])
    )
    line = json.dumps(order_for(SAMPLE))
    saga_app.client("s3").put_object(
        Bucket=saga_app.output("PayloadBucketName"), Key="intake/contract.jsonl", Body=f"{line}\n".encode()
    )
    provider.settle()
    saga_app.drain()
    # Then the platform published each of its events, every one stating its version ...
    published = _platform_events(saga_app)
    assert {entry["DetailType"] for entry in published} == set(PUBLISHED)
    for entry in published:
        assert json.loads(entry["Detail"])[VERSION_FIELD] == PUBLISHED[entry["DetailType"]]
    # ... and keeping the schema of that version
    assert contract_problems(published) == []


def test_the_contract_check_finds_an_event_that_breaks_its_schema(
    saga_app: LocalApp, sample_order: dict[str, Any]
) -> None:
    start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    (placed,) = [e for e in _platform_events(saga_app) if e["DetailType"] == "OrderPlaced"]
    detail = json.loads(placed["Detail"])
    del detail["data"]["destinationCountry"]
    detail["data"]["totalAmount"] = "34.99"
    problems = contract_problems([{**placed, "Detail": json.dumps(detail)}])
    assert any("'destinationCountry' is a required property" in p for p in problems), problems
    assert any("data/totalAmount '34.99' is not of type 'integer'" in p for p in problems), problems
    newer = {**placed, "Detail": json.dumps({**detail, VERSION_FIELD: "7.0"})}
    assert contract_problems([newer]) == ["OrderPlaced 7.0: no committed schema"]


def test_an_order_placed_in_a_newer_major_is_parked_whole_and_the_order_left_alone(
    saga_app: LocalApp,
) -> None:
    # Given an OrderPlaced in a major the saga does not read (its data in a shape it cannot judge)
    detail = {
        "eventId": "e-2",
        "eventType": "OrderPlaced",
        VERSION_FIELD: "2.0",
        "aggregateType": "Order",
        "aggregateId": "o-2",
        "data": {"order": {"ref": "o-2"}},
    }
    put_order_placed(saga_app, detail)
    saga_app.drain()
    # Then the saga refuses it by name before doing anything: no refusal recorded as forged, no
    # cancellation, nothing reserved or charged ...
    (execution,) = saga_executions(saga_app)
    assert (execution["status"], execution["error"]) == ("FAILED", "UnsupportedEventVersion")
    assert "eventVersion 2.0 is not read by this consumer (it reads 1.x)" in execution["cause"]
    assert payments(saga_app) == [] and stock(saga_app) == STOCK
    # ... and the message is parked whole, for a redrive once a saga that reads 2.x is deployed
    (parked,) = failures_parked(saga_app)
    body = json.loads(json.loads(parked["detail"]["input"])[0]["body"])
    assert body["detail"] == detail


def test_a_claim_check_issued_in_a_newer_major_is_parked_and_no_claim_is_failed(saga_app: LocalApp) -> None:
    saga_app.client("events").put_events(
        Entries=[
            {
                "Source": "order-platform.claim-check",
                "DetailType": "ClaimCheckIssued",
                "Detail": json.dumps({"claimId": "c-1", VERSION_FIELD: "2.0"}),
                "EventBusName": saga_app.output("EventBusName"),
            }
        ]
    )
    saga_app.drain()
    (execution,) = saga_app.executions(saga_app.output("ClaimCheckResolveStateMachineArn"))
    assert (execution["status"], execution["error"]) == ("FAILED", "UnsupportedEventVersion")
    (parked,) = saga_app.receive_all(saga_app.output("ClaimWorkflowFailuresQueueUrl"))
    assert '\\"eventVersion\\": \\"2.0\\"' in parked["detail"]["input"]
    assert saga_app.client("dynamodb").scan(TableName=saga_app.output("ClaimsTableName"))["Items"] == []


# --- a major published side by side ---------------------------------------------------------------


def test_an_order_placed_published_in_two_majors_is_acted_on_once_by_the_copy_the_saga_reads(
    saga_app: LocalApp, provider: Any, sample_order: dict[str, Any]
) -> None:
    # Given an order whose OrderPlaced waits in the saga's queue, and beside it the same event as a
    # 2.0 copy would be published while 1.x is superseded (its amount in a money object)
    saga_app.pause_pipe("OrderSaga")
    order_id = start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    (placed,) = [e for e in _platform_events(saga_app) if e["DetailType"] == "OrderPlaced"]
    current = json.loads(placed["Detail"])
    data = {k: v for k, v in current["data"].items() if k not in ("totalAmount", "currency")}
    copy = {
        **current,
        VERSION_FIELD: "2.0",
        ALSO_PUBLISHED_AS_FIELD: [current[VERSION_FIELD]],
        "data": {**data, "total": {"amount": current["data"]["totalAmount"], "currency": "EUR"}},
    }
    put_order_placed(saga_app, copy)
    # When the saga reads both
    saga_app.resume_pipe("OrderSaga")
    provider.settle()
    saga_app.drain()
    # Then the 2.0 copy ended by name, changing nothing, and the order was handled once, confirmed
    ended = {saga_app.states_visited(e["executionArn"])[-1]: e["status"] for e in saga_executions(saga_app)}
    assert ended == {"ReadInAnotherMajor": "SUCCEEDED", "OrderConfirmed": "SUCCEEDED"}
    assert len(payments(saga_app)) == 1 and failures_parked(saga_app) == []
    assert order_id in str(payments(saga_app))


def test_a_claim_check_issued_copy_in_an_unread_major_ends_by_name_and_touches_no_claim(
    saga_app: LocalApp,
) -> None:
    saga_app.client("events").put_events(
        Entries=[
            {
                "Source": "order-platform.claim-check",
                "DetailType": "ClaimCheckIssued",
                "Detail": json.dumps(
                    {"claimId": "c-1", VERSION_FIELD: "2.0", ALSO_PUBLISHED_AS_FIELD: ["1.1"]}
                ),
                "EventBusName": saga_app.output("EventBusName"),
            }
        ]
    )
    saga_app.drain()
    (execution,) = saga_app.executions(saga_app.output("ClaimCheckResolveStateMachineArn"))
    assert execution["status"] == "SUCCEEDED"
    assert saga_app.states_visited(execution["executionArn"])[-1] == "ReadInAnotherMajor"
    assert saga_app.receive_all(saga_app.output("ClaimWorkflowFailuresQueueUrl")) == []
    assert saga_app.client("dynamodb").scan(TableName=saga_app.output("ClaimsTableName"))["Items"] == []
