"""Lambda shell of FinishResolve: record the import's result and release the payload.

Only Powertools is imported at init; the task's models and adapters are imported by the first
invocation (README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from observability import powertools
from observability.failures import CLAIM_CHECK_FAILURE_METRIC, count_failures

logger, tracer, metrics = powertools("claim-check")


@logger.inject_lambda_context(correlation_id_path="claim.claimId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, failure_metric=CLAIM_CHECK_FAILURE_METRIC)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``claim_check.finish_handler.lambda_handler``."""
    from claim_check import adapters
    from claim_check.resolving import RangeResult, finish_resolve
    from claim_check.schemas import FinishRequest, parse_task_input
    from claim_check.settings import load_finish_settings

    settings = load_finish_settings()
    request = parse_task_input(FinishRequest, event)
    resolved = finish_resolve(
        request.claim,
        request.execution_id,
        [RangeResult(accepted=counts.accepted, rejected=counts.rejected) for counts in request.results],
        adapters.payloads_factory(),
        adapters.claims_factory(settings.claims_table_name),
        settings.after_success,
        datetime.now(UTC),
    )
    metrics.add_metric(name="ClaimsResolved", unit=MetricUnit.Count, value=1)
    logger.info(
        "Claim resolved",
        extra={
            "accepted": resolved.accepted,
            "rejected": resolved.rejected,
            "reportKey": resolved.report_key,
        },
    )
    return {
        "claimId": resolved.claim_id,
        "accepted": resolved.accepted,
        "rejected": resolved.rejected,
        "reportKey": resolved.report_key,
        "payload": settings.after_success + "d",
    }
