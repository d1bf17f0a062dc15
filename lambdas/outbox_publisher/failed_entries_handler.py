"""Lambda shell of the SelectFailedEntries task: keep the rejected entries, compute the backoff.

The task input is one Map iteration's state, which carries no execution id; log lines are
correlated by the event ids of the batch instead.

Only Powertools is imported at init; the task's models are imported by the first invocation
(README, "Cold start": a handler's import stays within 1.5x `import boto3`).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from observability import powertools
from observability.failures import OUTBOX_FAILURE_METRIC, count_failures

logger, tracer, metrics = powertools("outbox-publisher")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@count_failures(logger, metrics, failure_metric=OUTBOX_FAILURE_METRIC)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Select the failed entries of one PutEvents attempt."""
    from outbox_publisher.logic import select_failed_entries
    from outbox_publisher.schemas import FailedEntriesRequest, parse_task_input, task_output
    from outbox_publisher.settings import load_retry_settings

    settings = load_retry_settings()
    request = parse_task_input(FailedEntriesRequest, event)
    logger.append_keys(eventIds=[key.event_id for key in request.keys])
    retry = select_failed_entries(request, settings)
    metrics.add_metric(name="OutboxEntriesFailed", unit=MetricUnit.Count, value=len(retry.entries))
    logger.warning(
        "PutEvents rejected entries",
        extra={
            "attempt": request.attempt,
            "exhausted": retry.exhausted,
            "delaySeconds": retry.delay_seconds,
            "errors": [error.model_dump(mode="json") for error in retry.last_errors],
        },
    )
    return task_output(retry)
