"""Shared Lambda defaults, so every task function is built the same way.

Why a factory: runtime, architecture, tracing, logging, the Powertools layer and the
packaging rule (a function ships its own package, the workflow packages it declares and the
shared packages, nothing else) are decisions made once. A construct that needs a function
states only what is specific to it: handler, environment, memory and timeout, and what it
may access.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from workflows import constants as c
from workflows.dependency_layer import build_layer
from workflows.function_code import stage_function_code
from workflows.platform_foundation import encrypted_log_group

_DEPENDENCY_LAYER_ID = "DependencyLayer"


def dependency_layer(scope: Construct) -> lambda_.ILayerVersion:
    """The layer of locked dependencies (`workflows/dependency_layer.py`), one per stack."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(_DEPENDENCY_LAYER_ID)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return lambda_.LayerVersion(
        stack,
        _DEPENDENCY_LAYER_ID,
        code=lambda_.Code.from_asset(str(build_layer())),
        compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
        compatible_architectures=[lambda_.Architecture.ARM_64],
        description="The functions' dependencies as requirements.lock pins them (Powertools, pydantic...)",
    )


class PlatformFunction(Construct):
    """A Python task function with the platform's defaults and its own role and log group.

    Attributes:
        function: the Lambda function.
        role: its execution role (no managed policies; constructs grant it what it needs).
        log_group: the function's log group, with retention, encrypted with the platform key.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        package: str,
        handler: str,
        service_name: str,
        description: str,
        key: kms.IKey,
        environment: Mapping[str, str] | None = None,
        memory_size: int = c.LAMBDA_DEFAULT_MEMORY_MB,
        timeout_seconds: int = c.LAMBDA_DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(scope, construct_id)
        if not handler.startswith(f"{package}."):
            raise ValueError(f"handler {handler!r} is not inside package {package!r}")

        self.log_group: logs.LogGroup = encrypted_log_group(self, "LogGroup", key=key)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {construct_id} ({service_name})",
        )
        # Only this function's own log group: no AWSLambdaBasicExecutionRole with logs on "*".
        self.log_group.grant_write(self.role)

        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=lambda_.Code.from_asset(str(stage_function_code(package))),
            memory_size=memory_size,
            timeout=Duration.seconds(timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.INFO,
            layers=[dependency_layer(self)],
            environment={
                "POWERTOOLS_SERVICE_NAME": service_name,
                "POWERTOOLS_METRICS_NAMESPACE": c.METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": c.POWERTOOLS_LOG_LEVEL,
                **c.LAMBDA_RUNTIME_TUNING,
                **(environment or {}),
            },
        )

        NagSuppressions.add_resource_suppressions(
            self.function,
            [
                NagPackSuppression(
                    id="AwsSolutions-L1",
                    reason=(
                        "python3.13 is pinned on purpose: it is the Python the tests and the local runtime "
                        "run (.python-runtime), and the dependency layer is built from requirements.lock "
                        "for it, so runtime, layer and venv move together as one tracked change. "
                        "python3.13 is a supported Lambda runtime."
                    ),
                )
            ],
        )
        NagSuppressions.add_resource_suppressions(
            self.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, "
                        "which support no resource-level permissions, so their statement must use "
                        "Resource '*'. Every other statement of this role names its resources "
                        "(tests/infra check that '*' appears only on X-Ray actions)."
                    ),
                    applies_to=["Resource::*"],
                ),
            ],
            apply_to_children=True,
        )
