"""Lambda shell of the MarkPublished task: settle every claimed record of the execution.

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
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, failure_metric=OUTBOX_FAILURE_METRIC)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Mark accepted records PUBLISHED, release failed ones; records another execution owns
    now are logged, never raised (their new owner settles them)."""
    from outbox_publisher.logic import settle_claims
    from outbox_publisher.schemas import MarkRequest, parse_task_input, task_output
    from outbox_publisher.settings import load_mark_settings

    settings = load_mark_settings()
    request = parse_task_input(MarkRequest, event)
    outcome = settle_claims(
        request, repository_factory(settings.orders_table_name), settings, datetime.now(UTC)
    )
    metrics.add_metric(name="OutboxPublished", unit=MetricUnit.Count, value=outcome.published)
    metrics.add_metric(name="OutboxReleased", unit=MetricUnit.Count, value=outcome.released)
    if outcome.conflict_event_ids:
        logger.warning(
            "Outbox records claimed by another execution were left alone",
            extra={"eventIds": outcome.conflict_event_ids},
        )
    if outcome.failed_event_ids:
        logger.warning(
            "Outbox records released for a later attempt", extra={"eventIds": outcome.failed_event_ids}
        )
    logger.info("Outbox claims settled", extra={"published": outcome.published, "failed": outcome.failed})
    return task_output(outcome)
