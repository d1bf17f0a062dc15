"""The orders API: the entry point that writes an order and its outbox record together.

Who calls it, and how each is proven:
- Customers sign in to the stack's user pool and call `POST /orders` and `GET /orders/{orderId}`
  with their access token. API Gateway's user pool authorizer checks the token (signature against
  the pool's keys, expiry, the scope that makes it an access token) before any code runs; the
  handler checks the app client it was issued to, and takes the customer id from its `sub`.
- Operators call `/operator/orders...` signed with SigV4 (AWS_IAM) as a session of the stack's
  operator role: the API's resource policy admits that role only, and the handler checks it too.

The gateway adds request validation, throttling, access logs and X-Ray in front of one Lambda that
owns the transactional write.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from workflows import constants as c
from workflows.lambda_factory import PlatformFunction
from workflows.platform_foundation import PlatformFoundation
from workflows.rest_api import CustomerAuthorization, json_object_route, stage_options


class OrdersApi(Construct):
    """The customers' routes (user pool tokens) and the operators' (the operator role, SigV4),
    backed by the orders Lambda.

    The payment provider holds neither a token nor AWS credentials, so its webhook has an API of
    its own (`PaymentWebhookApi`).

    Attributes:
        api: the REST API.
        function: the orders Lambda (writes order + outbox record in one transaction).
        access_log_group: the stage's access log group.
        customer_client: the user pool's app client customers sign in through (the tokens'
            audience the handler accepts).
        operator_role: the role an operator assumes to call the `/operator` routes.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        foundation: PlatformFoundation,
        user_pool: cognito.IUserPool,
    ) -> None:
        super().__init__(scope, construct_id)
        self._foundation = foundation
        self.customer_client = self._build_customer_client(user_pool)
        self.operator_role = self._build_operator_role()
        self.handler = self._build_function()
        self.function = self.handler.function
        self.access_log_group = foundation.log_group(self, "AccessLogs")
        self.api = self._build_api()
        self._customers = CustomerAuthorization(
            authorizer=apigw.CognitoUserPoolsAuthorizer(
                self,
                "CustomerAuthorizer",
                cognito_user_pools=[user_pool],
                identity_source=apigw.IdentitySource.header("Authorization"),
            ),
            scopes=c.ORDERS_CUSTOMER_SCOPES,
        )
        self._build_routes()
        self._grant_operators()

    def _build_customer_client(self, user_pool: cognito.IUserPool) -> cognito.UserPoolClient:
        """The app client customers sign in through: no secret (it runs in their browser or app),
        the pool's sign-in API only (SRP, or the password over TLS for the CLI), short-lived tokens
        that can be revoked, and no hint of which emails have accounts."""
        return cognito.UserPoolClient(
            self,
            "CustomerClient",
            user_pool=user_pool,
            user_pool_client_name="order-platform-customers",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(c.ORDERS_CUSTOMER_TOKEN_HOURS),
            id_token_validity=Duration.hours(c.ORDERS_CUSTOMER_TOKEN_HOURS),
            refresh_token_validity=Duration.days(c.ORDERS_CUSTOMER_REFRESH_DAYS),
        )

    def _build_operator_role(self) -> iam.Role:
        """The operators' role. It trusts this account: who may assume it is the account's own
        IAM decision (grant `sts:AssumeRole` on it to the on-call group); what it may do is call
        the `/operator` routes, nothing else."""
        return iam.Role(
            self,
            "OperatorRole",
            assumed_by=iam.AccountRootPrincipal(),
            description="On-call operators: read any order, place one for a customer (orders API /operator)",
            max_session_duration=Duration.hours(1),
        )

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
                "CUSTOMER_CLIENT_IDS": self.customer_client.user_pool_client_id,
                "OPERATOR_ROLE_ARN": self.operator_role.role_arn,
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
            description="Order platform orders API (customers: user pool tokens; operators: SigV4)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Execution logging needs the account-level API Gateway CloudWatch role.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            default_method_options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.IAM),
            policy=self._resource_policy(),
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
                        "Every method requires a proven identity before any integration runs (a user "
                        "pool access token checked by the authorizer, or SigV4 from the operator role), "
                        "the stage is throttled, and sign-in abuse meets the pool's threat protection. "
                        "A WAF web ACL (rate rules per client address) belongs to the deployer's edge "
                        "in front of a public storefront, whose traffic this stack cannot know."
                    ),
                )
            ],
        )
        return api

    def _resource_policy(self) -> iam.PolicyDocument:
        """Anyone may reach the customer routes (the authorizer then demands a token); only the
        operator role may reach `/operator`, even for a principal of this account whose own policy
        allows `execute-api:Invoke` on everything (same-account IAM callers pass on either policy,
        so only an explicit Deny limits them)."""
        operator_routes = f"execute-api:/*/*/{c.ORDERS_OPERATOR_PATH}/*"
        return iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="CustomersThroughTheAuthorizer",
                    principals=[iam.AnyPrincipal()],
                    actions=["execute-api:Invoke"],
                    resources=["execute-api:/*/POST/orders", "execute-api:/*/GET/orders/*"],
                ),
                iam.PolicyStatement(
                    sid="OperatorsOnly",
                    principals=[iam.ArnPrincipal(self.operator_role.role_arn)],
                    actions=["execute-api:Invoke"],
                    resources=[operator_routes],
                ),
                iam.PolicyStatement(
                    sid="NoOneElseOnOperatorRoutes",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["execute-api:Invoke"],
                    resources=[operator_routes],
                    conditions={"StringNotEquals": {"aws:PrincipalArn": self.operator_role.role_arn}},
                ),
            ]
        )

    def _build_routes(self) -> None:
        self._body_validator = apigw.RequestValidator(
            self,
            "BodyValidator",
            rest_api=self.api,
            validate_request_body=True,
            validate_request_parameters=True,
        )
        self._parameter_validator = apigw.RequestValidator(
            self,
            "ParameterValidator",
            rest_api=self.api,
            validate_request_body=False,
            validate_request_parameters=True,
        )
        # The customers': their own orders, proven by their access token
        self.add_route(
            "POST", "orders", self.function, request_model_name="PlaceOrderRequest", customers=True
        )
        self._read_route("orders", customers=True)
        # The operators': any customer's, proven by SigV4 from the operator role
        operator = c.ORDERS_OPERATOR_PATH
        self.add_route(
            "POST", f"{operator}/orders", self.function, request_model_name="PlaceOrderForCustomer"
        )
        self._read_route(f"{operator}/orders", customers=False)

    def _read_route(self, collection: str, *, customers: bool) -> None:
        order = self.api.root.resource_for_path(f"{collection}/{{{c.ORDER_ID_PATH_PARAMETER}}}")
        get = order.add_method(
            "GET",
            apigw.LambdaIntegration(self.function, allow_test_invoke=False),
            request_validator=self._parameter_validator,
            request_parameters={f"method.request.path.{c.ORDER_ID_PATH_PARAMETER}": True},
            **(self._customers.method_options() if customers else {}),
        )
        if not customers:
            _acknowledge_iam_authorization(get)

    def add_route(
        self,
        http_method: str,
        path: str,
        function: lambda_.IFunction,
        *,
        request_model_name: str,
        customers: bool = False,
    ) -> apigw.Method:
        """Route `http_method /path` of this API to `function` (Lambda proxy, validated body):
        for signed-in customers (their access token), or else for SigV4 callers."""
        method = json_object_route(
            self.api,
            self._body_validator,
            http_method,
            path,
            function,
            request_model_name=request_model_name,
            authorization=self._customers if customers else None,
        )
        if not customers:
            _acknowledge_iam_authorization(method)
        return method

    def _grant_operators(self) -> None:
        """The operator role may call the `/operator` routes of this stage, and nothing else."""
        self.operator_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="OperatorRoutes",
                actions=["execute-api:Invoke"],
                resources=[
                    self.api.arn_for_execute_api("*", f"/{c.ORDERS_OPERATOR_PATH}/*", c.ORDERS_API_STAGE)
                ],
            )
        )
        NagSuppressions.add_resource_suppressions(
            self.operator_role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "The wildcards are this stage's /operator routes: any method, and the order id "
                        "in the path, which is the point of reading any order."
                    ),
                    applies_to=[
                        {
                            "regex": (
                                f"/^Resource::arn:<AWS::Partition>:execute-api:.*/{c.ORDERS_OPERATOR_PATH}/\\*$/"
                            )
                        }
                    ],
                )
            ],
            apply_to_children=True,
        )

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
                    "An operator's route: the caller signs with SigV4 as the stack's operator role "
                    "(AWS_IAM, limited to that role by the API's resource policy and the handler). "
                    "Customers have user pool routes of their own; operators are not pool users."
                ),
            )
        ],
    )
