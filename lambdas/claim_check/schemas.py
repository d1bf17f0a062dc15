"""The claim-check tasks' inputs and outputs (the contract with the two ASL files)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

import task_io
from claim_check.errors import InvalidClaimInput
from claim_check.models import ByteRange, ClaimRecord
from task_io.models import CamelModel


class ResolveRequest(CamelModel):
    """BeginResolve and MarkClaimFailed: the pipe's batch (or a hand start's claim) and this
    execution's id."""

    records: list[Any] | dict[str, Any]
    execution_id: str = Field(min_length=1)


class FailureInfo(BaseModel):
    """A Catch's output (``Error`` and, not always, ``Cause``)."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    error: str = Field(default="Unknown", alias="Error")
    cause: str | None = Field(default=None, alias="Cause")


class MarkFailedRequest(ResolveRequest):
    failure: FailureInfo


class ClaimRequest(CamelModel):
    """VerifyPayload: the claim the gate returned."""

    claim: ClaimRecord


class RangeRequest(ClaimRequest):
    """ImportRange (one Map child): the claim and its byte range."""

    range: ByteRange


class RangeCounts(CamelModel):
    accepted: int = Field(ge=0)
    rejected: int = Field(ge=0)


class FinishRequest(ClaimRequest):
    """FinishResolve: the claim, this execution, and every child's counts."""

    execution_id: str = Field(min_length=1)
    results: list[RangeCounts]


def parse_task_input[RequestT: BaseModel](model: type[RequestT], event: Any) -> RequestT:
    """Validate a task's event, a contract mismatch being InvalidClaimInput."""
    return task_io.parse(model, event, InvalidClaimInput)


task_output = task_io.task_output
