"""Property: whatever step fails and however the compensations misbehave, the saga undoes exactly
what it did, in reverse, and money and stock come back, or the order is parked and alerted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from tests.workflow.saga_helpers import (
    COMPENSATIONS,
    FORWARD_UNDO,
    alerts,
    compensations_run,
    order_for,
    order_status,
    payments,
    saga_of,
    seed_stock,
    shipments,
    start_order,
    steps_that_may_have_taken_effect,
    stock,
    subscribe_alerts,
)

pytestmark = pytest.mark.workflow

FAILING_STEPS = (
    "none",
    "reserve",
    "reserve_for_good",
    "payment_declined",
    "payment_timeout",
    "shipment",
    "shipment_for_good",
    "confirm",
)


@pytest.fixture(scope="module")
def world(assembly_dir: Path) -> Iterator[tuple[LocalApp, PaymentProvider, str]]:
    """One app for every example: each example places its own order. Time scale 1/200."""
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        seed_stock(app, {"SKU-KETTLE-01": 1_000, "SKU-MUG-02": 1_000})
        yield app, PaymentProvider(app), subscribe_alerts(app)


def _order(sample: dict[str, Any], failing_step: str) -> dict[str, Any]:
    order = order_for(sample)
    if failing_step == "reserve":
        order["items"] = [{"sku": "SKU-KETTLE-01", "quantity": 100_000, "unitPrice": 1}]
    elif failing_step == "payment_declined":
        order["items"] = [{"sku": "SKU-KETTLE-01", "quantity": 1, "unitPrice": 900_000}]
    elif failing_step == "shipment":
        order["shippingAddress"] = {**sample["shippingAddress"], "country": "US"}
    return order


@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    failing_step=st.sampled_from(FAILING_STEPS),
    faults=st.fixed_dictionaries({name: st.sampled_from([0, 1, 2, 10]) for name in COMPENSATIONS}),
)
def test_compensations_are_the_exact_reverse_of_what_completed(
    world: tuple[LocalApp, PaymentProvider, str],
    sample_order: dict[str, Any],
    failing_step: str,
    faults: dict[str, int],
) -> None:
    app, provider, alert_queue = world
    app.lambdas.clear_failures()
    app.receive_all(alert_queue)
    for state, times in faults.items():
        if times:
            app.lambdas.inject_failure(app.function_name(state), "LedgerUnavailable", times=times)
    if failing_step == "confirm":
        app.lambdas.inject_failure(app.function_name("ConfirmOrder"), "OrderStoreCorrupt", times=1)
    if failing_step.endswith("_for_good"):  # the Lambda service keeps failing: retries run out
        function = {"reserve_for_good": "ReserveInventory", "shipment_for_good": "ArrangeShipment"}[
            failing_step
        ]
        app.lambdas.inject_failure(app.function_name(function), "Lambda.ServiceException", times=10)
    stock_before = stock(app)
    payments_before = {p["authorizationId"] for p in payments(app)}

    order_id = start_order(app, _order(sample_order, failing_step))
    if failing_step == "payment_timeout":
        app.drain()
        app.wait_for(saga_of(app, order_id)["executionArn"])
    provider.settle()

    execution = saga_of(app, order_id)
    arn = execution["executionArn"]
    completed = steps_that_may_have_taken_effect(app, arn)
    expected = [FORWARD_UNDO[step] for step in reversed(completed)]
    ran = compensations_run(app, arn)
    status = order_status(app, order_id)["status"]
    new_payments = [p for p in payments(app) if p["authorizationId"] not in payments_before]

    if failing_step == "none":
        assert (status, ran) == ("CONFIRMED", [])
        return
    if status == "NEEDS_ATTENTION":
        # the compensation that failed for good stopped the chain: what ran is a prefix of the plan
        assert ran == expected[: len(ran)] and len(ran) < len(expected)
        assert execution["error"] == "CompensationFailed"
        assert [a["orderId"] for a in alerts(app, alert_queue)] == [order_id]
        return
    assert status == "CANCELLED"
    assert ran == expected
    assert stock(app) == stock_before
    assert all(p["status"] in ("DECLINED", "VOIDED", "WITHDRAWN") for p in new_payments)
    assert all(s["status"] != "BOOKED" for s in shipments(app) if s["orderId"] == order_id)
