"""Every state machine starts by hand from its sample in sample_events/, taken as it is.

Each sample is the input its trigger delivers (a pipe batch, a stream record, the sweeper's
input), with made-up ids, so on a stack that holds none of them each start reaches the outcome
the README's "Start executions" section documents, by name, and writes nothing it should not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local_runtime import LocalApp
from tests.workflow.saga_helpers import payments, reservations, shipments

pytestmark = pytest.mark.workflow

SAMPLES = Path(__file__).resolve().parents[2] / "sample_events"
# sample -> (its state machine's output, status, error, last state)
DOCUMENTED = {
    "outbox_publisher": ("OutboxPublisherStateMachineArn", "SUCCEEDED", None, "NothingToPublish"),
    "order_saga": ("OrderSagaStateMachineArn", "FAILED", "ForgedOrderEvent", "OrderEventRefused"),
    "account_change_notification": (
        "AccountChangeNotificationStateMachineArn",
        "SUCCEEDED",
        None,
        "NothingToNotify",
    ),
    "claim_check_split": ("ClaimCheckSplitStateMachineArn", "FAILED", "IntakeRejected", "IntakeRejected"),
    "claim_check_resolve": ("ClaimCheckResolveStateMachineArn", "FAILED", "ClaimRejected", "ClaimRejected"),
}


def test_every_state_machine_has_a_hand_start_sample() -> None:
    definitions = {
        path.name.removesuffix(".asl.json") for path in (SAMPLES.parent / "asl").glob("*.asl.json")
    }
    assert definitions == set(DOCUMENTED)
    assert all((SAMPLES / f"{name}.json").is_file() for name in definitions)


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_a_hand_start_from_the_sample_reaches_its_documented_outcome(app: LocalApp, name: str) -> None:
    output, status, error, last_state = DOCUMENTED[name]
    sfn = app.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=app.output(output), input=(SAMPLES / f"{name}.json").read_text()
    )["executionArn"]
    app.drain()
    described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
    assert (described["status"], described.get("error")) == (status, error)
    assert app.states_visited(arn)[-1] == last_state
    # A hand-started saga for an order that does not exist reserves, requests and books nothing
    assert reservations(app) == payments(app) == shipments(app) == []
