"""FinishResolve: record the import's result and release the payload."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from claim_check import adapters
from claim_check.errors import InvalidClaimInput
from claim_check.resolving import RangeResult, finish_resolve
from claim_check.schemas import FinishRequest
from claim_check.settings import load_finish_settings
from observability.failures import CLAIM_CHECK_FAILURE_METRIC
from observability.slo import CLAIM_RESOLVE_TIME, milliseconds_between
from task_io.shell import TaskShell

shell = TaskShell("claim-check", InvalidClaimInput, failure_metric=CLAIM_CHECK_FAILURE_METRIC)


@shell.task(FinishRequest, correlation_id_path="claim.claimId")
def lambda_handler(request: FinishRequest) -> dict[str, Any]:
    settings = load_finish_settings()
    now = datetime.now(UTC)
    resolved = finish_resolve(
        request.claim,
        request.execution_id,
        [RangeResult(accepted=counts.accepted, rejected=counts.rejected) for counts in request.results],
        adapters.payloads_factory(),
        adapters.claims_factory(settings.claims_table_name),
        settings.after_success,
        now,
    )
    counts = {"accepted": resolved.accepted, "rejected": resolved.rejected, "reportKey": resolved.report_key}
    shell.count(ClaimsResolved=1)
    issued = datetime.fromisoformat(request.claim.created_at)  # the claim is issued on upload
    shell.measure(CLAIM_RESOLVE_TIME, [milliseconds_between(issued, now)])
    shell.logger.info("Claim resolved", extra=counts)
    return {"claimId": resolved.claim_id, **counts, "payload": settings.after_success + "d"}
