"""Lambda shell of the orders API (API Gateway REST proxy integration).

Routes parse the request, call one domain function and render the result; refusals are
exceptions rendered by the handlers registered below, so no route builds an error itself.

Only Powertools, the resolver and the error classes are imported at init; the models, schemas
and adapters are imported by the first invocation (README, "Cold start": a handler's import
stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from http_api.responses import json_response, register_refusal_handlers, service_unavailable
from observability import powertools
from order_store.errors import OrderNotFound, OrderStoreUnavailable
from order_store.factories import order_repository
from orders_api.errors import IdempotencyKeyReused, NotTheCustomer

if TYPE_CHECKING:
    from order_store.ports import OrderRepository

logger, tracer, metrics = powertools("orders-api")
app = APIGatewayRestResolver()


def _dynamodb_repository() -> OrderRepository:
    from order_store.settings import load_store_settings

    return order_repository(load_store_settings().orders_table_name)


repository_factory: Callable[[], OrderRepository] = _dynamodb_repository
"""Builds the repository for this invocation; tests replace it with an in-memory fake."""


@app.post("/orders")
def create_order() -> Response:
    """Place an order; a replay of the same request answers 200 with the stored order."""
    from orders_api.logic import place_order
    from orders_api.schemas import order_view, parse_place_order

    event = app.current_event
    request, idempotency_key = parse_place_order(event.headers, event.body, bool(event.is_base64_encoded))
    if not _acts_for(request.customer_id):
        logger.warning("Order placement refused: the caller does not act for the customer")
        raise NotTheCustomer
    placed = place_order(request, idempotency_key, repository_factory(), now=datetime.now(UTC))
    order_id = placed.order.order_id
    headers = {"Location": f"/orders/{order_id}"}
    if placed.replayed:
        metrics.add_metric(name="IdempotentReplays", unit=MetricUnit.Count, value=1)
        logger.info("Order request replayed", extra={"orderId": order_id})
        return json_response(200, order_view(placed.order), {**headers, "Idempotent-Replayed": "true"})
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
    logger.info("Order placed", extra={"orderId": order_id})
    return json_response(201, order_view(placed.order), headers)


@app.get("/orders/<order_id>")
def read_order(order_id: str) -> Response:
    """Read one order: its customer or an operator only (anyone else: 404, as for a missing one)."""
    from orders_api.logic import get_order
    from orders_api.schemas import order_view, parse_order_id

    order = get_order(parse_order_id(order_id), repository_factory())
    if not _acts_for(order.customer_id):
        metrics.add_metric(name="OrderReadsRefused", unit=MetricUnit.Count, value=1)
        logger.warning("Order read refused: the caller does not act for the customer")
        raise OrderNotFound(order.order_id)
    metrics.add_metric(name="OrdersRead", unit=MetricUnit.Count, value=1)
    return json_response(200, order_view(order))


def _acts_for(customer_id: str) -> bool:
    """Whether this request's verified caller (API Gateway's identity) acts for the customer."""
    from orders_api.authorization import acts_for, caller_from
    from orders_api.settings import load_access_settings

    settings = load_access_settings()
    caller = caller_from((app.current_event.raw_event.get("requestContext") or {}).get("identity"))
    return acts_for(caller, customer_id, settings.customer_role_name, settings.operator_role_names)


_refusal = register_refusal_handlers(app, metrics, "OrderRequestsRefused")
"""Renders (and counts) every 4xx: a rise in refusals is a client integration going wrong."""


@app.exception_handler(IdempotencyKeyReused)
def _key_reused(error: IdempotencyKeyReused) -> Response:
    return _refusal(409, {"message": str(error)})


@app.exception_handler(OrderNotFound)
def _not_found(error: OrderNotFound) -> Response:
    return _refusal(404, {"message": "Order not found"})


@app.exception_handler(OrderStoreUnavailable)
def _unavailable(error: OrderStoreUnavailable) -> Response:
    logger.warning("Order store unavailable", extra={"error": str(error)})
    metrics.add_metric(name="OrderStoreUnavailable", unit=MetricUnit.Count, value=1)
    return service_unavailable()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point named by the infrastructure: ``orders_api.handler.lambda_handler``."""
    return app.resolve(event, context)
