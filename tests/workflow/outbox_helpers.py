"""Reading the outbox's effects on the local app: orders, outbox records, events as consumers get them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from demo.customers import post_order
from local_runtime import LocalApp

_deserializer = TypeDeserializer()


def place_order(app: LocalApp, order: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    """POST /orders through the template's API route; returns the created order."""
    response = post_order(app, order, key)
    assert response.status in (200, 201), (response.status, response.body)
    created: dict[str, Any] = response.json()
    return created


def items(app: LocalApp) -> list[dict[str, Any]]:
    table = app.output("OrdersTableName")
    scanned = (
        app.client("dynamodb").get_paginator("scan").paginate(TableName=table).build_full_result()["Items"]
    )
    return [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in scanned]


def outbox_records(app: LocalApp) -> list[dict[str, Any]]:
    return sorted(
        (i for i in items(app) if i.get("recordType") == "OUTBOX"), key=lambda i: (i["pk"], i["sk"])
    )


def orders(app: LocalApp) -> list[dict[str, Any]]:
    return [i for i in items(app) if i.get("recordType") == "ORDER"]


def tap_bus(app: LocalApp) -> str:
    """A consumer's queue on the platform bus, subscribed to every event the orders service publishes."""
    return app.subscribe(app.output("EventBusName"), {"source": ["order-platform.orders"]})


def delivered_event_ids(app: LocalApp, tap: str) -> Counter[str]:
    return Counter(event["detail"]["eventId"] for event in app.receive_all(tap))
