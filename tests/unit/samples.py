"""Builders of realistic test inputs (requests, outbox records, stream records, API events)."""

import json
import time
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from demo.customers import session_arn
from demo.notice_signing import SIGNATURE_HEADER, sign_notice
from order_store.events import bus_entry, new_order_event, order_placed_data
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


WEBHOOK_SECRET = "whsec-unit-test-0123456789abcdef"


def signed_headers(raw: bytes, secrets: list[str] | None = None, at: float | None = None) -> dict[str, str]:
    """The provider's signature header for a notice body (signed now, by WEBHOOK_SECRET by default)."""
    timestamp = int(time.time() if at is None else at)
    return {SIGNATURE_HEADER: sign_notice(secrets or [WEBHOOK_SECRET], timestamp, raw)}


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


CUSTOMER_CLIENT = "4customerclient5c1ient1d"
"""The app client the unit tests' orders function accepts tokens of (CUSTOMER_CLIENT_IDS)."""
OPERATOR_ROLE_ARN = "arn:aws:iam::123456789012:role/OrderPlatformStack-OrdersApiOperatorRole-1A2B3C"
OPERATOR_ROLE = OPERATOR_ROLE_ARN.rsplit("/", 1)[-1]


def customer_claims(
    customer: str = "customer-42", *, client: str = CUSTOMER_CLIENT, token_use: str = "access"
) -> dict[str, str]:
    """The claims API Gateway's user pool authorizer passes for a token it admitted (every value
    a string, as API Gateway writes them)."""
    claims = {
        "sub": customer,
        "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool",
        "token_use": token_use,
        "auth_time": "Thu Dec 03 15:00:00 UTC 2026",
        "exp": "Thu Dec 03 16:00:00 UTC 2026",
        "iat": "Thu Dec 03 15:00:00 UTC 2026",
        "jti": "0e4b2f0c-5b7a-4f5e-9c1d-4d6f2b8a9e10",
    }
    if token_use == "access":
        claims.update(client_id=client, scope="aws.cognito.signin.user.admin", username=customer)
    else:
        claims.update(aud=client, email=f"{customer}@example.com")
    return claims


def _signed_in(event: dict[str, Any], claims: dict[str, str] | None) -> dict[str, Any]:
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    return event


def post_order_event(
    body: dict[str, Any] | str,
    *,
    idempotency_key: str | None = "key-1",
    content_type: str = "application/json",
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A POST /orders event of a signed-in customer: ``claims`` (by default those of the customer
    the body names, or of the sample's customer when the body names none)."""
    headers = {"Content-Type": content_type}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    text = body if isinstance(body, str) else json.dumps(body)
    event = api_event("POST", "/orders", body=text, headers=headers)
    named = body.get("customerId") if isinstance(body, dict) else None
    customer = named if isinstance(named, str) else "customer-42"
    return _signed_in(event, customer_claims(customer) if claims is None else claims)


def get_order_event(order_id: str, claims: dict[str, str] | None = None) -> dict[str, Any]:
    """A GET /orders/{orderId} event of a signed-in customer (by default the sample's)."""
    event = api_event(
        "GET", f"/orders/{order_id}", resource="/orders/{orderId}", path_parameters={"orderId": order_id}
    )
    return _signed_in(event, customer_claims() if claims is None else claims)


def caller_arn(role: str, session: str) -> str:
    """The ARN API Gateway reports for a SigV4 caller using an assumed-role session."""
    return session_arn("123456789012", role, session)


def operator_event(
    method: str, path: str, *, caller: str | None = None, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A request to an /operator route signed by ``caller`` (by default an operator's session)."""
    order_id = path.rsplit("/", 1)[-1] if method == "GET" else None
    event = api_event(
        method,
        path,
        body=json.dumps(body) if body is not None else None,
        headers={"Content-Type": "application/json", "Idempotency-Key": "op-key-1"} if body else None,
        resource="/operator/orders/{orderId}" if order_id else None,
        path_parameters={"orderId": order_id} if order_id else None,
    )
    event["requestContext"]["identity"] = {"userArn": caller or caller_arn(OPERATOR_ROLE, "jane.operator")}
    return event


# --- order saga -----------------------------------------------------------------------------

EXECUTION_ID = "arn:aws:states:eu-west-1:123456789012:execution:OrderSaga:exec-1"
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:order-saga"


def bus_event(detail_type: str, detail: Any, *, source: str = "order-platform.orders") -> dict[str, Any]:
    """An EventBridge event as a bus rule delivers it to an SQS target."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-11-23T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    }


def sqs_record(body: str, message_id: str = "message-1") -> dict[str, Any]:
    """One SQS message as EventBridge Pipes delivers it."""
    return {
        "messageId": message_id,
        "receiptHandle": f"receipt-{message_id}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1763892000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1763892000000",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "eu-west-1",
    }


def order_placed_record(
    order: Order | None = None, *, event_id: str | None = None, **data_overrides: Any
) -> OutboxRecord:
    """The order's OrderPlaced outbox record (written with the order; its event id is
    ``event-<orderId>`` unless the order was placed otherwise)."""
    order = order or order_model()
    return new_order_event(
        order_id=order.order_id,
        sequence=1,
        event_type="OrderPlaced",
        data={**order_placed_data(order), **data_overrides},
        now=NOW,
        event_id=event_id or f"event-{order.order_id}",
    )


def order_placed_batch(
    order: Order | None = None, *, event_id: str | None = None, **data_overrides: Any
) -> list[dict[str, Any]]:
    """The saga's execution input for ``order``: the OrderPlaced event the outbox publisher puts
    on the bus (built with the publisher's own code), delivered through the queue and the pipe."""
    record = order_placed_record(order, event_id=event_id, **data_overrides)
    entry = bus_entry(record, source="order-platform.orders", event_bus_name="order-platform")
    event = bus_event(entry.detail_type, json.loads(entry.detail))
    return [sqs_record(json.dumps(event))]


def saga_order(order: Order | None = None) -> dict[str, Any]:
    """``$.order`` as BeginSaga returns it for ``order``."""
    order = order or order_model()
    return {
        **order_placed_data(order),
        "eventId": f"event-{order.order_id}",
    }


def lambda_error_cause(error_type: str, message: str) -> str:
    """The Cause Step Functions records when a Lambda task raised."""
    return json.dumps(
        {"errorMessage": message, "errorType": error_type, "requestId": "r-1", "stackTrace": []}
    )
