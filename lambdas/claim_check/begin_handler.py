"""Lambda shell of BeginResolve: the idempotency gate on the claim id.

Only Powertools is imported at init; the task's models and adapters are imported by the first
invocation (README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from claim_check.errors import ClaimExpired, ClaimNotFound
from observability import powertools
from observability.failures import CLAIM_CHECK_FAILURE_METRIC, count_failures

logger, tracer, metrics = powertools("claim-check")


@logger.inject_lambda_context(correlation_id_path="executionId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(
    logger,
    metrics,
    {ClaimNotFound: "ClaimsNotFound", ClaimExpired: "ClaimsExpired"},
    failure_metric=CLAIM_CHECK_FAILURE_METRIC,
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``claim_check.begin_handler.lambda_handler``."""
    from claim_check import adapters
    from claim_check.resolving import begin_resolve, claim_id_of
    from claim_check.schemas import ResolveRequest, parse_task_input
    from claim_check.settings import load_claims_settings

    settings = load_claims_settings()
    request = parse_task_input(ResolveRequest, event)
    claim_id = claim_id_of(request.records)
    logger.append_keys(claimId=claim_id)
    gate = begin_resolve(
        claim_id, request.execution_id, adapters.claims_factory(settings.claims_table_name), datetime.now(UTC)
    )
    metrics.add_metric(
        name="DuplicateClaimEvents" if gate.duplicate else "ClaimsResolving", unit=MetricUnit.Count, value=1
    )
    logger.info("Claim gate", extra={"duplicate": gate.duplicate, "status": gate.claim.status})
    return {"claim": gate.claim.model_dump(mode="json", exclude_none=True), "duplicate": gate.duplicate}
