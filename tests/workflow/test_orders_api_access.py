"""The orders API through the template's routes and environment: who may place and read an order."""

from __future__ import annotations

from typing import Any

import pytest

from demo.customers import customer_session, operator_session, post_order, session_arn
from local_runtime import LocalApp
from tests.workflow.outbox_helpers import items, place_order
from workflows import constants as c

pytestmark = pytest.mark.workflow


def test_an_order_is_readable_by_its_customer_and_operators_only(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    order = place_order(app, sample_order)
    path = f"/orders/{order['orderId']}"
    customer = customer_session(app, sample_order["customerId"])
    operator = operator_session(app)
    other = session_arn(app.account, c.ORDERS_CUSTOMER_ROLE_NAME, "someone-else")
    assert (
        app.api.request("GET", path, caller=customer).json()["shippingAddress"]
        == sample_order["shippingAddress"]
    )
    assert app.api.request("GET", path, caller=operator).status == 200
    refused = app.api.request("GET", path, caller=other)
    assert (refused.status, refused.json()) == (404, {"message": "Order not found"})
    assert app.api.request("GET", path).status == 404  # the local developer is an IAM user, not a customer


def test_an_order_is_placed_only_by_its_customer_or_an_operator(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # When another customer, then the local developer (an IAM user), place an order in the
    # sample customer's name
    other = post_order(app, sample_order, caller=customer_session(app, "someone-else"))
    developer = post_order(app, sample_order, caller=f"arn:aws:iam::{app.account}:user/local-developer")
    # Then both are refused and nothing reaches the table (no outbox record, so no saga)
    assert (other.status, developer.status) == (403, 403)
    app.drain()
    assert items(app) == []
    # And the customer, or an operator on their behalf, places it
    assert post_order(app, sample_order).status == 201
    assert (
        post_order(
            app, {**sample_order, "items": sample_order["items"][:1]}, caller=operator_session(app)
        ).status
        == 201
    )
