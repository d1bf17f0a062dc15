"""An execution's history as a trace: states, durations on the virtual clock, retries, caught
errors and the failure path, read through the Step Functions API as the command does."""

from __future__ import annotations

from typing import Any

import pytest

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from tests.workflow.saga_helpers import order_for, saga_of, start_order
from visualize.trace import failure_path_states, main

pytestmark = pytest.mark.workflow


def test_a_compensated_saga_reads_as_what_happened(
    saga_app: LocalApp,
    provider: PaymentProvider,
    sample_order: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a saga whose reservation is retried once and whose shipment cannot be booked
    saga_app.lambdas.inject_failure(
        saga_app.function_name("ReserveInventory"), "Lambda.ServiceException", times=1
    )
    order = order_for(sample_order, shippingAddress={**sample_order["shippingAddress"], "country": "US"})
    order_id = start_order(saga_app, order)
    provider.settle()
    # When its trace is printed
    assert main([saga_of(saga_app, order_id)["executionArn"]]) == 0
    lines = capsys.readouterr().out.splitlines()
    by_state = {line.replace("↩", "").split()[2]: line for line in lines[1:-1]}
    # Then each state is there with what happened to it, in virtual seconds
    assert "retried 1x after Lambda.ServiceException" in by_state["ReserveInventory"]
    assert "waited for its task token" in by_state["AuthorizePayment"]
    assert " 2.000s" in by_state["AuthorizePayment"]  # the provider answered 2 virtual seconds later
    assert "✗ UnsupportedDestination, caught -> Compensate" in by_state["ArrangeShipment"]
    assert "↩ VoidPayment" in by_state["VoidPayment"] and "↩ ReleaseInventory" in by_state["ReleaseInventory"]
    assert "↩" not in by_state["ReserveInventory"]
    assert lines[-1].startswith("  SUCCEEDED after")


def test_the_command_refuses_what_is_not_an_execution(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["arn:aws:states:eu-west-1:123456789012:stateMachine:Nope"]) == 2
    assert "not an execution ARN" in capsys.readouterr().err


def test_failure_path_states_are_those_on_from_a_catch_or_leading_only_there() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Next": "B", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Undo"}]},
            "B": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "BooleanEquals": True, "Next": "Done"}],
                "Default": "Wrong",
            },
            "Wrong": {"Type": "Pass", "Next": "Undo"},
            "Undo": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.y", "IsPresent": True, "Next": "Done"}],
                "Default": "Failed",
            },
            "Failed": {"Type": "Fail"},
            "Done": {"Type": "Succeed"},
        },
    }
    # Wrong is reached without a Catch, but only leads into one's path; Done ends both paths
    assert failure_path_states(definition) == {"Wrong", "Undo", "Failed"}
