"""The platform on virtual time: outcomes depend on what happened when, never on the machine's speed.

A payment answered inside the saga's 300 s heartbeat confirms the order and one answered after it
times out, whatever the load; a burst of orders gives every order the same path, errors and outcome
as an order placed alone (a burst may meet Lambda's concurrency, whose throttles the Retry policies
absorb: those are the only difference); the outbox sweeper runs because its rate passed, not because
a test called it.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from tests.workflow.outbox_helpers import delivered_event_ids, orders, outbox_records, place_order, tap_bus
from tests.workflow.saga_helpers import order_for, order_status, saga_of, seed_stock, start_order

pytestmark = pytest.mark.workflow

HEARTBEAT = timedelta(seconds=300)  # the saga's AuthorizePayment HeartbeatSeconds
THROTTLED = "Lambda.TooManyRequestsException"


@pytest.mark.parametrize(
    ("answer_after", "status", "payment_unknown"),
    [(timedelta(minutes=4), "CONFIRMED", False), (timedelta(minutes=6), "CANCELLED", True)],
)
def test_a_payment_answer_counts_only_inside_the_heartbeat_in_virtual_time(
    assembly_dir: Path,
    sample_order: dict[str, Any],
    answer_after: timedelta,
    status: str,
    payment_unknown: bool,
) -> None:
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        seed_stock(app, {"SKU-KETTLE-01": 10, "SKU-MUG-02": 40})
        # Given a provider that answers every request `answer_after` it appeared
        app.add_party(PaymentProvider(app, answer_after=answer_after))
        # When an order is placed and the platform runs until quiet
        order_id = start_order(app, order_for(sample_order))
        app.drain()
        # Then the order's fate is decided by virtual time alone
        assert order_status(app, order_id)["status"] == status
        saga = saga_of(app, order_id)
        assert ("PaymentOutcomeUnknown" in app.states_visited(saga["executionArn"])) is payment_unknown
        took = saga["stopDate"] - saga["startDate"]
        assert took >= (HEARTBEAT if payment_unknown else answer_after)


def _kinds(sample: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "fulfilled": order_for(sample),
        "declined": order_for(sample, items=[{"sku": "SKU-KETTLE-01", "quantity": 2, "unitPrice": 400000}]),
        "unshippable": order_for(sample, shippingAddress={**sample["shippingAddress"], "country": "US"}),
    }


def _burst(assembly_dir: Path, sample: dict[str, Any], per_kind: int) -> Counter[tuple[Any, ...]]:
    """Place `per_kind` orders of each kind at once; what each order went through, counted."""
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        seed_stock(app, {"SKU-KETTLE-01": 10 * per_kind, "SKU-MUG-02": 40 * per_kind})
        app.add_party(PaymentProvider(app, answer_after=timedelta(seconds=30)))
        placed = [
            (kind, start_order(app, {**order, "customerId": f"{kind}-{n}"}))
            for n in range(per_kind)
            for kind, order in _kinds(sample).items()
        ]
        app.drain()
        sagas = app.executions(app.output("OrderSagaStateMachineArn"))
        status = {o["orderId"]: o["status"] for o in orders(app)}
        seen: Counter[tuple[Any, ...]] = Counter()
        for kind, order_id in placed:
            (arn,) = [e["executionArn"] for e in sagas if order_id in e["input"]]
            errors = tuple(
                event[key]["error"]
                for event in app.history(arn)
                for key in ("taskFailedEventDetails", "executionFailedEventDetails")
                if key in event and event[key]["error"] != THROTTLED
            )
            seen[(kind, status[order_id], tuple(app.states_visited(arn)), errors)] += 1
        return seen


def test_a_burst_of_orders_gives_each_the_history_it_has_alone(
    assembly_dir: Path, sample_order: dict[str, Any]
) -> None:
    # Given one order of each kind alone, then 5 of each (15) placed at once (`make bench` runs
    # bursts of 500)
    alone = _burst(assembly_dir, sample_order, per_kind=1)
    burst = _burst(assembly_dir, sample_order, per_kind=5)
    # Then every order of a kind went through exactly what the lone order of that kind went through
    assert len(alone) == 3
    assert burst == Counter({history: 5 for history in alone})


def test_the_sweeper_republishes_a_record_whose_stream_delivery_was_lost(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given an order whose stream record never reaches the publisher (the pipe is down)
    tap = tap_bus(app)
    app.pause_pipe("OutboxPublisher")
    place_order(app, sample_order)
    app.drain()
    assert outbox_records(app)[0]["status"] == "PENDING"
    # When five minutes pass (the sweeper's rate), with no test calling the schedule
    app.advance(timedelta(minutes=5))
    # Then the sweeper's run published the record, once
    (record,) = outbox_records(app)
    assert record["status"] == "PUBLISHED"
    assert delivered_event_ids(app, tap) == {record["eventId"]: 1}
    sweeps = [e for e in app.executions(app.output("OutboxPublisherStateMachineArn"))]
    assert [e["name"].startswith("schedule-") for e in sweeps] == [True]


def test_time_stands_still_until_something_is_due(assembly_dir: Path) -> None:
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        start = app.now()
        # Settling moves nothing when nothing is due, and advancing moves exactly that far
        app.settle()
        assert app.now() == start
        app.advance(timedelta(hours=3))
        assert app.now() - start == timedelta(hours=3)
        # An outside party's move happens at its own virtual time
        moved: list[Any] = []
        app.after(timedelta(minutes=20), lambda: moved.append(app.now()))
        app.run_until(lambda: bool(moved), within=timedelta(hours=1))
        assert moved == [start + timedelta(hours=3, minutes=20)]
