"""Who may place and read an order, through the template's routes, authorizer and environment:
customers signed in to the stack's user pool, each for themselves; operators through IAM."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from demo.customers import (
    CustomerAccount,
    customers,
    operator_session,
    post_order,
    post_order_as_operator,
    session_arn,
)
from local_runtime import LocalApp
from local_runtime.api_gateway import ApiResponse
from tests.workflow.outbox_helpers import items, place_order
from workflows import constants as c

pytestmark = pytest.mark.workflow

UNAUTHORIZED = (401, {"message": "Unauthorized"})


def _written(app: LocalApp) -> set[tuple[str, str]]:
    """The keys of every order and outbox record in the table (a record's publish state moves on
    its own; what matters is whether anything was added)."""
    return {(item["pk"], item["sk"]) for item in items(app)}


def _place(app: LocalApp, body: dict[str, Any], authorization: str) -> ApiResponse:
    return app.api.request(
        "POST",
        "/orders",
        body=json.dumps(body),
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
            "Authorization": authorization,
        },
    )


def _read(app: LocalApp, order_id: str, authorization: str) -> ApiResponse:
    return app.api.request("GET", f"/orders/{order_id}", headers={"Authorization": authorization})


def test_a_signed_in_customer_places_and_reads_their_order_and_no_one_else_does(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given two customers signed in to the stack's pool
    ada, grace = customers(app)["ada"], customers(app)["grace"]
    # When Ada places an order with her access token
    placed = _place(app, {**sample_order, "customerId": ada.customer_id}, f"Bearer {ada.access_token()}")
    # Then it is hers (her customer id is her token's sub) and she reads it
    assert placed.status == 201, placed.body
    order = placed.json()
    assert order["customerId"] == ada.customer_id
    mine = _read(app, order["orderId"], f"Bearer {ada.access_token()}")
    assert (mine.status, mine.json()["shippingAddress"]) == (200, sample_order["shippingAddress"])
    # And the token is accepted bare, as API Gateway accepts it
    assert _read(app, order["orderId"], ada.access_token()).status == 200
    # When Grace reads it / Then it does not exist for her (no order id can be probed)
    theirs = _read(app, order["orderId"], f"Bearer {grace.access_token()}")
    assert (theirs.status, theirs.json()) == (404, {"message": "Order not found"})
    # When Grace places an order in Ada's name / Then it is refused and nothing is written
    written = _written(app)
    forged = _place(app, {**sample_order, "customerId": ada.customer_id}, f"Bearer {grace.access_token()}")
    assert forged.status == 403
    assert _written(app) == written


def test_an_operator_reads_any_order_and_places_one_for_a_customer_through_iam(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given a customer's order
    order = place_order(app, sample_order)
    operator = operator_session(app, "jane")
    # When an operator (a session of the stack's operator role) reads it / Then they get it
    read = app.api.request("GET", f"/{c.ORDERS_OPERATOR_PATH}/orders/{order['orderId']}", caller=operator)
    assert (read.status, read.json()) == (200, order)
    # And they place an order for a customer they name
    for_customer = {**sample_order, "customerId": order["customerId"], "items": sample_order["items"][:1]}
    assert post_order_as_operator(app, for_customer).status == 201
    # But any other IAM caller is refused on the operator routes, whatever its session is named
    written = _written(app)
    other_role = session_arn(app.account, "SomeOtherRole", "jane")
    developer = f"arn:aws:iam::{app.account}:user/local-developer"
    for caller in (other_role, developer):
        path = f"/{c.ORDERS_OPERATOR_PATH}/orders/{order['orderId']}"
        assert app.api.request("GET", path, caller=caller).status == 403
        assert post_order_as_operator(app, for_customer, caller=caller).status == 403
    assert _written(app) == written
    # And an operator's SigV4 identity is no customer's: the customer routes want a token
    assert app.api.request("GET", f"/orders/{order['orderId']}", caller=operator).status == 401


def _tampered(token: str, **claims: Any) -> str:
    """The token with claims changed and its signature kept (what a forger can do)."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**decoded, **claims}).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _other_pool_account(app: LocalApp) -> CustomerAccount:
    """A customer of a pool that is not the stack's (another application's, the same account)."""
    cognito = app.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="another-app", UsernameAttributes=["email"])["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="another-app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    account = CustomerAccount(cognito, client, "mallory@example.com")
    account.sign_up()
    return account


def _other_client_account(app: LocalApp) -> CustomerAccount:
    """A customer of the stack's pool, signed in through an app client the API does not accept."""
    cognito = app.client("cognito-idp")
    client = cognito.create_user_pool_client(
        UserPoolId=app.output(c.OUTPUT_USER_POOL_ID),
        ClientName="internal-tool",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    account = CustomerAccount(cognito, client, "trudy@customers.example")
    account.sign_up()
    return account


def test_a_token_the_api_does_not_accept_is_refused_and_nothing_is_written(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given a customer's order and tokens of every kind the API must refuse
    ada = customers(app)["ada"]
    order = post_order(app, sample_order, customer="ada").json()
    victim = ada.access_token()
    refused = {
        "no token": "",
        "not a token": "Bearer not-a-jwt",
        "the ID token": ada.tokens.id_token if ada.tokens else "",
        "a tampered subject": _tampered(victim, sub=str(uuid.uuid4())),
        "a tampered signature": victim[:-6] + ("AAAAAA" if not victim.endswith("AAAAAA") else "BBBBBB"),
        "another pool's": _other_pool_account(app).access_token(),
    }
    written = _written(app)
    for what, token in refused.items():
        # When it is used to place an order in the customer's name, and to read theirs
        placed = _place(app, {**sample_order, "customerId": ada.customer_id}, token)
        read = _read(app, order["orderId"], token)
        # Then API Gateway's authorizer refuses it before any code runs
        assert (placed.status, placed.json()) == UNAUTHORIZED, what
        assert (read.status, read.json()) == UNAUTHORIZED, what
    # And a token of the stack's pool issued to another app client passes the authorizer (which
    # does not check the audience) and is refused by the handler
    internal = _other_client_account(app)
    other_client = _place(app, {**sample_order, "customerId": internal.customer_id}, internal.access_token())
    assert (other_client.status, other_client.json()) == (
        401,
        {"message": "The token was not issued to this API's app client"},
    )
    # And nothing was written by any of them
    assert _written(app) == written


def test_an_expired_token_is_refused_on_the_virtual_clock(
    app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given a customer signed in now
    ada = customers(app)["ada"]
    token = ada.access_token()
    assert _place(app, {**sample_order, "customerId": ada.customer_id}, token).status == 201
    written = _written(app)
    # When the token's hour has passed on the clock the pool and the gateway read
    app.advance(timedelta(hours=c.ORDERS_CUSTOMER_TOKEN_HOURS, seconds=1))
    # Then the token is refused, and nothing is written
    assert (_place(app, {**sample_order, "customerId": ada.customer_id}, token).status) == 401
    assert _written(app) == written
    # And the customer renews it with their refresh token and carries on
    assert _place(app, {**sample_order, "customerId": ada.customer_id}, ada.access_token()).status == 201
