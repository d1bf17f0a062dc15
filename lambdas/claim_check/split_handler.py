"""Lambda shell of IssueClaim (split workflow): intake message in, claim out.

Only Powertools is imported at init; the task's models and adapters are imported by the first
invocation (README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from claim_check.errors import InvalidIntakeMessage
from observability import powertools
from observability.failures import CLAIM_CHECK_FAILURE_METRIC, count_failures

logger, tracer, metrics = powertools("claim-check")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(
    logger, metrics, {InvalidIntakeMessage: "IntakeRejected"}, failure_metric=CLAIM_CHECK_FAILURE_METRIC
)
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``claim_check.split_handler.lambda_handler`` (the event is the pipe's batch)."""
    from claim_check import adapters
    from claim_check.intake import parse_intake
    from claim_check.settings import load_split_settings
    from claim_check.splitting import issue_claim

    settings = load_split_settings()
    intake = parse_intake(event)
    logger.append_keys(intakeMessageId=intake.message_id, door=intake.door)
    claim = issue_claim(
        intake,
        settings.payload_bucket_name,
        adapters.payloads_factory(),
        adapters.claims_factory(settings.claims_table_name),
        range_bytes=settings.range_bytes,
        time_to_live=timedelta(days=settings.ttl_days),
        now=datetime.now(UTC),
    )
    metrics.add_metric(name="ClaimsIssued", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ClaimedBytes", unit=MetricUnit.Bytes, value=claim.size)
    logger.info("Claim issued", extra={"claimId": claim.claim_id, "size": claim.size, "ranges": claim.ranges})
    return {"claim": claim.model_dump(mode="json")}
