"""BeginResolve: the idempotency gate on the claim id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from event_contracts.versions import COPIES_READ_IN_ANOTHER_MAJOR_METRIC, ReadInAnotherMajor

from claim_check import adapters
from claim_check.errors import ClaimExpired, ClaimNotFound, InvalidClaimInput
from claim_check.resolving import begin_resolve, claim_id_of
from claim_check.schemas import ResolveRequest
from claim_check.settings import load_claims_settings
from observability.failures import CLAIM_CHECK_FAILURE_METRIC
from task_io.shell import TaskShell

shell = TaskShell("claim-check", InvalidClaimInput, failure_metric=CLAIM_CHECK_FAILURE_METRIC)
REFUSALS = {ClaimNotFound: "ClaimsNotFound", ClaimExpired: "ClaimsExpired"}
"""Each refusal's metric: a claim event for a claim that is gone or past its time to live."""


@shell.task(
    ResolveRequest,
    correlation_id_path="executionId",
    failures=REFUSALS,
    outcomes={ReadInAnotherMajor: COPIES_READ_IN_ANOTHER_MAJOR_METRIC},
)
def lambda_handler(request: ResolveRequest) -> dict[str, Any]:
    claim_id = claim_id_of(request.records)
    shell.logger.append_keys(claimId=claim_id)
    claims = adapters.claims_factory(load_claims_settings().claims_table_name)
    gate = begin_resolve(claim_id, request.execution_id, claims, datetime.now(UTC))
    metric = "DuplicateClaimEvents" if gate.duplicate else "ClaimsResolving"
    shell.count(**{metric: 1})
    shell.logger.info("Claim gate", extra={"duplicate": gate.duplicate, "status": gate.claim.status})
    return {"claim": gate.claim.model_dump(mode="json", exclude_none=True), "duplicate": gate.duplicate}
