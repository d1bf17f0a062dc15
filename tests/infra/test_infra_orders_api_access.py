"""Who may call the orders API, as the template says it: every identity the API relies on is
defined in the stack, and none rests on a name the caller chooses."""

from __future__ import annotations

from typing import Any

from tests.infra.synthesis import Synthesized, ref_id, ref_target, statement_actions
from workflows import constants as c


def _orders_methods(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        synthesized.path_of(logical_id).split("/Api/Default/", 1)[1].removesuffix("/Resource"): method[
            "Properties"
        ]
        for logical_id, method in synthesized.under("AWS::ApiGateway::Method", "OrdersApi").items()
    }


def test_customer_routes_take_an_access_token_of_the_stacks_pool(synthesized: Synthesized) -> None:
    # Given the orders API's methods and its one authorizer
    methods = _orders_methods(synthesized)
    authorizer_id, authorizer = synthesized.one_of_type("AWS::ApiGateway::Authorizer")
    pool_id, _ = synthesized.one_of_type("AWS::Cognito::UserPool")
    # Then the authorizer is the stack's user pool, reading the Authorization header ...
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert [ref_target(arn) for arn in authorizer["Properties"]["ProviderARNs"]] == [pool_id]
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"
    # ... and the customers' two routes use it with a scope, which makes API Gateway take
    # access tokens only (an ID token is refused)
    for route in ("orders/POST", "orders/{orderId}/GET"):
        props = methods[route]
        assert props["AuthorizationType"] == "COGNITO_USER_POOLS", route
        assert ref_id(props["AuthorizerId"]) == authorizer_id, route
        assert props["AuthorizationScopes"] == list(c.ORDERS_CUSTOMER_SCOPES), route


def test_the_customers_app_client_has_no_secret_and_short_lived_revocable_tokens(
    synthesized: Synthesized,
) -> None:
    # Given the app client customers sign in through
    _, client = synthesized.one_of_type("AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    pool_id, _ = synthesized.one_of_type("AWS::Cognito::UserPool")
    # Then it is the stack pool's, holds no secret (it runs on the customer's device), signs in
    # through the pool's API only, and its tokens expire within the hour and can be revoked
    assert ref_target(props["UserPoolId"]) == pool_id
    assert props.get("GenerateSecret") in (None, False)
    assert set(props["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert props["PreventUserExistenceErrors"] == "ENABLED"
    assert props["EnableTokenRevocation"] is True
    assert props["AccessTokenValidity"] == c.ORDERS_CUSTOMER_TOKEN_HOURS * 60  # minutes, as CDK writes it
    # And the handler accepts tokens of exactly that client
    variables = _orders_function_environment(synthesized)
    assert (
        ref_target(variables["CUSTOMER_CLIENT_IDS"])
        == synthesized.one_of_type("AWS::Cognito::UserPoolClient")[0]
    )


def _orders_function_environment(synthesized: Synthesized) -> dict[str, Any]:
    (function,) = [
        f
        for f in synthesized.of_type("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == c.ORDERS_API_HANDLER
    ]
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return variables


def test_operator_routes_are_the_stacks_operator_role_only(synthesized: Synthesized) -> None:
    # Given the operator role the stack defines
    role_id, role = synthesized.one_under("AWS::IAM::Role", "OrdersApi/OperatorRole")
    # Then it trusts this account only (the account's IAM decides who may assume it) ...
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert "Fn::Join" in trust["Principal"]["AWS"]  # arn:<partition>:iam::<this account>:root
    assert ":root" in str(trust["Principal"]["AWS"])
    # ... it may invoke the /operator routes and nothing else ...
    statements = synthesized.statements(role_id)
    assert {a for s in statements for a in statement_actions(s)} == {"execute-api:Invoke"}
    assert all(f"/{c.ORDERS_OPERATOR_PATH}/*" in str(s["Resource"]) for s in statements)
    # ... the operator routes sign with SigV4 ...
    methods = _orders_methods(synthesized)
    operator = c.ORDERS_OPERATOR_PATH
    for route in (f"{operator}/orders/POST", f"{operator}/orders/{{orderId}}/GET"):
        assert methods[route]["AuthorizationType"] == "AWS_IAM", route
    # ... the API's resource policy denies them to every principal but that role ...
    _, api = synthesized.one_under("AWS::ApiGateway::RestApi", "OrdersApi")
    policy = api["Properties"]["Policy"]["Statement"]
    (deny,) = [s for s in policy if s["Effect"] == "Deny"]
    assert deny["Resource"] == f"execute-api:/*/*/{c.ORDERS_OPERATOR_PATH}/*"
    assert ref_target(deny["Condition"]["StringNotEquals"]["aws:PrincipalArn"]) == role_id
    # ... and the handler knows the role by its ARN, never by a session name
    variables = _orders_function_environment(synthesized)
    assert ref_target(variables["OPERATOR_ROLE_ARN"]) == role_id
    assert not any("ROLE_NAME" in name for name in variables)


def test_every_role_the_template_names_is_defined_in_it(synthesized: Synthesized) -> None:
    # Every role ARN a resource refers to is a role of this stack (or an AWS service's own)
    roles = set(synthesized.of_type("AWS::IAM::Role"))
    text = str(synthesized.template_json)
    assert "OrderPlatformCustomerAccess" not in text
    assert "OrderPlatformOperator" not in text
    for logical_id, resource in synthesized.resources.items():
        for key in ("Role", "RoleArn", "ExecutionRoleArn"):
            value = resource.get("Properties", {}).get(key)
            if isinstance(value, dict):
                assert ref_target(value) in roles, (logical_id, key, value)
