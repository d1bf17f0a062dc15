"""State transitions and Lambda invocations per order, per saga path, and what a million orders cost.

Counts are read from the saga execution's history on the embedded engine (the
same ASL as deployed); the webhook's invocations come from the runtime's Lambda
counter. Prices are AWS's public on-demand list prices (us-east-1):
Standard workflows $0.025 per 1,000 state transitions; Lambda $0.20 per million
requests plus $0.0000133334 per GB-second on arm64, assuming 100 ms billed per
invocation at the functions' 256 MB. Queues, the bus, DynamoDB and logs are
left out: they cost the same on every path.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from demo.customers import post_order
from demo.inventory import seed_stock
from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp

PRICE_PER_TRANSITION = 0.025 / 1000
PRICE_PER_REQUEST = 0.20 / 1_000_000
PRICE_PER_GB_SECOND = 0.0000133334
BILLED_SECONDS, MEMORY_GB = 0.1, 0.25
STOCK = {"SKU-KETTLE-01": 1_000, "SKU-MUG-02": 1_000}

Scenario = Callable[[LocalApp, dict[str, Any]], dict[str, Any]]


def _unshippable(app: LocalApp, order: dict[str, Any]) -> dict[str, Any]:
    return {**order, "shippingAddress": {**order["shippingAddress"], "country": "US"}}


def _parked(app: LocalApp, order: dict[str, Any]) -> dict[str, Any]:
    app.lambdas.inject_failure(app.function_name("VoidPayment"), "LedgerUnavailable", times=100)
    return _unshippable(app, order)


SCENARIOS: dict[str, Scenario] = {
    "happy path": lambda app, order: order,
    "out of stock": lambda app, order: {
        **order,
        "items": [{"sku": "SKU-KETTLE-01", "quantity": 5000, "unitPrice": 1}],
    },
    "payment declined": lambda app, order: {
        **order,
        "items": [{"sku": "SKU-KETTLE-01", "quantity": 1, "unitPrice": 900_000}],
    },
    "payment timeout": lambda app, order: {**order, "customerId": "never-answered"},
    "shipment fails": _unshippable,
    "compensation fails (parked)": _parked,
}


def _run(assembly: Path, sample: dict[str, Any], name: str, scenario: Scenario) -> tuple[int, int]:
    with LocalApp(assembly, log_level="WARNING") as app:
        seed_stock(app, STOCK)
        order = scenario(app, {**sample, "customerId": f"bench-{uuid.uuid4().hex[:8]}"})
        post_order(app, order)
        provider = PaymentProvider(app)
        if name == "payment timeout":
            app.drain()
            (saga,) = app.executions(app.output("OrderSagaStateMachineArn"))
            app.wait_for(saga["executionArn"])
        provider.settle()
        (saga,) = app.executions(app.output("OrderSagaStateMachineArn"))
        history = app.history(saga["executionArn"])
        transitions = sum(1 for e in history if "stateEnteredEventDetails" in e)
        invocations = sum(
            1
            for e in history
            if e["type"] == "TaskScheduled" and e["taskScheduledEventDetails"]["resourceType"] == "lambda"
        )
        webhook = app.function_name("PaymentWebhook")
        return transitions, invocations + app.lambdas.invocations[webhook]


def measure(assembly: Path, sample: dict[str, Any]) -> list[tuple[str, int, int, float, float, float]]:
    rows = []
    per_invocation = PRICE_PER_REQUEST + BILLED_SECONDS * MEMORY_GB * PRICE_PER_GB_SECOND
    for name, scenario in SCENARIOS.items():
        transitions, invocations = _run(assembly, sample, name, scenario)
        sfn_cost = transitions * PRICE_PER_TRANSITION * 1_000_000
        lambda_cost = invocations * per_invocation * 1_000_000
        rows.append((name, transitions, invocations, sfn_cost, lambda_cost, sfn_cost + lambda_cost))
    return rows
