"""The orders API (API Gateway REST proxy integration).

Routes parse the request, call one domain function and render the result; refusals are
exceptions rendered by the handlers registered below, so no route builds an error itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import ForbiddenError

from http_api.responses import json_response
from http_api.shell import ApiShell
from order_store.dynamodb import order_repository
from order_store.errors import OrderNotFound, OrderStoreUnavailable
from order_store.ports import OrderRepository
from order_store.settings import load_store_settings
from orders_api.authorization import acts_for, caller_from
from orders_api.errors import IdempotencyKeyReused
from orders_api.logic import get_order, place_order
from orders_api.schemas import order_view, parse_order_id, parse_place_order
from orders_api.settings import load_access_settings

shell = ApiShell("orders-api", refused_metric="OrderRequestsRefused")
app, logger, metrics = shell.app, shell.logger, shell.metrics


def _dynamodb_repository() -> OrderRepository:
    return order_repository(load_store_settings().orders_table_name)


repository_factory = _dynamodb_repository
"""Builds the repository for this invocation; tests replace it with an in-memory fake."""


@app.post("/orders")
def create_order() -> Response:
    """Place an order; a replay of the same request answers 200 with the stored order."""
    event = app.current_event
    request, idempotency_key = parse_place_order(event.headers, event.body, bool(event.is_base64_encoded))
    if not _acts_for(request.customer_id):
        logger.warning("Order placement refused: the caller does not act for the customer")
        raise ForbiddenError("The caller may not place orders for this customer")
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


@app.get("/orders/<order_id>")
def read_order(order_id: str) -> Response:
    """Read one order: its customer or an operator only (anyone else: 404, as for a missing one)."""
    order = get_order(parse_order_id(order_id), repository_factory())
    if not _acts_for(order.customer_id):
        shell.count(OrderReadsRefused=1)
        logger.warning("Order read refused: the caller does not act for the customer")
        raise OrderNotFound(order.order_id)
    shell.count(OrdersRead=1)
    return json_response(200, order_view(order))


def _acts_for(customer_id: str) -> bool:
    """Whether this request's verified caller (API Gateway's identity) acts for the customer."""
    settings = load_access_settings()
    caller = caller_from((app.current_event.raw_event.get("requestContext") or {}).get("identity"))
    return acts_for(caller, customer_id, settings.customer_role_name, settings.operator_role_names)


@app.exception_handler(IdempotencyKeyReused)
def _key_reused(error: IdempotencyKeyReused) -> Response:
    return shell.refusal(409, {"message": str(error)})


@app.exception_handler(OrderNotFound)
def _not_found(error: OrderNotFound) -> Response:
    return shell.refusal(404, {"message": "Order not found"})


shell.unavailable_on([OrderStoreUnavailable], "OrderStoreUnavailable", "Order store unavailable")
lambda_handler = shell.handler()
"""Entry point named by the infrastructure: ``orders_api.handler.lambda_handler``."""
