"""Failures after the effect: a step wrote, then failed (its response lost, its Lambda timed out,
its next call throttled). Started the way production starts them (orders API → outbox → bus →
queue → pipe → saga); each test asserts the ledgers, the order and what a consumer received.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from operations.redrive_saga import RedriveReport, redrive_parked_sagas
from tests.workflow.outbox_helpers import items, tap_bus
from tests.workflow.saga_helpers import (
    STOCK,
    alerts,
    compensations_run,
    failures_parked,
    order_for,
    order_status,
    outbox_types,
    payments,
    saga_executions,
    saga_of,
    shipments,
    start_order,
    stock,
    subscribe_alerts,
)

pytestmark = pytest.mark.workflow

AFTER_ONE_ORDER = {"SKU-KETTLE-01": 9, "SKU-MUG-02": 36}
THROTTLED = "ProvisionedThroughputExceededException"


def _consumed(app: LocalApp, tap: str, order_id: str) -> list[str]:
    """The event types a consumer of the bus received for one order, in order."""
    events = app.receive_all(tap)
    return [e["detail-type"] for e in events if e["detail"].get("aggregateId") == order_id]


def _task_failures(app: LocalApp, execution_arn: str, state: str) -> list[str]:
    failures, current = [], None
    for event in app.history(execution_arn):
        if "stateEnteredEventDetails" in event:
            current = event["stateEnteredEventDetails"]["name"]
        elif event["type"] == "TaskFailed" and current == state:
            failures.append(event["taskFailedEventDetails"]["error"])
    return failures


def _assert_confirmed_once(app: LocalApp, tap: str, order_id: str) -> None:
    """Confirmed, every ledger holding exactly one order's worth, consumers told once, never undone."""
    assert order_status(app, order_id)["status"] == "CONFIRMED"
    assert stock(app) == AFTER_ONE_ORDER
    assert [p["status"] for p in payments(app)] == ["AUTHORIZED"]
    assert [s["status"] for s in shipments(app)] == ["BOOKED"]
    assert outbox_types(app, order_id) == ["OrderPlaced", "OrderConfirmed"]
    assert _consumed(app, tap, order_id) == ["OrderPlaced", "OrderConfirmed"]


# --- the pivot -----------------------------------------------------------------------------------


def test_a_confirmation_whose_lambda_times_out_after_the_commit_is_not_undone(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    # Given ConfirmOrder commits and then its sandbox times out, on every attempt
    tap = tap_bus(saga_app)
    saga_app.lambdas.inject_failure(
        saga_app.function_name("ConfirmOrder"), "Sandbox.Timedout", after_effect=True, times=10
    )
    order_id = start_order(saga_app, order_for(sample_order))
    provider.settle()
    execution = saga_of(saga_app, order_id)
    # Then the saga read the order, found it confirmed, and went forward: nothing was undone
    assert execution["status"] == "SUCCEEDED"
    visited = saga_app.states_visited(execution["executionArn"])
    assert visited[-3:] == ["Compensate", "ConfirmedAfterAll", "OrderConfirmed"]
    assert compensations_run(saga_app, execution["executionArn"]) == []
    _assert_confirmed_once(saga_app, tap, order_id)


def test_throttling_after_the_confirming_commit_never_cancels_a_confirmed_order(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    # Given the confirming transaction commits and is then reported throttled, and every read
    # ConfirmOrder makes afterwards is throttled too (its retries run out)
    tap = tap_bus(saga_app)
    confirm = saga_app.function_name("ConfirmOrder")
    orders_table = saga_app.output("OrdersTableName")
    saga_app.calls.fail(
        "dynamodb", "TransactWriteItems", error=THROTTLED, function=confirm, after_effect=True
    )
    saga_app.calls.fail(
        "dynamodb", "GetItem", error=THROTTLED, function=confirm, target=orders_table, nth=2, times=99
    )
    order_id = start_order(saga_app, order_for(sample_order))
    provider.settle()
    execution = saga_of(saga_app, order_id)
    # Then ConfirmOrder failed for good, the order was read, and the saga ended confirmed
    assert _task_failures(saga_app, execution["executionArn"], "ConfirmOrder") == ["SagaStoreUnavailable"] * 7
    assert execution["status"] == "SUCCEEDED"
    assert compensations_run(saga_app, execution["executionArn"]) == []
    _assert_confirmed_once(saga_app, tap, order_id)
    lock = next(i for i in items(saga_app) if i["sk"] == "SAGA" and i["orderId"] == order_id)
    assert lock["status"] == "COMPLETED"


def test_a_confirmed_order_whose_outcome_cannot_be_read_is_parked_and_alerted_not_undone(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    # Given the confirmation's response is lost, and the order table stays throttled for Compensate
    tap = tap_bus(saga_app)
    alert_queue = subscribe_alerts(saga_app)
    saga_app.lambdas.inject_failure(
        saga_app.function_name("ConfirmOrder"), "Lambda.ServiceException", after_effect=True, times=10
    )
    compensate = saga_app.function_name("Compensate")
    saga_app.calls.fail("dynamodb", "GetItem", error=THROTTLED, function=compensate, times=999)
    order_id = start_order(saga_app, order_for(sample_order))
    provider.settle()
    execution = saga_of(saga_app, order_id)
    # Then nothing was undone: the order stays CONFIRMED (flagged), and the operators were alerted
    assert (execution["status"], execution["error"]) == ("FAILED", "CompensationFailed")
    assert compensations_run(saga_app, execution["executionArn"]) == []
    _assert_confirmed_once(saga_app, tap, order_id)
    assert "SagaStoreUnavailable" in order_status(saga_app, order_id)["attentionReason"]
    (alert,) = alerts(saga_app, alert_queue)
    assert (alert["orderId"], alert["compensationError"]) == (order_id, "SagaStoreUnavailable")


# --- the payment callback ------------------------------------------------------------------------


def test_a_retried_payment_request_gets_the_answer_the_provider_already_gave(
    saga_app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given RequestPayment opens the request and its response is lost; the provider answers at once
    tap = tap_bus(saga_app)
    provider = PaymentProvider(saga_app, answer_after=0)
    saga_app.lambdas.inject_failure(
        saga_app.function_name("RequestPayment"), "Lambda.ServiceException", after_effect=True
    )
    order_id = start_order(saga_app, order_for(sample_order))
    provider.settle()
    execution = saga_of(saga_app, order_id)
    # Then the retried request's new token got the recorded authorization at once
    assert _task_failures(saga_app, execution["executionArn"], "AuthorizePayment") == [
        "Lambda.ServiceException"
    ]
    assert len(provider.answers) == 1
    assert execution["status"] == "SUCCEEDED"
    waited = (execution["stopDate"] - execution["startDate"]).total_seconds()
    assert waited < 60, "no heartbeat wait"
    _assert_confirmed_once(saga_app, tap, order_id)


@pytest.mark.parametrize(
    ("status", "after_receipt"),
    [(503, False), (None, True)],
    ids=["503", "timeout-after-receipt"],  # every status's mapping: tests/unit/test_payment_gateway.py
)
def test_a_provider_failing_the_request_is_retried_and_authorizes_once(
    saga_app: LocalApp,
    provider: PaymentProvider,
    sample_order: dict[str, Any],
    status: int | None,
    after_receipt: bool,
) -> None:
    # Given a provider that fails the first delivery, before taking the request or after
    tap = tap_bus(saga_app)
    provider.fail_next(1, status=status, after_receipt=after_receipt)
    # When an order runs
    order_id = start_order(saga_app, order_for(sample_order))
    provider.settle()
    execution = saga_of(saga_app, order_id)
    # Then AuthorizePayment was retried on the named error, the provider got the same request
    # twice and authorized it once, and the order is confirmed once
    assert _task_failures(saga_app, execution["executionArn"], "AuthorizePayment") == [
        "PaymentProviderUnavailable"
    ]
    assert provider.deliveries == 2 and len(provider.received) == 1
    assert [outcome for _, outcome, _ in provider.answers] == ["AUTHORIZED"]
    _assert_confirmed_once(saga_app, tap, order_id)


def test_a_provider_down_for_good_cancels_the_order_and_withdraws_the_request(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    # Given a provider that answers 503 to everything
    provider.fail_next(100, status=503)
    # When an order runs
    order_id = start_order(saga_app, order_for(sample_order))
    provider.settle()
    execution = saga_of(saga_app, order_id)
    # Then the retries ran out, the stock came back, the ledger entry was withdrawn (a late
    # answer can no longer authorize) and the order was cancelled with the provider's error
    failures = _task_failures(saga_app, execution["executionArn"], "AuthorizePayment")
    assert set(failures) == {"PaymentProviderUnavailable"} and len(failures) == 7
    assert stock(saga_app) == STOCK
    assert [entry["status"] for entry in payments(saga_app)] == ["WITHDRAWN"]
    order = order_status(saga_app, order_id)
    assert order["status"] == "CANCELLED"
    assert outbox_types(saga_app, order_id) == ["OrderPlaced", "OrderCancelled"]
    assert provider.received == {} and provider.answers == []


def test_a_request_the_provider_refuses_is_not_retried(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    provider.fail_next(1, status=422)
    order_id = start_order(saga_app, order_for(sample_order))
    provider.settle()
    execution = saga_of(saga_app, order_id)
    failures = _task_failures(saga_app, execution["executionArn"], "AuthorizePayment")
    assert failures == ["PaymentRequestRejected"]
    assert provider.deliveries == 1
    assert order_status(saga_app, order_id)["status"] == "CANCELLED"
    assert stock(saga_app) == STOCK


# --- parked executions are resumed ---------------------------------------------------------------


def _redrive(app: LocalApp, max_redrives: int = 3) -> RedriveReport:
    return redrive_parked_sagas(
        app.client("sqs"),
        app.client("sns"),
        failures_queue_url=app.output("WorkflowFailuresQueueUrl"),
        saga_queue_url=app.output("OrderSagaQueueUrl"),
        saga_state_machine_arn=app.output("OrderSagaStateMachineArn"),
        alert_topic_arn=app.output("OpsAlertTopicArn"),
        max_redrives=max_redrives,
    )


def test_an_aborted_saga_is_resumed_by_a_redrive_and_completes_once(
    saga_app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given a saga aborted while it waited for the payment: stock reserved, payment requested
    tap = tap_bus(saga_app)
    order_id = start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    (aborted,) = saga_executions(saga_app)
    saga_app.client("stepfunctions").stop_execution(executionArn=aborted["executionArn"], error="Operator")
    saga_app.drain()
    assert order_status(saga_app, order_id)["status"] == "PLACED"
    assert stock(saga_app) == AFTER_ONE_ORDER
    # When the operator redrives the parked message
    report = _redrive(saga_app)
    assert report.redriven == [aborted["executionArn"]] and report.ok
    PaymentProvider(saga_app).settle()
    # Then the redrive owns the same saga (not a DuplicateDelivery) and finishes it, once
    resumed = [e for e in saga_executions(saga_app) if e["executionArn"] != aborted["executionArn"]]
    assert [e["status"] for e in resumed] == ["SUCCEEDED"]
    assert saga_app.states_visited(resumed[0]["executionArn"])[-1] == "OrderConfirmed"
    _assert_confirmed_once(saga_app, tap, order_id)
    lock = next(i for i in items(saga_app) if i["sk"] == "SAGA" and i["orderId"] == order_id)
    assert (lock["executionId"], lock["redriveCount"]) == (resumed[0]["executionArn"], 1)
    assert failures_parked(saga_app) == []


def test_the_loop_guard_refuses_a_redrive_beyond_the_limit_and_alerts(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    # Given an order whose saga fails every time (an SKU the inventory does not sell)
    alert_queue = subscribe_alerts(saga_app)
    order = order_for(sample_order, items=[{"sku": "SKU-NOT-SOLD", "quantity": 1, "unitPrice": 100}])
    order_id = start_order(saga_app, order)
    provider.settle()
    # When it is redriven once (the limit here), fails again, and is redriven again
    assert len(_redrive(saga_app, max_redrives=1).redriven) == 1
    provider.settle()
    refused = _redrive(saga_app, max_redrives=1)
    # Then the second redrive is refused: the message stays parked and the operators are told
    assert len(refused.refused) == 1 and not refused.redriven
    (parked,) = failures_parked(saga_app)
    assert order_id in parked["detail"]["input"]
    (alert,) = alerts(saga_app, alert_queue)
    assert (alert["orderId"], alert["redriveCount"]) == (order_id, 1)
    assert len(saga_executions(saga_app)) == 2


def test_begin_saga_refuses_a_hand_made_redrive_beyond_the_limit(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    # Given a parked saga's message sent back by hand, claiming a 4th redrive (the stack allows 3)
    alert_queue = subscribe_alerts(saga_app)
    order_id = start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    (first,) = saga_executions(saga_app)
    saga_app.client("stepfunctions").stop_execution(executionArn=first["executionArn"])
    saga_app.drain()
    (parked,) = failures_parked(saga_app)
    body = json.loads(parked["detail"]["input"])[0]["body"]
    saga_app.client("sqs").send_message(
        QueueUrl=saga_app.output("OrderSagaQueueUrl"),
        MessageBody=body,
        MessageAttributes={
            "sagaRedriveOf": {"DataType": "String", "StringValue": first["executionArn"]},
            "sagaRedriveCount": {"DataType": "Number", "StringValue": "4"},
        },
    )
    provider.settle()
    # Then the redrive fails as RedriveRefused, is parked again and alerted; the order is untouched
    refused = [e for e in saga_executions(saga_app) if e["executionArn"] != first["executionArn"]]
    assert [(e["status"], e["error"]) for e in refused] == [("FAILED", "RedriveRefused")]
    (alert,) = alerts(saga_app, alert_queue)
    assert alert["Error"] == "RedriveRefused" and order_id in alert["Cause"]
    assert order_status(saga_app, order_id)["status"] == "PLACED"
    assert len(failures_parked(saga_app)) == 1


# --- compensations -------------------------------------------------------------------------------


def test_a_contract_error_in_a_compensation_goes_straight_to_parking(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    alert_queue = subscribe_alerts(saga_app)
    saga_app.lambdas.inject_failure(saga_app.function_name("VoidPayment"), "InvalidSagaInput", times=1)
    order = order_for(sample_order, shippingAddress={**sample_order["shippingAddress"], "country": "US"})
    order_id = start_order(saga_app, order)
    provider.settle()
    execution = saga_of(saga_app, order_id)
    # Then VoidPayment ran once (no retry), and the order is parked and alerted
    assert _task_failures(saga_app, execution["executionArn"], "VoidPayment") == ["InvalidSagaInput"]
    assert order_status(saga_app, order_id)["status"] == "NEEDS_ATTENTION"
    (alert,) = alerts(saga_app, alert_queue)
    assert alert["compensationError"] == "InvalidSagaInput"


@pytest.mark.parametrize("cause", [None, "the provider's own words, not JSON"])
def test_the_alert_goes_out_whatever_the_failure_carries(
    saga_app: LocalApp, sample_order: dict[str, Any], cause: str | None
) -> None:
    # Given a payment answered by a failure without a Cause (or with one that is not JSON),
    # and a stock release that keeps failing
    alert_queue = subscribe_alerts(saga_app)
    saga_app.lambdas.inject_failure(saga_app.function_name("ReleaseInventory"), "LedgerUnavailable", times=50)
    order_id = start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    (request,) = [entry for entry in PaymentProvider(saga_app).ledger() if entry["status"] == "REQUESTED"]
    answer: dict[str, Any] = {"taskToken": request["taskToken"], "error": "PaymentDeclined"}
    if cause is not None:
        answer["cause"] = cause
    saga_app.client("stepfunctions").send_task_failure(**answer)
    saga_app.drain()
    execution = saga_of(saga_app, order_id)
    # Then the order is parked and the operators alerted (no States.Runtime on the way)
    assert (execution["status"], execution["error"]) == ("FAILED", "CompensationFailed")
    assert order_status(saga_app, order_id)["status"] == "NEEDS_ATTENTION"
    (alert,) = alerts(saga_app, alert_queue)
    assert (alert["orderId"], alert["originalError"]) == (order_id, "PaymentDeclined")
    assert alert["failure"].get("Cause") == cause


def test_a_malformed_duplicate_never_cancels_the_order_its_valid_saga_is_running(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any]
) -> None:
    # Given a valid saga waiting for the payment
    tap = tap_bus(saga_app)
    order_id = start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    # When a malformed copy of its OrderPlaced arrives (same order, no lines)
    saga_app.client("events").put_events(
        Entries=[
            {
                "Source": "order-platform.orders",
                "DetailType": "OrderPlaced",
                "Detail": json.dumps(
                    {"eventId": "bogus", "aggregateId": order_id, "data": {"orderId": order_id}}
                ),
                "EventBusName": saga_app.output("EventBusName"),
            }
        ]
    )
    provider.settle()
    # Then the malformed one was refused as forged (not the order's own event) without cancelling,
    # and the valid saga confirmed the order
    endings = sorted((e["status"], e.get("error")) for e in saga_executions(saga_app))
    assert endings == [("FAILED", "ForgedOrderEvent"), ("SUCCEEDED", None)]
    assert order_status(saga_app, order_id)["status"] == "CONFIRMED"
    assert outbox_types(saga_app, order_id) == ["OrderPlaced", "OrderConfirmed"]
    # (the consumer saw the malformed OrderPlaced too: it was put on the bus, not by the outbox)
    assert _consumed(saga_app, tap, order_id) == ["OrderPlaced", "OrderPlaced", "OrderConfirmed"]
