"""The saga trusts its own records, not the event: forged and tampered OrderPlaced events are
refused by name before anything is reserved, requested or booked, and the operators are alerted.

Anyone who can put an event on the platform bus can hand the saga an OrderPlaced; before this,
one for an order that does not exist reserved stock, asked the provider for money and booked a
shipment before ConfirmOrder noticed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from tests.workflow.outbox_helpers import items
from tests.workflow.saga_helpers import (
    STOCK,
    alerts,
    order_for,
    order_status,
    payments,
    put_order_placed,
    saga_executions,
    shipments,
    start_order,
    stock,
    subscribe_alerts,
)

pytestmark = pytest.mark.workflow


def _real_detail(app: LocalApp, sample_order: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A real order's OrderPlaced detail, as its outbox published it (its saga ran)."""
    order_id = start_order(app, order_for(sample_order))
    app.drain()
    (execution,) = saga_executions(app)
    body = json.loads(json.loads(execution["input"])[0]["body"])
    return order_id, body["detail"]


def _refusals(app: LocalApp) -> list[dict[str, Any]]:
    return [i for i in items(app) if i.get("recordType") == "SAGA_REFUSAL"]


def _nothing_done(app: LocalApp, provider: PaymentProvider, ledger_before: int) -> None:
    assert stock(app) == STOCK
    assert len(payments(app)) == ledger_before and len(provider.received) == ledger_before
    assert len(shipments(app)) == ledger_before


def test_an_order_placed_for_a_missing_order_is_refused_before_anything_happens(
    saga_app: LocalApp, sample_order: dict[str, Any]
) -> None:
    provider = PaymentProvider(saga_app)
    saga_app.add_party(provider)
    alert_queue = subscribe_alerts(saga_app)
    # Given an OrderPlaced for an order that does not exist, put on the bus by hand
    detail = {
        "eventId": "forged-event-1",
        "eventType": "OrderPlaced",
        "aggregateType": "Order",
        "aggregateId": "3f2b8c1e-0000-5000-8000-00000000f00d",
        "sequence": 1,
        "occurredAt": "2026-12-01T10:00:00.000Z",
        "data": {
            "orderId": "3f2b8c1e-0000-5000-8000-00000000f00d",
            "customerId": "cust-forger",
            "currency": "EUR",
            "totalAmount": 7390,
            "items": [
                {"sku": "SKU-KETTLE-01", "quantity": 1, "unitPrice": 4990},
                {"sku": "SKU-MUG-02", "quantity": 4, "unitPrice": 600},
            ],
            "destinationCountry": "DE",
        },
    }
    put_order_placed(saga_app, detail)
    saga_app.drain()
    # Then the saga refused it by name: nothing reserved, requested or booked
    (execution,) = saga_executions(saga_app)
    assert (execution["status"], execution["error"]) == ("FAILED", "ForgedOrderEvent")
    _nothing_done(saga_app, provider, 0)
    # And the refusal is the only thing written, and the operators were told
    (refusal,) = _refusals(saga_app)
    assert (refusal["orderId"], refusal["error"], refusal["eventId"]) == (
        "3f2b8c1e-0000-5000-8000-00000000f00d",
        "ForgedOrderEvent",
        "forged-event-1",
    )
    (alert,) = alerts(saga_app, alert_queue)
    assert "ForgedOrderEvent" in json.dumps(alert)


def test_an_order_placed_whose_facts_differ_from_the_order_is_refused(
    saga_app: LocalApp, sample_order: dict[str, Any]
) -> None:
    provider = PaymentProvider(saga_app)
    saga_app.add_party(provider)
    # Given a real order (confirmed by its saga), and its event replayed with a smaller total
    order_id, detail = _real_detail(saga_app, sample_order)
    before = (stock(saga_app), len(payments(saga_app)), len(shipments(saga_app)))
    alert_queue = subscribe_alerts(saga_app)
    tampered = json.loads(json.dumps(detail))
    tampered["data"]["items"] = [{"sku": "SKU-KETTLE-01", "quantity": 1, "unitPrice": 1}]
    tampered["data"]["totalAmount"] = 1
    put_order_placed(saga_app, tampered)
    saga_app.drain()
    # Then the second saga refused it by name; the real order is untouched
    second = [e for e in saga_executions(saga_app) if e.get("error")]
    assert [(e["status"], e["error"]) for e in second] == [("FAILED", "OrderFactsMismatch")]
    assert (stock(saga_app), len(payments(saga_app)), len(shipments(saga_app))) == before
    assert len(provider.received) == 1
    assert order_status(saga_app, order_id)["status"] == "CONFIRMED"
    (refusal,) = _refusals(saga_app)
    assert refusal["error"] == "OrderFactsMismatch" and "items, totalAmount" in refusal["reason"]
    assert len(alerts(saga_app, alert_queue)) == 1


def test_a_malformed_forged_event_naming_a_real_order_cannot_cancel_it(
    saga_app: LocalApp, sample_order: dict[str, Any]
) -> None:
    saga_app.add_party(PaymentProvider(saga_app, answer_after=None))
    # Given a real order whose saga waits for the provider
    order_id, detail = _real_detail(saga_app, sample_order)
    # When someone puts a malformed OrderPlaced naming it on the bus
    forged = {**detail, "eventId": "forged-event-2", "data": {**detail["data"], "items": []}}
    put_order_placed(saga_app, forged)
    saga_app.drain()
    # Then it is refused as forged (an invalid event of the order's own would cancel the order)
    errors = [e["error"] for e in saga_executions(saga_app) if e.get("error")]
    assert errors == ["ForgedOrderEvent"]
    assert order_status(saga_app, order_id)["status"] == "PLACED"


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "AUTHORIZED"},
        {"status": "AUTHORIZED", "authorizationId": "a-1", "amount": 1, "currency": "EUR"},
        {"status": "AUTHORIZED", "authorizationId": "a-1", "amount": "7390", "currency": "EUR"},
        {"status": "DECLINED", "authorizationId": "a-1", "amount": 7390, "currency": "EUR"},
    ],
    ids=["missing-fields", "wrong-amount", "amount-as-text", "not-an-authorization"],
)
def test_a_callback_answer_that_is_not_an_authorization_fails_the_payment_step_by_name(
    saga_app: LocalApp, sample_order: dict[str, Any], answer: dict[str, Any]
) -> None:
    # Given a saga waiting for the payment (the provider never answers)
    order_id = start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    (entry,) = payments(saga_app)
    # When someone holding the task token answers with something that is not this authorization
    sfn = saga_app.client("stepfunctions")
    sfn.send_task_success(taskToken=entry["taskToken"], output=json.dumps(answer))
    saga_app.drain()
    # Then the payment step failed by name, the order was compensated from there, nothing shipped
    (execution,) = saga_executions(saga_app)
    visited = saga_app.states_visited(execution["executionArn"])
    assert "InvalidPaymentAnswer" in visited and "ArrangeShipment" not in visited
    assert shipments(saga_app) == [] and stock(saga_app) == STOCK
    order = order_status(saga_app, order_id)
    assert order["status"] == "CANCELLED" and order["cancellationReason"].startswith("InvalidPaymentAnswer")
