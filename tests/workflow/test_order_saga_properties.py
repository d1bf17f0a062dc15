"""Property: whatever step fails and however the compensations misbehave, the saga undoes exactly
what it did, in reverse, and money and stock come back, or the order is parked and alerted."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from tests.workflow.outbox_helpers import tap_bus
from tests.workflow.saga_helpers import (
    COMPENSATIONS,
    FORWARD_UNDO,
    alerts,
    compensations_run,
    order_for,
    order_status,
    outbox_types,
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


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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


# --- faults after the effect ---------------------------------------------------------------------

FORWARD_FUNCTIONS = ("ReserveInventory", "RequestPayment", "ArrangeShipment", "ConfirmOrder")
AFTER_EFFECT_ERRORS = ("Lambda.ServiceException", "Sandbox.Timedout", "SagaStoreUnavailable")
ANNOUNCED = ("OrderConfirmed", "OrderCancelled")


@pytest.fixture(scope="module")
def tapped_world(
    world: tuple[LocalApp, PaymentProvider, str],
) -> tuple[LocalApp, PaymentProvider, str, str]:
    app, provider, alert_queue = world
    return app, provider, alert_queue, tap_bus(app)


_after_effect_fault = st.one_of(
    st.none(), st.tuples(st.sampled_from(AFTER_EFFECT_ERRORS), st.sampled_from([1, 2, 10]))
)


@settings(
    max_examples=int(os.environ.get("SAGA_PROPERTY_EXAMPLES", "10")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    business_failure=st.sampled_from(["none", "payment_declined", "shipment"]),
    forward=st.fixed_dictionaries({name: _after_effect_fault for name in FORWARD_FUNCTIONS}),
    compensations=st.fixed_dictionaries(
        {name: _after_effect_fault for name in (*COMPENSATIONS, "CancelOrder")}
    ),
)
def test_after_the_effect_money_and_stock_come_back_or_the_order_is_parked_and_never_undone_once_confirmed(
    tapped_world: tuple[LocalApp, PaymentProvider, str, str],
    sample_order: dict[str, Any],
    business_failure: str,
    forward: dict[str, tuple[str, int] | None],
    compensations: dict[str, tuple[str, int] | None],
) -> None:
    app, provider, alert_queue, tap = tapped_world
    app.lambdas.clear_failures()
    app.receive_all(alert_queue)
    app.receive_all(tap)
    for function, fault in {**forward, **compensations}.items():
        if fault is not None:
            error, times = fault
            app.lambdas.inject_failure(app.function_name(function), error, times=times, after_effect=True)
    stock_before = stock(app)
    order_id = start_order(app, _order(sample_order, business_failure))
    provider.settle()

    status = order_status(app, order_id)
    announced = [t for t in outbox_types(app, order_id) if t in ANNOUNCED]
    consumed = [e["detail-type"] for e in app.receive_all(tap) if e["detail"].get("aggregateId") == order_id]
    mine = [p for p in payments(app) if p["orderId"] == order_id]
    booked = [s for s in shipments(app) if s["orderId"] == order_id and s["status"] == "BOOKED"]
    # A saga announces one outcome, once; a confirmed order is never undone
    assert announced in ([], ["OrderConfirmed"], ["OrderCancelled"]), announced
    assert [t for t in consumed if t in ANNOUNCED] == announced
    if announced == ["OrderConfirmed"]:
        assert status["status"] == "CONFIRMED"
        assert [p["status"] for p in mine] == ["AUTHORIZED"] and len(booked) == 1
        assert stock(app) != stock_before
        return
    if status["status"] == "NEEDS_ATTENTION":
        assert order_id in [a["orderId"] for a in alerts(app, alert_queue)]
        return
    # Cancelled: every unit of stock back, no money held, nothing shipping
    assert (status["status"], announced) == ("CANCELLED", ["OrderCancelled"])
    assert stock(app) == stock_before
    assert all(p["status"] in ("DECLINED", "VOIDED", "WITHDRAWN") for p in mine)
    assert booked == []
