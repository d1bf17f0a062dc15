"""The orders API (API Gateway REST proxy integration).

Routes parse the request, call one domain function and render the result; refusals are
exceptions rendered by the handlers registered below, so no route builds an error itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import ForbiddenError

from http_api.responses import json_response
from http_api.shell import ApiShell
from order_store.dynamodb import order_repository
from order_store.errors import OrderNotFound, OrderStoreUnavailable
from order_store.ports import OrderRepository
from order_store.settings import load_store_settings
from orders_api.errors import IdempotencyKeyReused
from orders_api.identity import Customer, customer_of, require_operator
from orders_api.logic import get_order, place_order
from orders_api.schemas import (
    PlaceOrderBody,
    PlaceOrderRequest,
    order_view,
    parse_order_id,
    parse_place_order,
)
from orders_api.settings import load_access_settings

shell = ApiShell("orders-api", refused_metric="OrderRequestsRefused")
app, logger, metrics = shell.app, shell.logger, shell.metrics


def _dynamodb_repository() -> OrderRepository:
    return order_repository(load_store_settings().orders_table_name)


repository_factory = _dynamodb_repository
"""Builds the repository for this invocation; tests replace it with an in-memory fake."""


@app.post("/orders")
def create_order() -> Response:
    """A signed-in customer places an order; a replay of the same request answers 200 with the
    stored order. A body that names another customer is refused (403) and nothing is written."""
    customer = _customer()
    event = app.current_event
    body, idempotency_key = parse_place_order(
        PlaceOrderBody, event.headers, event.body, bool(event.is_base64_encoded)
    )
    if body.customer_id is not None and body.customer_id != customer.customer_id:
        logger.warning("Order placement refused: the body names another customer")
        raise ForbiddenError("An order can only be placed for the signed-in customer")
    return _place(body.placed_by(customer.customer_id), idempotency_key)


@app.get("/orders/<order_id>")
def read_order(order_id: str) -> Response:
    """A signed-in customer reads one of their orders (anyone else's: 404, as for a missing one,
    so that order ids cannot be probed)."""
    customer = _customer()
    order = get_order(parse_order_id(order_id), repository_factory())
    if order.customer_id != customer.customer_id:
        shell.count(OrderReadsRefused=1)
        logger.warning("Order read refused: the order is another customer's")
        raise OrderNotFound(order.order_id)
    shell.count(OrdersRead=1)
    return json_response(200, order_view(order))


@app.post("/operator/orders")
def create_order_for_customer() -> Response:
    """An operator places an order for the customer the body names (a phone order, a goodwill
    replacement)."""
    _operator()
    event = app.current_event
    request, idempotency_key = parse_place_order(
        PlaceOrderRequest, event.headers, event.body, bool(event.is_base64_encoded)
    )
    logger.info("Order placed by an operator", extra={"operator": _caller_arn()})
    return _place(request, idempotency_key)


@app.get("/operator/orders/<order_id>")
def read_any_order(order_id: str) -> Response:
    """An operator reads any order."""
    _operator()
    order = get_order(parse_order_id(order_id), repository_factory())
    shell.count(OrdersRead=1)
    return json_response(200, order_view(order))


def _place(request: PlaceOrderRequest, idempotency_key: str) -> Response:
    placed = place_order(request, idempotency_key, repository_factory(), now=datetime.now(UTC))
    order_id = placed.order.order_id
    headers = {"Location": f"/orders/{order_id}"}
    if placed.replayed:
        shell.count(IdempotentReplays=1)
        logger.info("Order request replayed", extra={"orderId": order_id})
        return json_response(200, order_view(placed.order), {**headers, "Idempotent-Replayed": "true"})
    shell.count(OrdersPlaced=1)
    logger.info("Order placed", extra={"orderId": order_id})
    return json_response(201, order_view(placed.order), headers)


def _request_context() -> dict[str, Any]:
    context: dict[str, Any] = app.current_event.raw_event.get("requestContext") or {}
    return context


def _customer() -> Customer:
    """The signed-in customer of this request (their token's `sub`), or 401."""
    return customer_of(_request_context(), load_access_settings().customer_client_ids)


def _operator() -> None:
    """Refuse (403) a caller that is not a session of the operator role."""
    require_operator(_request_context(), load_access_settings().operator_role_arn)


def _caller_arn() -> str:
    return str((_request_context().get("identity") or {}).get("userArn"))


@app.exception_handler(IdempotencyKeyReused)
def _key_reused(error: IdempotencyKeyReused) -> Response:
    return shell.refusal(409, {"message": str(error)})


@app.exception_handler(OrderNotFound)
def _not_found(error: OrderNotFound) -> Response:
    return shell.refusal(404, {"message": "Order not found"})


shell.unavailable_on([OrderStoreUnavailable], "OrderStoreUnavailable", "Order store unavailable")
lambda_handler = shell.handler()
"""Entry point named by the infrastructure: ``orders_api.handler.lambda_handler``."""
