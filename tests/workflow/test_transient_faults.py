"""Property: one transient fault, anywhere, changes nothing about an order.

Each example imports one order (fulfilled, declined or unshippable) through the claim check,
the outbox and the saga, with one transient error injected once into one Lambda task, before
its effect or after it; the order's status, every ledger and what a consumer of the bus receives
must be what they are for the same kind of order without the fault. The catalogue is read from
the deployed definitions (`tests/workflow/fault_sweep.py`); the suite draws a few cases,
`make fault-sweep` runs all of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_runtime import LocalApp
from tests.workflow.fault_sweep import KINDS, Fault, Sweep, catalogue

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def sweep(assembly_dir: Path) -> Iterator[Sweep]:
    with LocalApp(assembly_dir, log_level="ERROR") as app:
        yield Sweep(app)


@pytest.fixture(scope="module")
def faults(sweep: Sweep) -> list[Fault]:
    return catalogue(sweep.app)


def test_the_catalogue_holds_every_task_of_the_three_workflows(faults: list[Fault]) -> None:
    # Every Lambda task the claim check, the outbox and the saga run is swept, with Lambda's
    # transient errors and the timeout, before and after the effect, and each adapter's own error
    states = {state for fault in faults for state in fault.states}
    assert {"IssueClaim", "BeginResolve", "VerifyPayload", "ImportRange", "FinishResolve"} <= states
    assert {"ClaimRecords", "SelectFailedEntries", "MarkPublished"} <= states
    assert {"BeginSaga", "ReserveInventory", "AuthorizePayment", "ArrangeShipment", "ConfirmOrder"} <= states
    assert {"Compensate", "CancelShipment", "VoidPayment", "ReleaseInventory", "CancelOrder"} <= states
    by_function: dict[str, set[tuple[str, bool]]] = {}
    for fault in faults:
        by_function.setdefault(fault.function, set()).add((fault.error, fault.after_effect))
    for cases in by_function.values():
        assert {("Sandbox.Timedout", True), ("Lambda.ServiceException", False)} <= cases
    errors = {fault.error for fault in faults}
    assert {"SagaStoreUnavailable", "OutboxStoreUnavailable", "PaymentProviderUnavailable"} <= errors


@settings(
    max_examples=int(os.environ.get("TRANSIENT_FAULT_EXAMPLES", "4")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_one_transient_fault_changes_nothing_about_an_order(
    sweep: Sweep, faults: list[Fault], kind: str, data: st.DataObject
) -> None:
    fault = data.draw(st.sampled_from(faults), label="fault")
    expected = sweep.baseline(kind)
    outcome = sweep.run(kind, fault)
    assert outcome.differences(expected) == {}, fault.label()
