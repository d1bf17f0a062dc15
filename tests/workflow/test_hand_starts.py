"""Every state machine starts by hand from its sample in sample_events/, taken as it is.

Each sample has made-up ids, so on a stack that holds none of them each start reaches the outcome
the README's "Start executions" section documents, by name, and writes nothing it should not.
Where the trigger's input is unnatural for a person (the saga's pipe batch), the sample is the
plain form the workflow also takes, and ``<name>.from_pipe.json`` is what the trigger delivers:
both meet the same checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from event_contracts.versions import PUBLISHED, VERSION_FIELD

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from local_runtime.serve import LocalEndpoint
from tests.workflow.aws_cli import aws
from tests.workflow.contract_check import contract_problems
from tests.workflow.saga_helpers import (
    STOCK,
    order_for,
    order_status,
    payments,
    reservations,
    seed_stock,
    shipments,
    start_order,
)

pytestmark = pytest.mark.workflow

SAMPLES = Path(__file__).resolve().parents[2] / "sample_events"
# sample -> (its state machine's output, status, error, last state)
DOCUMENTED = {
    "outbox_publisher": ("OutboxPublisherStateMachineArn", "SUCCEEDED", None, "NothingToPublish"),
    "order_saga": ("OrderSagaStateMachineArn", "FAILED", "ForgedOrderEvent", "OrderEventRefused"),
    "order_saga.from_pipe": ("OrderSagaStateMachineArn", "FAILED", "ForgedOrderEvent", "OrderEventRefused"),
    "account_change_notification": (
        "AccountChangeNotificationStateMachineArn",
        "SUCCEEDED",
        None,
        "NothingToNotify",
    ),
    "account_change_notification.from_pipe": (
        "AccountChangeNotificationStateMachineArn",
        "SUCCEEDED",
        None,
        "NothingToNotify",
    ),
    "claim_check_split": ("ClaimCheckSplitStateMachineArn", "FAILED", "IntakeRejected", "IntakeRejected"),
    "claim_check_resolve": ("ClaimCheckResolveStateMachineArn", "FAILED", "ClaimRejected", "ClaimRejected"),
    "claim_check_resolve.from_pipe": (
        "ClaimCheckResolveStateMachineArn",
        "FAILED",
        "ClaimRejected",
        "ClaimRejected",
    ),
}


def test_every_state_machine_has_a_hand_start_sample() -> None:
    definitions = {
        path.name.removesuffix(".asl.json") for path in (SAMPLES.parent / "asl").glob("*.asl.json")
    }
    assert definitions == {name.partition(".")[0] for name in DOCUMENTED}
    answers = {"place_order", "customer_order", "payment_callback_authorized", "payment_notice_authorized"}
    assert {path.stem for path in SAMPLES.glob("*.json")} - answers == set(DOCUMENTED)


def test_a_hand_start_with_a_real_orders_event_envelope_runs_its_saga_to_confirmation(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given an order placed through the API, whose OrderPlaced waits in the saga's queue (its
    # pipe is paused), and the provider answering payments
    seed_stock(app, STOCK)
    app.add_party(PaymentProvider(app))
    order_id = start_order(app, order_for(sample_order))
    app.drain()
    (event,) = app.receive_all(app.queue_url("OrderSaga/OrderPlacedQueue/"))
    # When an operator starts the saga by hand with the event's envelope (its detail)
    sfn = app.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=app.output("OrderSagaStateMachineArn"), input=json.dumps(event["detail"])
    )["executionArn"]
    app.drain()
    # Then the order's saga runs as the pipe's would have: reserved, paid, shipped, confirmed
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
    assert app.states_visited(arn)[-1] == "OrderConfirmed"
    assert order_status(app, order_id)["status"] == "CONFIRMED"
    assert len(reservations(app)) == len(payments(app)) == len(shipments(app)) == 1


def test_every_sample_started_with_the_aws_cli_through_the_endpoint_reaches_its_outcome(
    app: LocalApp,
) -> None:
    endpoint = LocalEndpoint(app, "127.0.0.1", 0, 0).start()
    try:
        outputs = endpoint.outputs()[app.stack.name]
        for name, (output, status, error, last_state) in sorted(DOCUMENTED.items()):
            # When a user starts the state machine with its sample, as the README says
            started = aws(
                endpoint.url,
                "stepfunctions",
                "start-execution",
                "--state-machine-arn",
                outputs[output],
                "--input",
                f"file://{SAMPLES / f'{name}.json'}",
            )
            app.drain()
            described = app.client("stepfunctions").describe_execution(executionArn=started["executionArn"])
            # Then it ends as documented, by name
            assert (described["status"], described.get("error")) == (status, error), name
            assert app.states_visited(started["executionArn"])[-1] == last_state, name
        # and a hand-started saga for an order that does not exist reserved, requested and booked nothing
        assert reservations(app) == payments(app) == shipments(app) == []
    finally:
        endpoint.stop()


def _sample_problems(source: str, event_type: str, detail: dict[str, Any]) -> list[str]:
    """Why a sample's event detail breaks the committed schema of the version it states."""
    entry = {"FromPlatform": True, "Source": source, "DetailType": event_type, "Detail": json.dumps(detail)}
    return contract_problems([entry])


def test_the_event_samples_state_the_published_version_and_keep_its_schema() -> None:
    # The saga's hand-start samples are the OrderPlaced envelope as the platform publishes it now
    envelope = json.loads((SAMPLES / "order_saga.json").read_text())
    (record,) = json.loads((SAMPLES / "order_saga.from_pipe.json").read_text())
    for detail in (envelope, json.loads(record["body"])["detail"]):
        assert detail[VERSION_FIELD] == PUBLISHED["OrderPlaced"]
        assert _sample_problems("order-platform.orders", "OrderPlaced", detail) == []
    # and the claim resolve's pipe sample is ClaimCheckIssued as the split publishes it
    (claim,) = json.loads((SAMPLES / "claim_check_resolve.from_pipe.json").read_text())
    issued = json.loads(claim["body"])["detail"]
    assert issued[VERSION_FIELD] == PUBLISHED["ClaimCheckIssued"]
    assert _sample_problems("order-platform.claim-check", "ClaimCheckIssued", issued) == []
