"""VerifyPayload: the claimed version exists, with the claimed size and SHA-256."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from claim_check import adapters
from claim_check.errors import ClaimIntegrityError, ClaimNotFound, InvalidClaimInput
from claim_check.resolving import verify_payload
from claim_check.schemas import ClaimRequest
from observability.failures import CLAIM_CHECK_FAILURE_METRIC
from task_io.shell import TaskShell

shell = TaskShell("claim-check", InvalidClaimInput, failure_metric=CLAIM_CHECK_FAILURE_METRIC)
INTEGRITY_FAILURES = {ClaimNotFound: "PayloadsMissing", ClaimIntegrityError: "PayloadsTampered"}
"""Each failure's metric: the claimed payload version is gone, or is not what was claimed."""


@shell.task(ClaimRequest, correlation_id_path="claim.claimId", failures=INTEGRITY_FAILURES)
def lambda_handler(request: ClaimRequest) -> dict[str, Any]:
    verify_payload(request.claim, adapters.payloads_factory())
    shell.count(PayloadsVerified=1)
    shell.metrics.add_metric(name="VerifiedBytes", unit=MetricUnit.Bytes, value=request.claim.size)
    return {"size": request.claim.size, "sha256": request.claim.sha256}
