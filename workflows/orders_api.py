"""The orders API: the entry point that writes an order and its outbox record together.

Why API Gateway REST with AWS_IAM: callers are services signing with SigV4, so IAM is the
identity layer; the gateway adds request validation, throttling, access logs and X-Ray in
front of one Lambda that owns the transactional write.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from workflows import constants as c
from workflows.lambda_factory import PlatformFunction
from workflows.platform_foundation import PlatformFoundation
from workflows.rest_api import json_object_route, stage_options


class OrdersApi(Construct):
    """`POST /orders` and `GET /orders/{orderId}` backed by the orders Lambda; `add_route` for more.

    Every route of this API requires SigV4 (AWS_IAM). The payment provider holds no AWS
    credentials, so its webhook has an API of its own (`PaymentWebhookApi`).

    Attributes:
        api: the REST API.
        function: the orders Lambda (writes order + outbox record in one transaction).
        access_log_group: the stage's access log group.
    """

    def __init__(self, scope: Construct, construct_id: str, *, foundation: PlatformFoundation) -> None:
        super().__init__(scope, construct_id)
        self._foundation = foundation
        self.handler = self._build_function()
        self.function = self.handler.function
        self.access_log_group = foundation.log_group(self, "AccessLogs")
        self.api = self._build_api()
        self._build_routes()

    def _build_function(self) -> PlatformFunction:
        table = self._foundation.orders_table
        handler = PlatformFunction(
            self,
            "OrdersFunction",
            package="orders_api",
            handler=c.ORDERS_API_HANDLER,
            service_name="orders-api",
            description="Orders API: writes an order and its outbox record in one DynamoDB transaction",
            key=self._foundation.key,
            memory_size=c.ORDERS_API_MEMORY_MB,
            timeout_seconds=c.ORDERS_API_TIMEOUT_SECONDS,
            environment={
                "ORDERS_TABLE_NAME": table.table_name,
                "CUSTOMER_ROLE_NAME": c.ORDERS_CUSTOMER_ROLE_NAME,
                "OPERATOR_ROLE_NAMES": ",".join(c.ORDERS_OPERATOR_ROLE_NAMES),
                "EVENT_SOURCE": c.ORDERS_EVENT_SOURCE,
            },
        )
        # TransactWriteItems has no IAM action of its own: each item of a transaction is
        # authorized as the PutItem / UpdateItem it performs (the API writes no ConditionCheck).
        handler.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="OrdersTableItemAccess",
                actions=[
                    "dynamodb:PutItem",
                    "dynamodb:GetItem",
                    "dynamodb:UpdateItem",
                ],
                resources=[table.table_arn],
            )
        )
        handler.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="OrdersTableKeyUse",
                actions=["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                resources=[self._foundation.key.key_arn],
            )
        )
        return handler

    def _build_api(self) -> apigw.RestApi:
        api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=c.ORDERS_API_NAME,
            description="Order platform orders API (SigV4 / AWS_IAM)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Execution logging needs the account-level API Gateway CloudWatch role.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            default_method_options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.IAM),
            deploy_options=stage_options(
                stage_name=c.ORDERS_API_STAGE,
                access_log_group=self.access_log_group,
                rate_limit=c.ORDERS_API_THROTTLE_RATE_LIMIT,
                burst_limit=c.ORDERS_API_THROTTLE_BURST_LIMIT,
            ),
        )
        # The stack publishes the URL under its own stable output id (OrdersApiUrl).
        api.node.try_remove_child("Endpoint")
        cloud_watch_role = api.node.find_child("CloudWatchRole")
        NagSuppressions.add_resource_suppressions(
            cloud_watch_role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    reason=(
                        "This is API Gateway's account-level CloudWatch Logs role, required for stage "
                        "execution logging; AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained "
                        "policy for exactly that role and is attached to nothing else."
                    ),
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                    ],
                )
            ],
        )
        NagSuppressions.add_resource_suppressions(
            api.deployment_stage,
            [
                NagPackSuppression(
                    id="AwsSolutions-APIG3",
                    reason=(
                        "Every method requires SigV4 (AWS_IAM): unsigned requests are rejected by API "
                        "Gateway before any integration runs, and the stage is throttled. A WAF web ACL "
                        "adds no identity check here; it belongs to a public, unauthenticated front door."
                    ),
                )
            ],
        )
        return api

    def _build_routes(self) -> None:
        self._body_validator = apigw.RequestValidator(
            self,
            "BodyValidator",
            rest_api=self.api,
            validate_request_body=True,
            validate_request_parameters=True,
        )
        parameter_validator = apigw.RequestValidator(
            self,
            "ParameterValidator",
            rest_api=self.api,
            validate_request_body=False,
            validate_request_parameters=True,
        )
        self.add_route("POST", "orders", self.function, request_model_name="PlaceOrderRequest")
        order = self.api.root.resource_for_path(f"orders/{{{c.ORDER_ID_PATH_PARAMETER}}}")
        get = order.add_method(
            "GET",
            apigw.LambdaIntegration(self.function, allow_test_invoke=False),
            request_validator=parameter_validator,
            request_parameters={f"method.request.path.{c.ORDER_ID_PATH_PARAMETER}": True},
        )
        _acknowledge_iam_authorization(get)

    def add_route(
        self, http_method: str, path: str, function: lambda_.IFunction, *, request_model_name: str
    ) -> apigw.Method:
        """Route `http_method /path` of this API to `function` (Lambda proxy, SigV4, validated body)."""
        method = json_object_route(
            self.api, self._body_validator, http_method, path, function, request_model_name=request_model_name
        )
        _acknowledge_iam_authorization(method)
        return method

    @property
    def url(self) -> str:
        """The invoke URL of the deployed stage."""
        return self.api.url


def _acknowledge_iam_authorization(method: apigw.Method) -> None:
    NagSuppressions.add_resource_suppressions(
        method,
        [
            NagPackSuppression(
                id="AwsSolutions-COG4",
                reason=(
                    "Callers are services and operators signing with SigV4; the method uses "
                    "AWS_IAM authorization, so a Cognito user pool authorizer would add a second, "
                    "unused identity system."
                ),
            )
        ],
    )
