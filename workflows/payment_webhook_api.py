"""The payment provider's front door: `POST /payments/webhook` on an API of its own.

Why a second API: the orders API requires SigV4, and a payment provider holds no AWS
credentials; it proves a notice is its own by signing it (HMAC-SHA256 over a timestamp and the
raw body, with a secret in Secrets Manager: `lambdas/payment_webhook/signatures.py`). So the
route is open at the gateway (authorization NONE) and the function refuses every notice that is
not signed by a valid secret, stale, replayed or not about the ledger's amount, before anything
is read. The API has its own stage throttling, so a flood of forged notices cannot eat the
orders API's rate, and an alarm pages on a spike of refusals.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct, IDependable

from workflows import constants as c
from workflows.platform_foundation import PlatformFoundation
from workflows.rest_api import json_object_route, stage_options


class PaymentWebhookApi(Construct):
    """`POST /payments/webhook`, unauthenticated at the gateway, signed notices only.

    Attributes:
        api: the REST API.
        method: the webhook's method.
        access_log_group: the stage's access log group.
        refusals_page: pages the operators on a spike of refused notices.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        foundation: PlatformFoundation,
        function: lambda_.IFunction,
        logging_role_set_by: IDependable,
    ) -> None:
        """`logging_role_set_by`: what sets the account's API Gateway CloudWatch role (the orders
        API); this stage's execution logging needs it in place first."""
        super().__init__(scope, construct_id)
        self.access_log_group = foundation.log_group(self, "AccessLogs")
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=c.PAYMENT_WEBHOOK_API_NAME,
            description="Order platform payment webhook (notices signed by the payment provider)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,
            default_method_options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.NONE),
            deploy_options=stage_options(
                stage_name=c.PAYMENT_WEBHOOK_API_STAGE,
                access_log_group=self.access_log_group,
                rate_limit=c.PAYMENT_WEBHOOK_THROTTLE_RATE_LIMIT,
                burst_limit=c.PAYMENT_WEBHOOK_THROTTLE_BURST_LIMIT,
            ),
        )
        # The stack publishes the webhook's URL under its own output id (PaymentWebhookUrl).
        self.api.node.try_remove_child("Endpoint")
        self.api.deployment_stage.node.add_dependency(logging_role_set_by)
        validator = apigw.RequestValidator(
            self,
            "BodyValidator",
            rest_api=self.api,
            validate_request_body=True,
            validate_request_parameters=True,
        )
        self.method = json_object_route(
            self.api,
            validator,
            "POST",
            c.PAYMENT_WEBHOOK_PATH,
            function,
            request_model_name=c.PAYMENT_WEBHOOK_REQUEST_MODEL,
        )
        self.refusals_page = foundation.pager.when_above(
            self,
            "NoticesRefusedAlarm",
            metric=cloudwatch.Metric(
                namespace=c.METRICS_NAMESPACE,
                metric_name=c.PAYMENT_WEBHOOK_REFUSAL_METRIC,
                dimensions_map={"service": c.PAYMENT_WEBHOOK_SERVICE_NAME},
                period=Duration.minutes(5),
                statistic="Sum",
            ),
            threshold=c.PAYMENT_WEBHOOK_REFUSAL_ALARM_THRESHOLD,
            description=(
                "The payment webhook refused many notices in 5 minutes (forged, stale, replayed, "
                "mismatched or malformed): a forger at work, or the provider's signing or secret "
                "is out of step. See the webhook's WebhookNotices* metrics for which."
            ),
        )
        self._acknowledge_signed_notices()

    @property
    def url(self) -> str:
        """The webhook's full URL (stage and path)."""
        return f"{self.api.url}{c.PAYMENT_WEBHOOK_PATH}"

    def _acknowledge_signed_notices(self) -> None:
        NagSuppressions.add_resource_suppressions(
            self.method,
            [
                NagPackSuppression(
                    id=rule,
                    reason=(
                        "The payment provider holds no AWS credentials and no user pool identity; "
                        "every notice is authenticated by the function instead, by an HMAC-SHA256 "
                        "signature over its timestamp and raw body with a secret kept in Secrets "
                        "Manager, and refused (401) before anything is read when it does not hold."
                    ),
                )
                for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4")
            ],
        )
        NagSuppressions.add_resource_suppressions(
            self.api.deployment_stage,
            [
                NagPackSuppression(
                    id="AwsSolutions-APIG3",
                    reason=(
                        "One route, taking only signed notices of at most 8 KiB, behind its own stage "
                        "throttling and a refusal-spike alarm; a WAF web ACL would add a per-IP rate "
                        "limit, which a deployer can attach to the stage where the provider publishes "
                        "its source ranges (WAF is priced per ACL and per request)."
                    ),
                )
            ],
        )
