"""Request parsing and response shapes of the orders API.

Every check that can refuse a request lives here and runs before the domain is called, so a
refused request (4xx) never reaches the store.
"""

import re
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.exceptions import BadRequestError
from pydantic import ConfigDict, Field, StringConstraints

from http_api.requests import json_body_bytes, parse_json_model
from order_store.models import MAX_ORDER_LINES, CurrencyCode, Order, OrderLine, OrderStatus, ShippingAddress
from task_io.models import CamelModel

MAX_BODY_BYTES = 32 * 1024
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")

CustomerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{1,128}$")]
"""No ``:`` allowed: the order id is derived from ``customerId:idempotencyKey``, and a colon in
the customer id would let two different (customer, key) pairs produce the same string."""


class PlaceOrderBody(CamelModel):
    """Body of ``POST /orders``: a signed-in customer's order. The total is not accepted from the
    client; it is computed. The customer is the token's; a ``customerId`` is optional, and refused
    unless it is that customer's (a client that names its customer finds out when it is wrong)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerId | None = None
    currency: CurrencyCode
    items: list[OrderLine] = Field(min_length=1, max_length=MAX_ORDER_LINES)
    shipping_address: ShippingAddress

    def placed_by(self, customer_id: str) -> "PlaceOrderRequest":
        """The order as placed for `customer_id`."""
        return PlaceOrderRequest.model_validate({**self.model_dump(), "customerId": customer_id})


class PlaceOrderRequest(PlaceOrderBody):
    """An order with its customer: the body of ``POST /operator/orders`` (an operator places it
    for the customer it names) and a line of a bulk import."""

    customer_id: CustomerId


class OrderView(CamelModel):
    """An order as the API shows it: without idempotency internals or the outbox sequence."""

    order_id: str
    customer_id: str
    status: OrderStatus
    currency: str
    total_amount: int
    items: list[OrderLine]
    shipping_address: ShippingAddress
    created_at: str


def order_view(order: Order) -> dict[str, Any]:
    """The response body for ``order``."""
    view = OrderView.model_validate(order.model_dump(include=set(OrderView.model_fields)))
    return view.model_dump(mode="json", exclude_none=True)


def parse_idempotency_key(headers: Mapping[str, str]) -> str:
    """The Idempotency-Key header (the mapping must be case-insensitive, as Powertools' is)."""
    key = headers.get(IDEMPOTENCY_KEY_HEADER)
    if key is None:
        raise BadRequestError(f"The {IDEMPOTENCY_KEY_HEADER} header is required")
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise BadRequestError(
            f"The {IDEMPOTENCY_KEY_HEADER} header must be 1-128 characters of [A-Za-z0-9_.:-]"
        )
    return key


def parse_place_order[Body: PlaceOrderBody](
    model: type[Body], headers: Mapping[str, str], body: str | None, is_base64_encoded: bool
) -> tuple[Body, str]:
    """Validate a request that places an order (`model` is its body): media type (415), size
    (413), idempotency key and JSON syntax (400), then the order itself (422)."""
    raw = json_body_bytes(headers, body, is_base64_encoded, max_body_bytes=MAX_BODY_BYTES)
    idempotency_key = parse_idempotency_key(headers)
    request = parse_json_model(model, raw)
    return request, idempotency_key


def parse_order_id(raw: str) -> str:
    """The canonical (lower-case, hyphenated) form of a path order id, which must be a UUID."""
    try:
        return str(uuid.UUID(raw))
    except ValueError as error:
        raise BadRequestError("orderId must be a UUID") from error
