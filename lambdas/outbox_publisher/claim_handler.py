"""ClaimRecords: claim the records named by the pipe batch or found by the sweep, and return the
batches to publish. The response can be large, so it is not copied into the trace."""

from __future__ import annotations

from datetime import UTC, datetime

from observability.failures import OUTBOX_FAILURE_METRIC
from observability.slo import OUTBOX_OLDEST_PENDING_AGE
from order_store.dynamodb import outbox_repository
from outbox_publisher.errors import InvalidOutboxInput
from outbox_publisher.logic import claim_outbox, oldest_pending_age
from outbox_publisher.schemas import ClaimRequest, ClaimResult, SweepInput
from outbox_publisher.settings import load_claim_settings
from task_io.shell import TaskShell

shell = TaskShell("outbox-publisher", InvalidOutboxInput, failure_metric=OUTBOX_FAILURE_METRIC)
repository_factory = outbox_repository
"""The outbox repository for a table name; tests replace it here."""


@shell.task(ClaimRequest, correlation_id_path="claimToken", capture_response=False)
def lambda_handler(request: ClaimRequest) -> ClaimResult:
    settings = load_claim_settings()
    repository = repository_factory(settings.orders_table_name)
    now = datetime.now(UTC)
    if isinstance(request.source, SweepInput):  # the sweeper knows how far behind the outbox is
        shell.measure(OUTBOX_OLDEST_PENDING_AGE, [oldest_pending_age(repository, now)])
    result = claim_outbox(request, repository, settings, now)
    shell.count(OutboxClaimed=result.claimed, OutboxSkipped=result.skipped)
    shell.logger.info(
        "Outbox records claimed",
        extra={
            "claimed": result.claimed,
            "skipped": result.skipped,
            "deferred": result.deferred,
            "batches": len(result.batches),
        },
    )
    return result
