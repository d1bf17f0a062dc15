"""MarkPublished: mark accepted records PUBLISHED and release failed ones; records another
execution owns now are logged, never raised (their new owner settles them)."""

from __future__ import annotations

from datetime import UTC, datetime

from observability.failures import OUTBOX_FAILURE_METRIC
from observability.slo import OUTBOX_LAG
from order_store.dynamodb import outbox_repository
from outbox_publisher.errors import InvalidOutboxInput
from outbox_publisher.logic import published_lags, settle_claims
from outbox_publisher.schemas import MarkOutcome, MarkRequest
from outbox_publisher.settings import load_mark_settings
from task_io.shell import TaskShell

shell = TaskShell("outbox-publisher", InvalidOutboxInput, failure_metric=OUTBOX_FAILURE_METRIC)
logger = shell.logger
repository_factory = outbox_repository
"""The outbox repository for a table name; tests replace it here."""


@shell.task(MarkRequest, correlation_id_path="claimToken")
def lambda_handler(request: MarkRequest) -> MarkOutcome:
    settings = load_mark_settings()
    now = datetime.now(UTC)
    outcome = settle_claims(request, repository_factory(settings.orders_table_name), settings, now)
    shell.count(OutboxPublished=outcome.published, OutboxReleased=outcome.released)
    shell.measure(OUTBOX_LAG, published_lags(request, outcome, now))
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
    return outcome
