"""Builders of realistic test inputs (requests, outbox records, stream records, API events)."""

import json
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from order_store.events import new_order_event
from order_store.models import Order, OrderLine, OutboxRecord, ShippingAddress, order_total
from order_store.timestamps import iso_timestamp

STREAM_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-23T00:00:00.000"
NOW = datetime(2026, 11, 23, 10, 0, 0, 123000, tzinfo=UTC)


def order_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /orders body."""
    body: dict[str, Any] = {
        "customerId": "customer-42",
        "currency": "EUR",
        "items": [
            {"sku": "SKU-1", "quantity": 2, "unitPrice": 1250},
            {"sku": "SKU-2", "quantity": 1, "unitPrice": 999},
        ],
        "shippingAddress": {
            "name": "Ada Lovelace",
            "line1": "12 Example Street",
            "city": "Berlin",
            "postalCode": "10115",
            "country": "DE",
        },
    }
    body.update(overrides)
    return body


def order_model(order_id: str = "3f2b8c1e-0000-5000-8000-000000000001") -> Order:
    """A stored order, as place_order would have built it."""
    items = [
        OrderLine(sku="SKU-1", quantity=2, unit_price=1250),
        OrderLine(sku="SKU-2", quantity=1, unit_price=999),
    ]
    return Order(
        order_id=order_id,
        customer_id="customer-42",
        items=items,
        currency="EUR",
        total_amount=order_total(items),
        shipping_address=ShippingAddress(
            name="Ada Lovelace", line1="12 Example Street", city="Berlin", postal_code="10115", country="DE"
        ),
        status="PLACED",
        created_at=iso_timestamp(NOW),
        idempotency_key="key-1",
        request_hash="a" * 64,
        outbox_sequence=1,
    )


def outbox_record(
    order_id: str = "order-1", sequence: int = 1, *, created: datetime = NOW, **data: Any
) -> OutboxRecord:
    """A PENDING outbox record of an order."""
    return new_order_event(
        order_id=order_id,
        sequence=sequence,
        event_type="OrderPlaced",
        data={"orderId": order_id, **data},
        now=created,
        event_id=f"event-{order_id}-{sequence}",
    )


def stream_record(image: dict[str, Any], event_name: str = "INSERT") -> dict[str, Any]:
    """A DynamoDB stream record as EventBridge Pipes delivers it."""
    serializer = TypeSerializer()
    typed = {name: serializer.serialize(value) for name, value in image.items() if value is not None}
    return {
        "eventID": f"stream-{image.get('sk')}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1763892000,
            "Keys": {"pk": typed["pk"], "sk": typed["sk"]},
            "NewImage": typed,
            "SequenceNumber": "1000",
            "SizeBytes": 300,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": STREAM_ARN,
    }


def outbox_stream_record(record: OutboxRecord, event_name: str = "INSERT") -> dict[str, Any]:
    """The stream record of an outbox item."""
    return stream_record(record.model_dump(exclude_none=True), event_name)


def api_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    is_base64_encoded: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST proxy event."""
    return {
        "httpMethod": method,
        "path": path,
        "resource": resource or path,
        "headers": headers or {},
        "multiValueHeaders": {name: [value] for name, value in (headers or {}).items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": is_base64_encoded,
        "requestContext": {
            "requestId": "request-123",
            "resourcePath": resource or path,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "accountId": "123456789012",
            "identity": {"sourceIp": "203.0.113.1"},
        },
    }


def post_order_event(
    body: dict[str, Any] | str,
    *,
    idempotency_key: str | None = "key-1",
    content_type: str = "application/json",
) -> dict[str, Any]:
    """A POST /orders event."""
    headers = {"Content-Type": content_type}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    text = body if isinstance(body, str) else json.dumps(body)
    return api_event("POST", "/orders", body=text, headers=headers)


def get_order_event(order_id: str) -> dict[str, Any]:
    """A GET /orders/{orderId} event."""
    return api_event(
        "GET", f"/orders/{order_id}", resource="/orders/{orderId}", path_parameters={"orderId": order_id}
    )
