"""ImportRange (one Distributed Map child): one byte range's lines to orders."""

from __future__ import annotations

from datetime import UTC, datetime

from claim_check import adapters
from claim_check.errors import InvalidClaimInput
from claim_check.resolving import import_range
from claim_check.schemas import RangeCounts, RangeRequest
from claim_check.settings import load_import_settings
from observability.failures import CLAIM_CHECK_FAILURE_METRIC
from task_io.shell import TaskShell

shell = TaskShell(
    "claim-check", InvalidClaimInput, failure_metric=CLAIM_CHECK_FAILURE_METRIC, mask_personal_data=True
)


@shell.task(RangeRequest, correlation_id_path="claim.claimId")
def lambda_handler(request: RangeRequest) -> RangeCounts:
    orders = adapters.orders_factory(load_import_settings().orders_table_name)
    result = import_range(
        request.claim, request.range, adapters.payloads_factory(), orders, datetime.now(UTC)
    )
    shell.count(ImportedOrders=result.accepted, RejectedLines=result.rejected)
    shell.logger.info(
        "Range imported",
        extra={
            "firstLine": request.range.first_line,
            "accepted": result.accepted,
            "rejected": result.rejected,
        },
    )
    return RangeCounts(accepted=result.accepted, rejected=result.rejected)
