"""What every REST API of the platform has in common: its stage and its JSON routes.

Two APIs front the platform: the orders API (callers sign with SigV4) and the payment webhook
(the provider signs each notice). They differ in who may call them; they share the front door:
access logs in JSON, execution logs without bodies (bodies carry customer and payment data),
X-Ray, metrics, stage throttling, and a body validator that refuses anything but a JSON object
before it costs an invocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs


def stage_options(
    *, stage_name: str, access_log_group: logs.ILogGroup, rate_limit: int, burst_limit: int
) -> apigw.StageOptions:
    """A platform stage: access and execution logs, tracing, metrics and its own throttling."""
    return apigw.StageOptions(
        stage_name=stage_name,
        access_log_destination=apigw.LogGroupLogDestination(access_log_group),
        access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
            caller=True,
            http_method=True,
            ip=True,
            protocol=True,
            request_time=True,
            resource_path=True,
            response_length=True,
            status=True,
            user=True,
        ),
        logging_level=apigw.MethodLoggingLevel.INFO,
        # Request/response bodies carry customer and payment data: keep them out of execution logs.
        data_trace_enabled=False,
        metrics_enabled=True,
        tracing_enabled=True,
        throttling_rate_limit=rate_limit,
        throttling_burst_limit=burst_limit,
    )


def json_object_route(
    api: apigw.RestApi,
    validator: apigw.IRequestValidator,
    http_method: str,
    path: str,
    function: lambda_.IFunction,
    *,
    request_model_name: str,
    authorization: CustomerAuthorization | None = None,
) -> apigw.Method:
    """Route `http_method /path` of `api` to `function` (Lambda proxy, validated body).

    The Lambda's pydantic model is the authoritative schema; the gateway only rejects bodies
    that are not a JSON object, so garbage never costs an invocation. Authorization is the
    API's default unless `authorization` names a user pool authorizer and its scopes.
    """
    model = api.add_model(
        request_model_name,
        content_type="application/json",
        model_name=request_model_name,
        schema=apigw.JsonSchema(
            schema=apigw.JsonSchemaVersion.DRAFT4,
            title=request_model_name,
            type=apigw.JsonSchemaType.OBJECT,
        ),
    )
    return api.root.resource_for_path(path).add_method(
        http_method,
        apigw.LambdaIntegration(function, allow_test_invoke=False),
        request_validator=validator,
        request_models={"application/json": model},
        **(authorization.method_options() if authorization else {}),
    )


@dataclass(frozen=True)
class CustomerAuthorization:
    """A user pool authorizer and the scopes a route requires of the token.

    With scopes on a method, API Gateway admits access tokens only, carrying one of them; without
    any, ID tokens only. The platform's customer routes always name a scope: an access token is
    the token meant for calling an API, and an ID token is the client's own record of who signed in.
    """

    authorizer: apigw.IAuthorizer
    scopes: tuple[str, ...]

    def method_options(self) -> dict[str, Any]:
        return {
            "authorizer": self.authorizer,
            "authorization_type": apigw.AuthorizationType.COGNITO,
            "authorization_scopes": list(self.scopes),
        }
