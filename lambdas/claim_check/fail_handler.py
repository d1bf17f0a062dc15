"""Lambda shell of MarkClaimFailed: the claim records why it was not resolved (the execution
then fails, and the failure rule parks its message).

Only Powertools is imported at init; the task's models and adapters are imported by the first
invocation (README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from claim_check.errors import InvalidClaimInput
from observability import powertools
from observability.failures import CLAIM_CHECK_FAILURE_METRIC, count_failures

logger, tracer, metrics = powertools("claim-check")


@logger.inject_lambda_context(correlation_id_path="executionId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, failure_metric=CLAIM_CHECK_FAILURE_METRIC)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``claim_check.fail_handler.lambda_handler``."""
    from claim_check import adapters
    from claim_check.resolving import claim_id_of
    from claim_check.schemas import MarkFailedRequest, parse_task_input
    from claim_check.settings import load_claims_settings

    settings = load_claims_settings()
    request = parse_task_input(MarkFailedRequest, event)
    metrics.add_metric(name="ClaimsFailed", unit=MetricUnit.Count, value=1)
    try:
        claim_id = claim_id_of(request.records)
    except InvalidClaimInput:
        logger.warning("Failed resolve names no claim", extra={"error": request.failure.error})
        return {"marked": False}
    marked = adapters.claims_factory(settings.claims_table_name).fail(
        claim_id, request.execution_id, request.failure.error, request.failure.cause or "", datetime.now(UTC)
    )
    logger.warning(
        "Claim failed", extra={"claimId": claim_id, "error": request.failure.error, "marked": marked}
    )
    return {"claimId": claim_id, "marked": marked}
