"""Lambda shell of VerifyPayload: the claimed version exists, with the claimed size and SHA-256.

Only Powertools is imported at init; the task's models and adapters are imported by the first
invocation (README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from claim_check.errors import ClaimIntegrityError, ClaimNotFound
from observability import powertools
from observability.failures import CLAIM_CHECK_FAILURE_METRIC, count_failures

logger, tracer, metrics = powertools("claim-check")


@logger.inject_lambda_context(correlation_id_path="claim.claimId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(
    logger,
    metrics,
    {ClaimNotFound: "PayloadsMissing", ClaimIntegrityError: "PayloadsTampered"},
    failure_metric=CLAIM_CHECK_FAILURE_METRIC,
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``claim_check.verify_handler.lambda_handler``."""
    from claim_check import adapters
    from claim_check.resolving import verify_payload
    from claim_check.schemas import ClaimRequest, parse_task_input

    request = parse_task_input(ClaimRequest, event)
    verify_payload(request.claim, adapters.payloads_factory())
    metrics.add_metric(name="PayloadsVerified", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="VerifiedBytes", unit=MetricUnit.Bytes, value=request.claim.size)
    return {"size": request.claim.size, "sha256": request.claim.sha256}
