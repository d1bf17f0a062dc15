"""The order saga through the real handlers, their default adapters and settings, on moto.

An order is placed through the orders API; its OrderPlaced event, shaped as the pipe delivers
it, goes through every task of the saga, with each task's input built from the previous outputs
as asl/order_saga.asl.json builds it. The provider's answer comes through the payment webhook.
The workflow tier runs the same under Step Functions; here each hand-off is checked at the
handler boundary. Only Step Functions' side of the callback is a fake (moto accepts any token
outside an execution, so it could not show what was sent).
"""

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from dynamo_tables import from_item, to_item
from order_saga import (
    begin_handler,
    cancel_order_handler,
    compensate_handler,
    compensation_handlers,
    confirm_handler,
    request_payment_handler,
    reserve_handler,
    ship_handler,
)
from order_saga.dynamodb import SagaOrderRepository
from order_store.models import Order
from orders_api import handler as orders_handler
from payment_webhook import handler as webhook_handler
from payments.models import authorization_id_for
from tests.unit.fakes import FakeLambdaContext, FakeTaskCallbacks, RecordingPaymentGateway
from tests.unit.samples import (
    CUSTOMER_CLIENT,
    OPERATOR_ROLE_ARN,
    api_event,
    get_order_event,
    order_body,
    order_placed_batch,
    post_order_event,
    signed_headers,
)
from workflows.constants import PAYMENT_PROVIDER_DEFAULT_ENDPOINT, PAYMENT_PROVIDER_ENDPOINT_ENV

EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:OrderSaga:exec-1"

# The three compensations are entry points of one module; each as a module-like handle for the
# helpers that invoke `handle.lambda_handler`
cancel_shipment_handler = SimpleNamespace(lambda_handler=compensation_handlers.cancel_shipment)
void_payment_handler = SimpleNamespace(lambda_handler=compensation_handlers.void_payment)
release_inventory_handler = SimpleNamespace(lambda_handler=compensation_handlers.release_inventory)


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    """What the Lambda runtime passes as the second handler argument."""
    return FakeLambdaContext()


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch,
    orders_table: str,
    inventory_table: str,
    payments_table: str,
    shipments_table: str,
    payment_notices_table: str,
    webhook_secret: tuple[str, str],
    dynamodb: Any,
) -> Iterator[None]:
    """The variables the infrastructure sets, and stock for the sample order."""
    monkeypatch.setenv("ORDERS_TABLE_NAME", orders_table)
    monkeypatch.setenv("INVENTORY_TABLE_NAME", inventory_table)
    monkeypatch.setenv("PAYMENTS_TABLE_NAME", payments_table)
    monkeypatch.setenv("SHIPMENTS_TABLE_NAME", shipments_table)
    monkeypatch.setenv(PAYMENT_PROVIDER_ENDPOINT_ENV, PAYMENT_PROVIDER_DEFAULT_ENDPOINT)
    monkeypatch.setenv("PAYMENT_NOTICES_TABLE_NAME", payment_notices_table)
    monkeypatch.setenv("SIGNING_SECRET_ARN", webhook_secret[0])
    monkeypatch.setenv("CUSTOMER_CLIENT_IDS", CUSTOMER_CLIENT)
    monkeypatch.setenv("OPERATOR_ROLE_ARN", OPERATOR_ROLE_ARN)
    for sku, available in {"SKU-1": 10, "SKU-2": 5}.items():
        dynamodb.put_item(
            TableName=inventory_table, Item=to_item({"pk": f"SKU#{sku}", "sku": sku, "available": available})
        )
    _forget_webhook_clients()
    yield
    _forget_webhook_clients()


def _forget_webhook_clients() -> None:
    """The webhook keeps its secrets and receipt store per sandbox: a new moto needs new ones."""
    webhook_handler.secrets_factory.cache_clear()
    webhook_handler.receipts_factory.cache_clear()
    webhook_handler._receipted.cache_clear()


@pytest.fixture
def callbacks(monkeypatch: pytest.MonkeyPatch) -> FakeTaskCallbacks:
    fake = FakeTaskCallbacks()
    monkeypatch.setattr(webhook_handler, "callbacks_factory", lambda: fake)
    monkeypatch.setattr(request_payment_handler, "callbacks_factory", lambda: fake)
    return fake


@pytest.fixture(autouse=True)
def gateway(monkeypatch: pytest.MonkeyPatch) -> RecordingPaymentGateway:
    """The provider's endpoint (HTTP, not AWS: recorded instead of sent)."""
    fake = RecordingPaymentGateway()
    monkeypatch.setattr(request_payment_handler, "gateway_factory", fake.at)
    return fake


def _task(module: Any, payload: dict[str, Any], context: FakeLambdaContext) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(
        json.dumps(module.lambda_handler(json.loads(json.dumps(payload)), context))
    )
    return result


def _its_order_placed(dynamodb: Any, table: str, order: Order) -> list[dict[str, Any]]:
    """The saga's input for an order the API placed: its OrderPlaced, with the event id its outbox
    record holds (the saga checks it)."""
    event_id = SagaOrderRepository(table, dynamodb).placed_event_id(order.order_id)
    return order_placed_batch(order, event_id=event_id)


def _place_order(dynamodb: Any, table: str, context: FakeLambdaContext) -> Order:
    response = orders_handler.lambda_handler(post_order_event(order_body()), context)
    assert response["statusCode"] == 201
    order_id = json.loads(response["body"])["orderId"]
    item = dynamodb.get_item(TableName=table, Key=to_item({"pk": f"ORDER#{order_id}", "sk": "ORDER"}))["Item"]
    values = from_item(item)
    for key in ("pk", "sk", "recordType"):
        values.pop(key)
    return Order.model_validate(values)


def _webhook(
    notice: dict[str, Any], order: dict[str, Any], secret: str, context: FakeLambdaContext
) -> tuple[int, dict[str, Any]]:
    """The provider's signed notice about ``order``'s authorization (its amount, its currency)."""
    raw = json.dumps({**notice, "amount": order["totalAmount"], "currency": order["currency"]}).encode()
    headers = {"Content-Type": "application/json", **signed_headers(raw, [secret])}
    event = api_event("POST", "/payments/webhook", body=raw.decode(), headers=headers)
    response = webhook_handler.lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def _stock(dynamodb: Any, table: str, sku: str) -> int:
    item = dynamodb.get_item(TableName=table, Key=to_item({"pk": f"SKU#{sku}"}), ConsistentRead=True)["Item"]
    return int(from_item(item)["available"])


def _outbox_types(dynamodb: Any, table: str, order_id: str) -> list[str]:
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :outbox)",
        ExpressionAttributeValues=to_item({":pk": f"ORDER#{order_id}", ":outbox": "OUTBOX#"}),
    )["Items"]
    return [from_item(item)["eventType"] for item in items]


@pytest.mark.usefixtures("environment")
def test_an_order_is_confirmed_end_to_end(
    dynamodb: Any,
    orders_table: str,
    inventory_table: str,
    lambda_context: FakeLambdaContext,
    callbacks: FakeTaskCallbacks,
    webhook_secret: tuple[str, str],
) -> None:
    # Given an order placed through the API and its OrderPlaced event delivered by the pipe
    placed = _place_order(dynamodb, orders_table, lambda_context)
    state: dict[str, Any] = _task(
        begin_handler,
        {"records": _its_order_placed(dynamodb, orders_table, placed), "executionId": EXECUTION},
        lambda_context,
    )
    assert state["duplicate"] is False
    order = state["order"]
    # When the forward steps run
    reservation = _task(reserve_handler, {"order": order}, lambda_context)
    _task(request_payment_handler, {"order": order, "taskToken": "token-1"}, lambda_context)
    status, body = _webhook(
        {"authorizationId": authorization_id_for(order["orderId"]), "outcome": "AUTHORIZED"},
        order,
        webhook_secret[1],
        lambda_context,
    )
    assert (status, body) == (200, {"status": "accepted"})
    [(kind, token, sent)] = callbacks.calls
    assert (kind, token) == ("success", "token-1")
    payment = sent["output"]  # what the AuthorizePayment state stores as $.payment.value
    shipment = _task(ship_handler, {"order": order}, lambda_context)
    confirmation = _task(
        confirm_handler,
        {
            "order": order,
            "reservation": reservation,
            "payment": payment,
            "shipment": shipment,
            "executionId": EXECUTION,
        },
        lambda_context,
    )
    # Then the order is confirmed, announced once through the outbox, and its stock is taken
    assert confirmation["status"] == "CONFIRMED"
    view = orders_handler.lambda_handler(get_order_event(placed.order_id), lambda_context)
    assert json.loads(view["body"])["status"] == "CONFIRMED"
    assert _outbox_types(dynamodb, orders_table, placed.order_id) == ["OrderPlaced", "OrderConfirmed"]
    assert (_stock(dynamodb, inventory_table, "SKU-1"), _stock(dynamodb, inventory_table, "SKU-2")) == (8, 4)
    # And a duplicate delivery of the event is a no-op
    again = _task(
        begin_handler,
        {"records": _its_order_placed(dynamodb, orders_table, placed), "executionId": "exec-2"},
        lambda_context,
    )
    assert again["duplicate"] is True


@pytest.mark.usefixtures("environment")
def test_a_declined_payment_is_compensated_and_the_order_cancelled(
    dynamodb: Any,
    orders_table: str,
    inventory_table: str,
    lambda_context: FakeLambdaContext,
    callbacks: FakeTaskCallbacks,
    webhook_secret: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    placed = _place_order(dynamodb, orders_table, lambda_context)
    order = _task(
        begin_handler,
        {"records": _its_order_placed(dynamodb, orders_table, placed), "executionId": EXECUTION},
        lambda_context,
    )["order"]
    reservation = _task(reserve_handler, {"order": order}, lambda_context)
    _task(request_payment_handler, {"order": order, "taskToken": "token-1"}, lambda_context)
    # When the provider declines
    auth_id = authorization_id_for(order["orderId"])
    notice = {"authorizationId": auth_id, "outcome": "DECLINED", "reason": "over the limit"}
    assert _webhook(notice, order, webhook_secret[1], lambda_context)[0] == 200
    [(kind, _, sent)] = callbacks.calls
    assert kind == "failure" and sent["error"] == "PaymentDeclined"
    failure = {"Error": sent["error"], "Cause": sent["cause"]}  # the Catch's output at $.failure
    # And the saga reads the order (not confirmed: it fences the saga), compensates what completed
    # (no payment to void: AuthorizePayment failed) and cancels
    fenced = _task(compensate_handler, {"order": order, "executionId": EXECUTION}, lambda_context)
    assert fenced == {"confirmed": False}
    released = _task(release_inventory_handler, {"order": order, "reservation": reservation}, lambda_context)
    cancelled = _task(
        cancel_order_handler, {"order": order, "failure": failure, "executionId": EXECUTION}, lambda_context
    )
    # Then the stock is back, the order is CANCELLED with the error name, announced once
    assert released == {"compensated": True, "previousStatus": "RESERVED"}
    assert cancelled == {"cancelled": True, "reason": "PaymentDeclined"}
    assert (_stock(dynamodb, inventory_table, "SKU-1"), _stock(dynamodb, inventory_table, "SKU-2")) == (10, 5)
    assert _outbox_types(dynamodb, orders_table, placed.order_id) == ["OrderPlaced", "OrderCancelled"]
    # And a void would have found nothing holding money
    voided = _task(void_payment_handler, {"order": order, "payment": {"status": "UNKNOWN"}}, lambda_context)
    assert voided == {"compensated": False, "previousStatus": "DECLINED"}
