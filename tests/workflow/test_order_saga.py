"""The order saga ASL on the embedded engine, with the real handlers, started the way production starts it:
orders API → outbox → bus → OrderPlaced rule → queue → pipe → saga. Each test asserts the ledgers
(stock, payments, shipments, order status, events written through the outbox), not only the execution.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from observability.slo import ORDERS_PARKED, SAGA_COMPLETION_TIME
from tests.workflow.outbox_helpers import tap_bus
from tests.workflow.saga_helpers import (
    STOCK,
    alerts,
    compensations_run,
    completed_forward_steps,
    failures_parked,
    order_for,
    order_status,
    outbox_types,
    payments,
    reservations,
    saga_executions,
    saga_of,
    shipments,
    start_order,
    stock,
    subscribe_alerts,
)
from tests.workflow.slo_values import slo_values

pytestmark = pytest.mark.workflow


def test_happy_path_confirms_the_order_and_books_every_ledger(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    tap = tap_bus(saga_app)
    order_id = start_order(saga_app, order_for(sample_order))
    provider.settle()
    execution = saga_of(saga_app, order_id)
    assert execution["status"] == "SUCCEEDED"
    assert saga_app.states_visited(execution["executionArn"])[-1] == "OrderConfirmed"
    assert order_status(saga_app, order_id)["status"] == "CONFIRMED"
    assert stock(saga_app) == {"SKU-KETTLE-01": 9, "SKU-MUG-02": 36}
    (payment,) = payments(saga_app)
    assert (payment["status"], payment["amount"]) == ("AUTHORIZED", 7390)
    assert [s["status"] for s in shipments(saga_app)] == ["BOOKED"]
    assert outbox_types(saga_app, order_id) == ["OrderPlaced", "OrderConfirmed"]
    events = saga_app.receive_all(tap)
    assert [e["detail-type"] for e in events if e["detail"]["aggregateId"] == order_id] == [
        "OrderPlaced",
        "OrderConfirmed",
    ]
    assert compensations_run(saga_app, execution["executionArn"]) == []
    # and ConfirmOrder reported the saga's time from start to confirmation (an SLO): the span of
    # its execution, which waited for the provider's answer
    (took,) = slo_values(saga_app, SAGA_COMPLETION_TIME)
    span = (execution["stopDate"] - execution["startDate"]).total_seconds() * 1000
    assert 0 < took <= span + 1


def test_out_of_stock_cancels_without_touching_payment_or_shipping(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    order = order_for(sample_order, items=[{"sku": "SKU-KETTLE-01", "quantity": 11, "unitPrice": 3990}])
    order_id = start_order(saga_app, order)
    provider.settle()
    execution = saga_of(saga_app, order_id)
    assert execution["status"] == "SUCCEEDED"
    assert saga_app.states_visited(execution["executionArn"])[-1] == "OrderCancelled"
    status = order_status(saga_app, order_id)
    assert status["status"] == "CANCELLED"
    assert "OutOfStock" in status["cancellationReason"]
    assert stock(saga_app) == STOCK
    assert payments(saga_app) == [] and shipments(saga_app) == []
    assert compensations_run(saga_app, execution["executionArn"]) == []
    assert outbox_types(saga_app, order_id) == ["OrderPlaced", "OrderCancelled"]


def test_a_declined_payment_releases_the_stock_and_charges_nothing(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    # Given an order above the provider's authorization limit (its ledger declines by rule)
    order = order_for(sample_order, items=[{"sku": "SKU-KETTLE-01", "quantity": 2, "unitPrice": 400000}])
    order_id = start_order(saga_app, order)
    provider.settle()
    execution = saga_of(saga_app, order_id)
    assert compensations_run(saga_app, execution["executionArn"]) == ["ReleaseInventory"]
    assert order_status(saga_app, order_id)["status"] == "CANCELLED"
    assert "PaymentDeclined" in order_status(saga_app, order_id)["cancellationReason"]
    assert [p["status"] for p in payments(saga_app)] == ["DECLINED"]
    assert stock(saga_app) == STOCK
    assert [r["status"] for r in reservations(saga_app)] == ["RELEASED"]
    # and a cancelled saga's time is reported as well as a confirmed one's (an SLO)
    assert len(slo_values(saga_app, SAGA_COMPLETION_TIME)) == 1


def test_a_payment_that_never_answers_times_out_and_a_late_answer_changes_nothing(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    order_id = start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    (request,) = provider.requested()
    # When the provider never answers: the 300 s heartbeat expires (in virtual time: at once)
    execution_arn = saga_of(saga_app, order_id)["executionArn"]
    description = saga_app.wait_for(execution_arn)
    saga_app.drain()
    assert description["status"] == "SUCCEEDED"
    visited = saga_app.states_visited(execution_arn)
    assert "PaymentOutcomeUnknown" in visited
    assert compensations_run(saga_app, execution_arn) == ["VoidPayment", "ReleaseInventory"]
    assert [p["status"] for p in payments(saga_app)] == ["WITHDRAWN"]
    assert stock(saga_app) == STOCK
    assert order_status(saga_app, order_id)["status"] == "CANCELLED"
    # When the provider answers after all: the webhook accepts the call but nothing moves
    assert provider.answer(request["authorizationId"], "AUTHORIZED") == 200
    saga_app.drain()
    assert [p["status"] for p in payments(saga_app)] == ["WITHDRAWN"]
    assert order_status(saga_app, order_id)["status"] == "CANCELLED"


def test_an_unsupported_destination_voids_the_payment_then_releases_stock(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    order = order_for(sample_order, shippingAddress={**sample_order["shippingAddress"], "country": "US"})
    order_id = start_order(saga_app, order)
    provider.settle()
    execution_arn = saga_of(saga_app, order_id)["executionArn"]
    assert completed_forward_steps(saga_app, execution_arn) == ["ReserveInventory", "AuthorizePayment"]
    assert compensations_run(saga_app, execution_arn) == ["VoidPayment", "ReleaseInventory"]
    assert [p["status"] for p in payments(saga_app)] == ["VOIDED"]
    assert shipments(saga_app) == []
    assert stock(saga_app) == STOCK
    assert "UnsupportedDestination" in order_status(saga_app, order_id)["cancellationReason"]


def test_a_forward_step_that_fails_for_good_is_undone_too(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    # Given the Lambda service failing every attempt of ArrangeShipment (not its business error)
    saga_app.lambdas.inject_failure(
        saga_app.function_name("ArrangeShipment"), "Lambda.ServiceException", times=10
    )
    order_id = start_order(saga_app, order_for(sample_order))
    provider.settle()
    execution_arn = saga_of(saga_app, order_id)["executionArn"]
    # Then its retries ran out, its outcome counts as unknown, and it is undone with the rest
    failed = [
        e["taskFailedEventDetails"]["error"]
        for e in saga_app.history(execution_arn)
        if e["type"] == "TaskFailed"
    ]
    assert failed == ["Lambda.ServiceException"] * 7  # the first attempt and its 6 retries
    assert "ShipmentOutcomeUnknown" in saga_app.states_visited(execution_arn)
    assert compensations_run(saga_app, execution_arn) == ["CancelShipment", "VoidPayment", "ReleaseInventory"]
    assert stock(saga_app) == STOCK
    assert [p["status"] for p in payments(saga_app)] == ["VOIDED"]
    assert order_status(saga_app, order_id)["status"] == "CANCELLED"


def test_a_compensation_that_fails_once_is_retried_and_succeeds(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    saga_app.lambdas.inject_failure(
        saga_app.function_name("ReleaseInventory"), "InventoryStoreUnavailable", times=1
    )
    order = order_for(sample_order, shippingAddress={**sample_order["shippingAddress"], "country": "US"})
    order_id = start_order(saga_app, order)
    provider.settle()
    execution_arn = saga_of(saga_app, order_id)["executionArn"]
    failed = [e for e in saga_app.history(execution_arn) if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failed] == [
        "UnsupportedDestination",
        "InventoryStoreUnavailable",
    ]
    assert compensations_run(saga_app, execution_arn) == ["VoidPayment", "ReleaseInventory"]
    assert stock(saga_app) == STOCK
    assert order_status(saga_app, order_id)["status"] == "CANCELLED"


def test_a_compensation_that_keeps_failing_parks_the_order_and_alerts(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    alert_queue = subscribe_alerts(saga_app)
    saga_app.lambdas.inject_failure(
        saga_app.function_name("VoidPayment"), "PaymentServiceUnavailable", times=50
    )
    order = order_for(sample_order, shippingAddress={**sample_order["shippingAddress"], "country": "US"})
    order_id = start_order(saga_app, order)
    provider.settle()
    execution = saga_of(saga_app, order_id)
    assert execution["status"] == "FAILED"
    assert execution["error"] == "CompensationFailed"
    assert "UnsupportedDestination" in execution["cause"]
    assert order_status(saga_app, order_id)["status"] == "NEEDS_ATTENTION"
    (alert,) = alerts(saga_app, alert_queue)
    assert alert["orderId"] == order_id
    assert alert["originalError"] == "UnsupportedDestination"
    assert alert["compensationError"] == "PaymentServiceUnavailable"
    assert sample_order["shippingAddress"]["name"] not in json.dumps(alert)
    (parked,) = failures_parked(saga_app)
    assert parked["detail"]["executionArn"] == execution["executionArn"]
    assert order_id in parked["detail"]["input"]
    # and the parked order is counted for the SLO of parked orders
    assert slo_values(saga_app, ORDERS_PARKED) == [1.0]


def test_a_duplicate_order_placed_has_one_saga_effect(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    # Given an order whose OrderPlaced event reaches the bus twice (a consumer must expect it)
    order_id = start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    (first,) = saga_executions(saga_app)
    body = json.loads(first["input"])[0]["body"]
    event = json.loads(body)
    saga_app.client("events").put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "EventBusName": saga_app.output("EventBusName"),
            }
        ]
    )
    provider.settle()
    executions = saga_executions(saga_app)
    assert len(executions) == 2
    endings = sorted(saga_app.states_visited(e["executionArn"])[-1] for e in executions)
    assert endings == ["DuplicateDelivery", "OrderConfirmed"]
    assert stock(saga_app) == {"SKU-KETTLE-01": 9, "SKU-MUG-02": 36}
    assert len(payments(saga_app)) == 1 and len(shipments(saga_app)) == 1
    assert outbox_types(saga_app, order_id) == ["OrderPlaced", "OrderConfirmed"]


def test_a_payment_callback_answered_twice_is_harmless(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    order_id = start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    (request,) = provider.requested()
    assert provider.answer(request["authorizationId"], "AUTHORIZED") == 200
    # A provider redelivering signs each delivery afresh (an identical one is a replay: 409)
    saga_app.advance(1)
    assert provider.answer(request["authorizationId"], "AUTHORIZED") == 200
    saga_app.advance(1)
    assert provider.answer(request["authorizationId"], "DECLINED", "changed its mind") == 200
    provider.settle()
    assert saga_of(saga_app, order_id)["status"] == "SUCCEEDED"
    assert order_status(saga_app, order_id)["status"] == "CONFIRMED"
    assert [p["status"] for p in payments(saga_app)] == ["AUTHORIZED"]


def test_a_malformed_order_placed_from_outside_the_outbox_is_refused_and_kept(saga_app: LocalApp) -> None:
    # Given a malformed OrderPlaced put on the bus by hand (no outbox wrote it)
    saga_app.client("events").put_events(
        Entries=[
            {
                "Source": "order-platform.orders",
                "DetailType": "OrderPlaced",
                "Detail": json.dumps({"eventId": "e-1", "aggregateId": "o-1", "data": {"orderId": "o-1"}}),
                "EventBusName": saga_app.output("EventBusName"),
            }
        ]
    )
    saga_app.drain()
    # Then it is refused as forged (not cancelling the order it names), and the message is parked
    (execution,) = saga_executions(saga_app)
    assert (execution["status"], execution["error"]) == ("FAILED", "ForgedOrderEvent")
    (parked,) = failures_parked(saga_app)
    assert '"aggregateId": "o-1"' in json.loads(parked["detail"]["input"])[0]["body"]
    assert payments(saga_app) == [] and stock(saga_app) == STOCK


def test_an_order_with_an_unknown_sku_is_cancelled_with_the_reason_and_nothing_charged(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    order = order_for(sample_order, items=[{"sku": "SKU-NOT-SOLD", "quantity": 1, "unitPrice": 100}])
    order_id = start_order(saga_app, order)
    provider.settle()
    execution = saga_of(saga_app, order_id)
    assert (execution["status"], execution["error"]) == ("FAILED", "InvalidOrderEvent")
    status = order_status(saga_app, order_id)
    assert status["status"] == "CANCELLED"
    assert "SKU-NOT-SOLD" in status["cancellationReason"]
    assert payments(saga_app) == [] and stock(saga_app) == STOCK
    (parked,) = failures_parked(saga_app)
    assert order_id in parked["detail"]["input"]
    assert outbox_types(saga_app, order_id) == ["OrderPlaced", "OrderCancelled"]


def test_orders_flow_end_to_end_to_confirmed_and_cancelled_events_on_the_bus(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    # Given a consumer on the bus
    tap = tap_bus(saga_app)
    # When one good order and one the carrier cannot ship are placed through the API
    good = start_order(saga_app, order_for(sample_order))
    unshippable = {**sample_order["shippingAddress"], "country": "US"}
    bad = start_order(saga_app, order_for(sample_order, shippingAddress=unshippable))
    provider.settle()
    # Then the consumer saw each order's story, each event once
    by_order: dict[str, list[str]] = {}
    for event in saga_app.receive_all(tap):
        by_order.setdefault(event["detail"]["aggregateId"], []).append(event["detail-type"])
    assert by_order == {good: ["OrderPlaced", "OrderConfirmed"], bad: ["OrderPlaced", "OrderCancelled"]}
