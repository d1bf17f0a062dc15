"""Calling the orders API as its callers do: a customer's own session, or an operator's.

The API is AWS_IAM-authorized and acts for a customer only when the verified caller is a
session of the customer-access role named by that customer id, or an operator role
(`lambdas/orders_api/authorization.py`). On AWS the identity broker issues those sessions;
locally the caller's ARN is given with the request (`app.api.request(..., caller=)`, or
`X-Local-Caller` on a served endpoint). The demo, the benchmarks and the tests place orders
through `post_order`, so each order is placed by its own customer.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workflows import constants as c

if TYPE_CHECKING:
    from local_runtime import LocalApp
    from local_runtime.api_gateway import ApiResponse


def session_arn(account: str, role: str, session: str) -> str:
    """The ARN API Gateway reports for a SigV4 caller using an assumed-role session."""
    return f"arn:aws:sts::{account}:assumed-role/{role}/{session}"


def customer_session(app: LocalApp, customer_id: str) -> str:
    """The customer's own session of the customer-access role."""
    return session_arn(app.account, c.ORDERS_CUSTOMER_ROLE_NAME, customer_id)


def operator_session(app: LocalApp, name: str = "on-call") -> str:
    """A session of the (first) operator role."""
    return session_arn(app.account, c.ORDERS_OPERATOR_ROLE_NAMES[0], name)


def post_order(
    app: LocalApp, order: Mapping[str, Any], key: str | None = None, *, caller: str | None = None
) -> ApiResponse:
    """POST /orders as the order's customer (or as ``caller``), with a fresh Idempotency-Key
    unless ``key`` is given."""
    return app.api.request(
        "POST",
        "/orders",
        body=json.dumps(order),
        headers={"Content-Type": "application/json", "Idempotency-Key": key or str(uuid.uuid4())},
        caller=caller or customer_session(app, str(order.get("customerId"))),
    )
