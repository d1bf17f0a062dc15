"""The orders API through API Gateway REST proxy events, with the store swapped for a fake."""

import base64
import json
import uuid
from typing import Any

import pytest

from order_store.errors import OrderStoreUnavailable
from orders_api import handler
from tests.unit.fakes import FakeLambdaContext, InMemoryOrderStore
from tests.unit.samples import (
    CUSTOMER_CLIENT,
    OPERATOR_ROLE,
    OPERATOR_ROLE_ARN,
    caller_arn,
    customer_claims,
    get_order_event,
    operator_event,
    order_body,
    post_order_event,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@pytest.fixture(autouse=True)
def _fake_store(monkeypatch: pytest.MonkeyPatch, store: InMemoryOrderStore) -> None:
    monkeypatch.setattr(handler, "repository_factory", lambda: store)
    monkeypatch.setenv("CUSTOMER_CLIENT_IDS", f"{CUSTOMER_CLIENT},mobileappclient")
    monkeypatch.setenv("OPERATOR_ROLE_ARN", OPERATOR_ROLE_ARN)


def _call(event: dict[str, Any], context: FakeLambdaContext) -> tuple[int, dict[str, str], Any]:
    response = handler.lambda_handler(event, context)
    headers = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = values[0]
    return response["statusCode"], headers, json.loads(response["body"])


def _assert_nothing_written(store: InMemoryOrderStore) -> None:
    assert store.writes == 0 and not store.orders and not store.outbox


def test_a_new_order_is_created(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a valid order request
    # When it is posted
    status, headers, body = _call(post_order_event(order_body()), lambda_context)
    # Then it is created, located, and shown without idempotency internals
    assert status == 201
    assert headers["location"] == f"/orders/{body['orderId']}"
    assert headers["content-type"] == "application/json"
    assert body["status"] == "PLACED" and body["totalAmount"] == 3499 and body["currency"] == "EUR"
    assert body["items"] == order_body()["items"]
    assert body["createdAt"].endswith("Z")
    assert not {"requestHash", "idempotencyKey", "outboxSequence"} & set(body)
    assert store.writes == 1 and len(store.outbox) == 1
    # And the OrdersPlaced metric is emitted in the OrderPlatform namespace
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(
        "OrdersPlaced" in metric and metric["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "OrderPlatform"
        for metric in emitted
    )


def test_a_retried_post_replays_the_order(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given an order created with key-1
    _, _, created = _call(post_order_event(order_body()), lambda_context)
    # When the client retries the same request
    status, headers, body = _call(post_order_event(order_body()), lambda_context)
    # Then it gets the same order with 200 and the replay header, and nothing new is written
    assert status == 200
    assert headers["idempotent-replayed"] == "true"
    assert body == created
    assert store.writes == 1


def test_a_used_key_with_another_body_is_a_conflict(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given an order created with key-1
    _call(post_order_event(order_body()), lambda_context)
    # When a different order reuses key-1 / Then 409, and nothing more is written
    status, _, body = _call(post_order_event(order_body(currency="USD")), lambda_context)
    assert status == 409 and "Idempotency-Key" in body["message"]
    assert store.writes == 1


def test_header_names_are_case_insensitive(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given lower-case header names and a charset parameter
    event = post_order_event(order_body())
    event["headers"] = {"content-type": "application/json; charset=UTF-8", "idempotency-key": "abc.DEF:1-2_3"}
    # When posted / Then the order is created
    assert _call(event, lambda_context)[0] == 201


def test_a_base64_encoded_body_is_decoded(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given a body API Gateway passed base64-encoded
    event = post_order_event(order_body())
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    # When posted / Then the order is created
    assert _call(event, lambda_context)[0] == 201


@pytest.mark.parametrize(
    ("idempotency_key", "message"),
    [(None, "required"), ("", "1-128"), ("x" * 129, "1-128"), ("has space", "1-128"), ("slash/no", "1-128")],
)
def test_a_missing_or_malformed_idempotency_key_is_a_bad_request(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext, idempotency_key: str | None, message: str
) -> None:
    # Given a request without a usable Idempotency-Key / When posted / Then 400, nothing written
    status, _, body = _call(post_order_event(order_body(), idempotency_key=idempotency_key), lambda_context)
    assert status == 400 and message in body["message"]
    _assert_nothing_written(store)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/json; charset=latin-1", ""]
)
def test_a_body_not_declared_as_json_is_unsupported(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext, content_type: str
) -> None:
    # Given a request with another media type / When posted / Then 415, nothing written
    status, _, _ = _call(post_order_event(order_body(), content_type=content_type), lambda_context)
    assert status == 415
    _assert_nothing_written(store)


def test_a_body_larger_than_32_kib_is_too_large(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given a body just over 32 KiB
    oversized = json.dumps({**order_body(), "padding": "x" * (32 * 1024)})
    # When posted / Then 413, nothing written
    status, _, _ = _call(post_order_event(oversized), lambda_context)
    assert status == 413
    _assert_nothing_written(store)


@pytest.mark.parametrize("raw", ['{"customerId": ', "not json", "", '{"a": NaN}'])
def test_malformed_json_is_a_bad_request(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext, raw: str
) -> None:
    # Given a body that is not JSON / When posted / Then 400, nothing written
    status, _, body = _call(post_order_event(raw), lambda_context)
    assert status == 400 and "JSON" in body["message"]
    _assert_nothing_written(store)


def _without(field: str) -> dict[str, Any]:
    body = order_body()
    del body[field]
    return body


def _line(**overrides: Any) -> dict[str, Any]:
    return {"sku": "SKU-1", "quantity": 1, "unitPrice": 100, **overrides}


def _address(**overrides: Any) -> dict[str, Any]:
    return {**order_body()["shippingAddress"], **overrides}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_without("shippingAddress"), "shippingAddress"),
        (order_body(items=[_line(quantity=-1)]), "items.0.quantity"),
        (order_body(items=[_line(quantity=0)]), "items.0.quantity"),
        (order_body(items=[_line(quantity="2")]), "items.0.quantity"),
        (order_body(items=[_line(quantity=1.5)]), "items.0.quantity"),
        (order_body(items=[_line(unitPrice=-5)]), "items.0.unitPrice"),
        (order_body(items=[]), "items"),
        (order_body(items=[_line()] * 51), "items"),
        (order_body(currency="eur"), "currency"),
        (order_body(currency="EURO"), "currency"),
        (order_body(shippingAddress=_address(country="XX")), "shippingAddress.country"),
        (order_body(shippingAddress=_address(country="de")), "shippingAddress.country"),
        (order_body(shippingAddress=_address(city="  ")), "shippingAddress.city"),
        (order_body(customerId="a:b"), "customerId"),
        (order_body(totalAmount=1), "totalAmount"),
        ([order_body()], "body"),
        (order_body(shippingAddress=_address(name="Ada\u0000Lovelace")), "shippingAddress.name"),
        (order_body(shippingAddress=_address(line1="12 Street\nBcc: x@y")), "shippingAddress.line1"),
        (order_body(shippingAddress=_address(line2="Flat\r3")), "shippingAddress.line2"),
        (order_body(shippingAddress=_address(city="Lon\u001bdon")), "shippingAddress.city"),
        (order_body(shippingAddress=_address(postalCode="N1\u00079GU")), "shippingAddress.postalCode"),
    ],
)
def test_an_invalid_order_is_unprocessable_and_names_the_field(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext, body: Any, field: str
) -> None:
    # Given well-formed JSON that is not a valid order
    # When posted
    status, _, response = _call(
        post_order_event(body if isinstance(body, dict) else json.dumps(body)), lambda_context
    )
    # Then 422 lists the invalid field with a message, and nothing is written
    assert status == 422
    assert response["message"] == "Request validation failed"
    assert field in [error["field"] for error in response["errors"]]
    assert all(error["message"] for error in response["errors"])
    _assert_nothing_written(store)


def test_a_tab_in_a_text_field_is_accepted(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    status, _, _ = _call(
        post_order_event(order_body(shippingAddress=_address(line2="Flat\t3"))), lambda_context
    )
    assert status == 201


def test_an_unavailable_store_answers_503(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given a throttling store / When an order is posted / Then 503 with Retry-After
    store.fail_with = OrderStoreUnavailable("throttled")
    status, headers, _ = _call(post_order_event(order_body()), lambda_context)
    assert status == 503 and headers["retry-after"] == "1"
    _assert_nothing_written(store)


def test_a_stored_order_can_be_read(store: InMemoryOrderStore, lambda_context: FakeLambdaContext) -> None:
    # Given a created order
    _, _, created = _call(post_order_event(order_body()), lambda_context)
    # When it is read (with an upper-case id) / Then it is the same representation
    status, _, body = _call(get_order_event(created["orderId"].upper()), lambda_context)
    assert status == 200 and body == created
    assert body["shippingAddress"]["name"] == "Ada Lovelace"


def test_an_unknown_order_is_not_found(lambda_context: FakeLambdaContext) -> None:
    # Given no orders / When a valid but unknown id is read / Then 404
    assert _call(get_order_event(str(uuid.uuid4())), lambda_context)[0] == 404


def test_an_order_id_that_is_not_a_uuid_is_a_bad_request(lambda_context: FakeLambdaContext) -> None:
    # Given an id that is not a UUID / When read / Then 400
    status, _, body = _call(get_order_event("not-a-uuid"), lambda_context)
    assert status == 400 and "UUID" in body["message"]


def test_an_order_is_readable_by_its_customer_only(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given an order of customer-42 (with a shipping address: personal data)
    _, _, created = _call(post_order_event(order_body()), lambda_context)
    # When its customer reads it / Then they get it
    got, _, body = _call(get_order_event(created["orderId"]), lambda_context)
    assert got == 200 and body["shippingAddress"] == order_body()["shippingAddress"]
    # When another customer reads it / Then they are told it does not exist (which does not
    # reveal which order ids exist)
    got, _, body = _call(get_order_event(created["orderId"], customer_claims("customer-43")), lambda_context)
    assert (got, body) == (404, {"message": "Order not found"})


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (customer_claims(token_use="id"), "A customer's access token is required"),
        (customer_claims(client="another-apps-client"), "The token was not issued to this API's app client"),
        ({**customer_claims(), "sub": ""}, "The token names no user"),
        ({}, "A customer's access token is required"),
    ],
    ids=["id-token", "another-client", "no-subject", "no-claims"],
)
def test_a_token_the_api_does_not_accept_is_unauthorized_and_nothing_is_written(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext, claims: dict[str, str], message: str
) -> None:
    # When an order is placed, and one read, with claims API Gateway passed but that are not a
    # customer's access token of this API's client
    placed = _call(post_order_event(order_body(), claims=claims), lambda_context)
    read = _call(get_order_event(str(uuid.uuid4()), claims), lambda_context)
    # Then both are refused (401) and nothing is written
    assert (placed[0], placed[2]) == (401, {"message": message})
    assert (read[0], read[2]) == (401, {"message": message})
    _assert_nothing_written(store)


def test_a_token_of_another_accepted_client_is_a_customers_token(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given the API accepts two app clients (web and mobile) / When the mobile app places an order
    event = post_order_event(order_body(), claims=customer_claims(client="mobileappclient"))
    # Then it is placed for the token's customer
    assert _call(event, lambda_context)[0] == 201


def test_an_order_is_placed_for_the_tokens_customer_whatever_the_body_omits(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # When customer-42 places an order whose body names no customer
    body = {k: v for k, v in order_body().items() if k != "customerId"}
    got, _, placed = _call(post_order_event(body, claims=customer_claims("customer-42")), lambda_context)
    # Then it is theirs, and the same request naming them is its replay (same order)
    assert (got, placed["customerId"]) == (201, "customer-42")
    replay = _call(post_order_event(order_body(), claims=customer_claims("customer-42")), lambda_context)
    assert (replay[0], replay[2]["orderId"]) == (200, placed["orderId"])


def test_a_body_naming_another_customer_is_forbidden_and_nothing_is_written(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # When customer-43 places an order whose body names customer-42
    got, _, body = _call(
        post_order_event(order_body(), claims=customer_claims("customer-43")), lambda_context
    )
    # Then it is refused and nothing is written (no order, no outbox record, so no saga takes
    # stock or money)
    assert (got, body) == (403, {"message": "An order can only be placed for the signed-in customer"})
    _assert_nothing_written(store)


def test_a_replay_by_another_customer_is_refused_and_reveals_nothing(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # Given an order placed by its customer
    placed, _, created = _call(post_order_event(order_body(), idempotency_key="k-1"), lambda_context)
    assert placed == 201
    # When another customer replays the very request, key included
    other = customer_claims("customer-43")
    got, headers, body = _call(
        post_order_event(order_body(), idempotency_key="k-1", claims=other), lambda_context
    )
    # Then it is refused before the stored order is looked up: no order id, no address
    assert got == 403
    assert "location" not in headers and created["orderId"] not in json.dumps(body)


@pytest.mark.parametrize(
    ("caller", "status"),
    [
        (caller_arn(OPERATOR_ROLE, "jane.operator"), 200),  # an operator (any session name)
        (caller_arn(OPERATOR_ROLE, "customer-42"), 200),  # the session name means nothing
        (caller_arn("SomeOtherRole", "jane.operator"), 403),  # another role of the account
        (  # the operator role's name in another account
            f"arn:aws:sts::210987654321:assumed-role/{OPERATOR_ROLE}/jane.operator",
            403,
        ),
        ("arn:aws:iam::123456789012:user/admin", 403),  # an IAM user, however privileged
        ("not an arn", 403),
    ],
)
def test_only_the_operator_role_reads_any_order(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext, caller: str, status: int
) -> None:
    # Given an order of customer-42
    _, _, created = _call(post_order_event(order_body()), lambda_context)
    # When a SigV4 caller reads it on the operator route
    got, _, body = _call(
        operator_event("GET", f"/operator/orders/{created['orderId']}", caller=caller), lambda_context
    )
    # Then only a session of the operator role, in its own account, gets it
    assert got == status
    if status == 200:
        assert body == created
    else:
        assert body == {"message": "Only the operator role may call this route"}


def test_an_operator_places_an_order_for_the_customer_it_names(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    # When an operator places an order naming customer-42, and a caller of another role tries
    placed = _call(operator_event("POST", "/operator/orders", body=order_body()), lambda_context)
    refused = _call(
        operator_event(
            "POST", "/operator/orders", body=order_body(), caller=caller_arn("SomeOtherRole", "x")
        ),
        lambda_context,
    )
    # Then the operator's is placed for customer-42, the other refused; one order is written
    assert (placed[0], placed[2]["customerId"]) == (201, "customer-42")
    assert refused[0] == 403
    assert len(store.orders) == 1


def test_an_operator_order_must_name_its_customer(
    store: InMemoryOrderStore, lambda_context: FakeLambdaContext
) -> None:
    body = {k: v for k, v in order_body().items() if k != "customerId"}
    got, _, answer = _call(operator_event("POST", "/operator/orders", body=body), lambda_context)
    assert got == 422 and any("customerId" in str(error) for error in answer["errors"])
    _assert_nothing_written(store)
