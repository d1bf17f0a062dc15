"""Lambda shell of the ClaimRecords task: parse, claim, return the batches to publish.

Only Powertools is imported at init; the task's models and adapters are imported by the first
invocation (README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from observability import powertools
from observability.failures import OUTBOX_FAILURE_METRIC, count_failures
from order_store.factories import outbox_repository

if TYPE_CHECKING:
    from order_store.ports import OutboxRepository

logger, tracer, metrics = powertools("outbox-publisher")


repository_factory: Callable[[str], OutboxRepository] = outbox_repository
"""Builds the repository for a table name; tests replace it with an in-memory fake."""


@logger.inject_lambda_context(correlation_id_path="claimToken", clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
@count_failures(logger, metrics, failure_metric=OUTBOX_FAILURE_METRIC)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Claim the records named by the pipe batch or found by the sweep; the response can be
    large, so it is not copied into the trace."""
    from outbox_publisher.logic import claim_outbox
    from outbox_publisher.schemas import ClaimRequest, parse_task_input, task_output
    from outbox_publisher.settings import load_claim_settings

    settings = load_claim_settings()
    request = parse_task_input(ClaimRequest, event)
    result = claim_outbox(
        request, repository_factory(settings.orders_table_name), settings, datetime.now(UTC)
    )
    metrics.add_metric(name="OutboxClaimed", unit=MetricUnit.Count, value=result.claimed)
    metrics.add_metric(name="OutboxSkipped", unit=MetricUnit.Count, value=result.skipped)
    logger.info(
        "Outbox records claimed",
        extra={
            "claimed": result.claimed,
            "skipped": result.skipped,
            "deferred": result.deferred,
            "batches": len(result.batches),
        },
    )
    return task_output(result)
