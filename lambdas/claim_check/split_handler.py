"""IssueClaim (split workflow): the intake message in the pipe's batch in, the claim out, and the
PutEvents entries of the ClaimCheckIssued event that announces it (the claim with its contract
version; one entry per version while an older major is published side by side)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from claim_check import adapters
from claim_check.errors import InvalidClaimInput, InvalidIntakeMessage
from claim_check.intake import Intake, parse_intake
from claim_check.models import CLAIM_CHECK_ISSUED, ClaimCheckIssued
from claim_check.settings import load_split_settings
from claim_check.splitting import issue_claim
from observability.failures import CLAIM_CHECK_FAILURE_METRIC
from order_store.events import PutEventsEntry
from task_io.shell import TaskShell

shell = TaskShell("claim-check", InvalidClaimInput, failure_metric=CLAIM_CHECK_FAILURE_METRIC)


@shell.task(parse_intake, failures={InvalidIntakeMessage: "IntakeRejected"})
def lambda_handler(intake: Intake) -> dict[str, Any]:
    shell.logger.append_keys(intakeMessageId=intake.message_id, door=intake.door)
    settings = load_split_settings()
    claim = issue_claim(
        intake,
        settings.payload_bucket_name,
        adapters.payloads_factory(),
        adapters.claims_factory(settings.claims_table_name),
        range_bytes=settings.range_bytes,
        time_to_live=timedelta(days=settings.ttl_days),
        now=datetime.now(UTC),
    )
    shell.count(ClaimsIssued=1)
    shell.metrics.add_metric(name="ClaimedBytes", unit=MetricUnit.Bytes, value=claim.size)
    shell.logger.info(
        "Claim issued", extra={"claimId": claim.claim_id, "size": claim.size, "ranges": claim.ranges}
    )
    entries = [
        PutEventsEntry(
            source=settings.event_source,
            detail_type=CLAIM_CHECK_ISSUED,
            detail=json.dumps(detail, separators=(",", ":"), ensure_ascii=False),
            event_bus_name=settings.event_bus_name,
        ).model_dump()
        for detail in ClaimCheckIssued.details(claim, today=datetime.now(UTC).date())
    ]
    return {"claim": claim.model_dump(mode="json"), "entries": entries}
