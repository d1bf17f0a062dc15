"""Lambda shell of ImportRange (one Distributed Map child): one byte range's lines to orders.

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

logger, tracer, metrics = powertools("claim-check", mask_personal_data=True)


@logger.inject_lambda_context(correlation_id_path="claim.claimId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, failure_metric=CLAIM_CHECK_FAILURE_METRIC)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point: ``claim_check.import_handler.lambda_handler``."""
    from claim_check import adapters
    from claim_check.resolving import import_range
    from claim_check.schemas import RangeCounts, RangeRequest, parse_task_input, task_output
    from claim_check.settings import load_import_settings

    settings = load_import_settings()
    request = parse_task_input(RangeRequest, event)
    result = import_range(
        request.claim,
        request.range,
        adapters.payloads_factory(),
        adapters.orders_factory(settings.orders_table_name),
        datetime.now(UTC),
    )
    metrics.add_metric(name="ImportedOrders", unit=MetricUnit.Count, value=result.accepted)
    metrics.add_metric(name="RejectedLines", unit=MetricUnit.Count, value=result.rejected)
    logger.info(
        "Range imported",
        extra={
            "firstLine": request.range.first_line,
            "accepted": result.accepted,
            "rejected": result.rejected,
        },
    )
    return task_output(RangeCounts(accepted=result.accepted, rejected=result.rejected))
