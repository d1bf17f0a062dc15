"""API Gateway's user pool authorizer, locally: which tokens a COGNITO_USER_POOLS method admits,
and the claims its integration sees."""

from __future__ import annotations

import re
import time

import pytest

from demo.customers import CustomerAccount
from local_runtime import LocalApp
from local_runtime.user_pool_authorizer import UserPoolAuthorizer

SCOPE = ("aws.cognito.signin.user.admin",)


@pytest.fixture
def signed_in(tiny_app: LocalApp) -> tuple[CustomerAccount, UserPoolAuthorizer]:
    """A user of a fresh pool, signed in, and an authorizer for that pool."""
    cognito = tiny_app.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName=f"p{time.monotonic_ns()}", UsernameAttributes=["email"])[
        "UserPool"
    ]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    account = CustomerAccount(cognito, client, "ada@example.com")
    account.sign_up()
    account.sign_in()
    authorizer = UserPoolAuthorizer.from_properties(
        {"ProviderARNs": [pool["Arn"]], "IdentitySource": "method.request.header.Authorization"}
    )
    return account, authorizer


def test_a_method_with_a_scope_admits_access_tokens_carrying_it(
    signed_in: tuple[CustomerAccount, UserPoolAuthorizer],
) -> None:
    account, authorizer = signed_in
    assert account.tokens is not None
    access, identity = account.tokens.access_token, account.tokens.id_token
    claims = authorizer.claims({"authorization": f"bearer {access}"}, SCOPE)  # names are case-blind
    assert claims is not None and claims["sub"] == account.customer_id
    assert authorizer.claims({"Authorization": access}, SCOPE) == claims  # bare, as API Gateway takes it
    assert authorizer.claims({"Authorization": identity}, SCOPE) is None  # an ID token
    assert authorizer.claims({"Authorization": access}, ("orders/place",)) is None  # not its scope
    assert authorizer.claims({}, SCOPE) is None


def test_a_method_without_a_scope_admits_id_tokens_only(
    signed_in: tuple[CustomerAccount, UserPoolAuthorizer],
) -> None:
    account, authorizer = signed_in
    assert account.tokens is not None
    assert authorizer.claims({"Authorization": account.tokens.id_token}, ()) is not None
    assert authorizer.claims({"Authorization": account.tokens.access_token}, ()) is None


def test_the_integration_sees_every_claim_as_a_string_and_times_as_api_gateway_writes_them(
    signed_in: tuple[CustomerAccount, UserPoolAuthorizer],
) -> None:
    account, authorizer = signed_in
    claims = authorizer.claims({"Authorization": account.access_token()}, SCOPE)
    assert claims is not None and all(isinstance(value, str) for value in claims.values())
    assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}", claims["exp"])
    assert claims["token_use"] == "access" and claims["scope"] == SCOPE[0]


def test_a_token_of_a_deleted_pool_is_refused(
    tiny_app: LocalApp, signed_in: tuple[CustomerAccount, UserPoolAuthorizer]
) -> None:
    account, authorizer = signed_in
    pool_id = authorizer.pool_arns[0].rsplit("/", 1)[-1]
    tiny_app.client("cognito-idp").delete_user_pool(UserPoolId=pool_id)
    assert authorizer.claims({"Authorization": account.access_token()}, SCOPE) is None
