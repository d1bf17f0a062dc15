"""MarkClaimFailed: the claim records why it was not resolved (the execution then fails, and the
failure rule parks its message)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from claim_check import adapters
from claim_check.errors import InvalidClaimInput
from claim_check.resolving import claim_id_of
from claim_check.schemas import MarkFailedRequest
from claim_check.settings import load_claims_settings
from observability.failures import CLAIM_CHECK_FAILURE_METRIC
from task_io.shell import TaskShell

shell = TaskShell("claim-check", InvalidClaimInput, failure_metric=CLAIM_CHECK_FAILURE_METRIC)


@shell.task(MarkFailedRequest, correlation_id_path="executionId")
def lambda_handler(request: MarkFailedRequest) -> dict[str, Any]:
    shell.count(ClaimsFailed=1)
    failure = request.failure
    try:
        claim_id = claim_id_of(request.records)
    except InvalidClaimInput:
        shell.logger.warning("Failed resolve names no claim", extra={"error": failure.error})
        return {"marked": False}
    claims = adapters.claims_factory(load_claims_settings().claims_table_name)
    marked = claims.fail(
        claim_id, request.execution_id, failure.error, failure.cause or "", datetime.now(UTC)
    )
    shell.logger.warning(
        "Claim failed", extra={"claimId": claim_id, "error": failure.error, "marked": marked}
    )
    return {"claimId": claim_id, "marked": marked}
