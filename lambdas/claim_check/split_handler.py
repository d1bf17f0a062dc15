"""IssueClaim (split workflow): the intake message in the pipe's batch in, the claim out, and the
ClaimCheckIssued event that announces it (the claim with its contract version)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from claim_check import adapters
from claim_check.errors import InvalidClaimInput, InvalidIntakeMessage
from claim_check.intake import Intake, parse_intake
from claim_check.models import ClaimCheckIssued
from claim_check.settings import load_split_settings
from claim_check.splitting import issue_claim
from observability.failures import CLAIM_CHECK_FAILURE_METRIC
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
    announced = ClaimCheckIssued.of(claim)
    return {"claim": claim.model_dump(mode="json"), "event": announced.model_dump(mode="json")}
