"""The platform's locks, raced: invocations run side by side and their conditional writes meet.

Each race is staged (`app.races.gather`): the writes that decide who wins reach storage at the
same moment, from invocations running at once. On atomic storage one party wins and the others
end as the design says. Each test has its twin without atomic storage (moto as shipped), where
the very same race breaks the lock: two sagas own one order, stock is oversold, an event is
published twice, a claim is imported twice. So the suite proves each lock, not only its happy path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp, storage
from tests.workflow.outbox_helpers import delivered_event_ids, orders, outbox_records, place_order, tap_bus
from tests.workflow.saga_helpers import (
    order_for,
    order_status,
    race_reservations,
    reservations,
    saga_executions,
    seed_stock,
    start_order,
    stock,
)
from tests.workflow.test_claim_check import _line, _take_claim_message, _upload

pytestmark = pytest.mark.workflow

ATOMIC = pytest.param(True, id="atomic")
UNPATCHED = pytest.param(False, id="without-atomic-storage")


def _storage(atomic: bool) -> AbstractContextManager[None]:
    return nullcontext() if atomic else storage.disabled()


@pytest.fixture
def platform(assembly_dir: Path) -> Iterator[LocalApp]:
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        yield app


@pytest.mark.parametrize("atomic", [ATOMIC, UNPATCHED])
def test_two_duplicate_deliveries_start_two_sagas_at_once_and_one_owns_the_order(
    platform: LocalApp, sample_order: dict[str, Any], atomic: bool
) -> None:
    app = platform
    seed_stock(app, {"SKU-KETTLE-01": 10, "SKU-MUG-02": 40})
    app.add_party(PaymentProvider(app))
    # Given an OrderPlaced delivered twice to the saga's queue (SQS delivers at least once)
    app.pause_pipe("OrderSaga")
    order_id = start_order(app, order_for(sample_order))
    app.drain()
    queue = app.output("OrderSagaQueueUrl")
    (message,) = app.client("sqs").receive_message(QueueUrl=queue)["Messages"]
    app.client("sqs").send_message(QueueUrl=queue, MessageBody=message["Body"])
    app.client("sqs").change_message_visibility(
        QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    # When both sagas start together and their BeginSaga lock writes meet
    race = app.races.gather(
        "dynamodb",
        "PutItem",
        target=app.output("OrdersTableName"),
        function=app.function_name("OrderSaga/BeginSagaFunction"),
    )
    with _storage(atomic):
        app.resume_pipe("OrderSaga")
        app.drain()
    assert race.released, "both BeginSaga invocations reached the lock at once"
    endings = sorted(app.states_visited(e["executionArn"])[-1] for e in saga_executions(app))
    if atomic:
        # Then exactly one saga owns the order; the other is a named duplicate that did nothing
        assert endings == ["DuplicateDelivery", "OrderConfirmed"]
        assert stock(app) == {"SKU-KETTLE-01": 9, "SKU-MUG-02": 36}
        assert order_status(app, order_id)["status"] == "CONFIRMED"
    else:
        # Without atomic storage both won the conditional put: two sagas own one order
        assert "DuplicateDelivery" not in endings


@pytest.mark.parametrize("atomic", [ATOMIC, UNPATCHED])
def test_orders_racing_for_the_last_units_never_oversell(
    platform: LocalApp, sample_order: dict[str, Any], atomic: bool
) -> None:
    app = platform
    # Given 2 kettles left and 3 orders of one kettle each, whose reservations meet at once
    seed_stock(app, {"SKU-KETTLE-01": 2, "SKU-MUG-02": 40})
    app.add_party(PaymentProvider(app))
    race = race_reservations(app, parties=3)
    with _storage(atomic):
        placed = [start_order(app, order_for(sample_order)) for _ in range(3)]
        app.drain()
    assert race.released, "the three reservations reached the inventory at once"
    statuses = sorted(order_status(app, order_id)["status"] for order_id in placed)
    if atomic:
        # Then two orders got the two kettles, one was cancelled for want of stock, none oversold
        assert statuses == ["CANCELLED", "CONFIRMED", "CONFIRMED"]
        assert stock(app) == {"SKU-KETTLE-01": 0, "SKU-MUG-02": 32}
        assert len(reservations(app)) == 2
    else:
        # Without atomic storage every reservation passed `available >= 1`: kettles oversold
        assert stock(app)["SKU-KETTLE-01"] < 0


@pytest.mark.parametrize("atomic", [ATOMIC, UNPATCHED])
def test_the_sweeper_and_the_pipe_claiming_one_record_publish_it_once(
    platform: LocalApp, sample_order: dict[str, Any], atomic: bool
) -> None:
    app = platform
    app.pause_pipe("OrderSaga")
    tap = tap_bus(app)
    # Given an order whose outbox record is old enough for the sweeper when the pipe delivers it
    app.pause_pipe("OutboxPublisher")
    place_order(app, sample_order)
    app.advance(timedelta(minutes=3))
    (record,) = outbox_records(app)
    # When the sweeper and the pipe's publisher claim it at the same moment
    race = app.races.gather(
        "dynamodb",
        "UpdateItem",
        target=app.output("OrdersTableName"),
        function=app.function_name("OutboxPublisher/ClaimFunction"),
    )
    with _storage(atomic):
        app.run_schedule("OutboxPublisher/SweeperSchedule")
        app.resume_pipe("OutboxPublisher")
        app.drain()
    assert race.released, "both claims reached the record at once"
    delivered = delivered_event_ids(app, tap)
    if atomic:
        # Then one of them published it, once, and the record is PUBLISHED
        assert delivered == {record["eventId"]: 1}
        assert outbox_records(app)[0]["status"] == "PUBLISHED"
    else:
        # Without atomic storage both claims won: the consumer got the event twice
        assert delivered == {record["eventId"]: 2}


@pytest.mark.parametrize("atomic", [ATOMIC, UNPATCHED])
def test_two_resolves_of_one_claim_at_once_import_it_once(platform: LocalApp, atomic: bool) -> None:
    app = platform
    app.pause_pipe("OrderSaga")
    # Given a claim of 3 orders whose ClaimCheckIssued message is delivered twice
    app.pause_pipe("ClaimCheck/Resolve")
    _upload(app, ("\n".join(_line(customerId=f"race-{n}") for n in range(3)) + "\n").encode())
    app.drain()
    message = _take_claim_message(app)
    resolve_queue = app.queue_url("ClaimCheck/Resolve/ClaimQueue/")
    for _ in range(2):
        app.client("sqs").send_message(QueueUrl=resolve_queue, MessageBody=message["Body"])
    # When both resolves start and their gates meet
    race = app.races.gather(
        "dynamodb",
        "UpdateItem",
        target=app.output("ClaimsTableName"),
        function=app.function_name("ClaimCheck/BeginResolve"),
    )
    with _storage(atomic):
        app.resume_pipe("ClaimCheck/Resolve")
        app.drain()
    assert race.released, "both resolves reached the claim at once"
    endings = sorted(app.states_visited(e["executionArn"])[-1] for e in app.executions("ClaimCheck/Resolve"))
    imports = [
        e
        for e in app.executions("ClaimCheck/Resolve")
        if "ImportLines" in app.states_visited(e["executionArn"])
    ]
    if atomic:
        # Then one imported and the other was a named duplicate; each order exists once
        assert endings == ["DuplicateClaim", "Resolved"]
        assert len(imports) == 1
        assert len(orders(app)) == 3
    else:
        # Without atomic storage both took the gate: the claim was imported twice
        assert len(imports) == 2


def test_a_race_that_nobody_joins_lets_the_lone_party_through(platform: LocalApp) -> None:
    """A gathered call whose partner never comes goes on alone once the gate's time is up."""
    app = platform
    app.pause_pipe("OrderSaga")
    race = app.races.gather(
        "dynamodb", "TransactWriteItems", target=app.output("OrdersTableName"), parties=2, timeout=1.0
    )
    sample = json.loads((Path(__file__).parents[2] / "sample_events" / "place_order.json").read_text())
    before = app.now()
    created = place_order(app, sample)
    assert created["orderId"]
    assert (race.arrived, race.released) == (1, False)
    assert app.now() - before >= timedelta(seconds=1)
