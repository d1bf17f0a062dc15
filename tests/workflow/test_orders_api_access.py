"""GET /orders/{id} through the template's API route and environment: who may read an order."""

from __future__ import annotations

from typing import Any

import pytest

from local_runtime import LocalApp
from tests.workflow.outbox_helpers import place_order
from workflows import constants as c

pytestmark = pytest.mark.workflow


def _session(app: LocalApp, role: str, name: str) -> str:
    return f"arn:aws:sts::{app.account}:assumed-role/{role}/{name}"


def test_an_order_is_readable_by_its_customer_and_operators_only(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    order = place_order(app, sample_order)
    path = f"/orders/{order['orderId']}"
    customer = _session(app, c.ORDERS_CUSTOMER_ROLE_NAME, sample_order["customerId"])
    operator = _session(app, c.ORDERS_OPERATOR_ROLE_NAMES[0], "on-call")
    other = _session(app, c.ORDERS_CUSTOMER_ROLE_NAME, "someone-else")
    assert (
        app.api.request("GET", path, caller=customer).json()["shippingAddress"]
        == sample_order["shippingAddress"]
    )
    assert app.api.request("GET", path, caller=operator).status == 200
    refused = app.api.request("GET", path, caller=other)
    assert (refused.status, refused.json()) == (404, {"message": "Order not found"})
    assert app.api.request("GET", path).status == 404  # the local developer is an IAM user, not a customer
