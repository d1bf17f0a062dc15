"""SelectFailedEntries: keep the entries PutEvents rejected and compute the backoff.

The task input is one Map iteration's state, which carries no execution id; log lines are
correlated by the event ids of the batch instead.
"""

from __future__ import annotations

from observability.failures import OUTBOX_FAILURE_METRIC
from outbox_publisher.errors import InvalidOutboxInput
from outbox_publisher.logic import select_failed_entries
from outbox_publisher.schemas import FailedEntriesRequest, RetryBatch
from outbox_publisher.settings import load_retry_settings
from task_io.shell import TaskShell

shell = TaskShell("outbox-publisher", InvalidOutboxInput, failure_metric=OUTBOX_FAILURE_METRIC)


@shell.task(FailedEntriesRequest)
def lambda_handler(request: FailedEntriesRequest) -> RetryBatch:
    shell.logger.append_keys(eventIds=[key.event_id for key in request.keys])
    retry = select_failed_entries(request, load_retry_settings())
    shell.count(OutboxEntriesFailed=len(retry.entries))
    shell.logger.warning(
        "PutEvents rejected entries",
        extra={
            "attempt": request.attempt,
            "exhausted": retry.exhausted,
            "delaySeconds": retry.delay_seconds,
            "errors": [error.model_dump(mode="json") for error in retry.last_errors],
        },
    )
    return retry
