"""The workflow contract: each task's input and output, as in asl/outbox_publisher.asl.json.

Inputs are validated strictly enough that a contract drift fails loudly with
InvalidOutboxInput instead of publishing or settling the wrong records.
"""

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

import task_io
from order_store.events import PutEventsEntry
from order_store.models import OutboxKey
from outbox_publisher.errors import InvalidOutboxInput
from task_io.models import CamelModel


class SweepRequest(CamelModel):
    """``{"olderThanSeconds"?, "limit"?}``; absent values fall back to the function's settings."""

    older_than_seconds: int | None = Field(default=None, ge=0)
    limit: int | None = Field(default=None, ge=1, le=1000)


class SweepInput(BaseModel):
    """The sweeper schedule's execution input."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    sweep: SweepRequest


class ClaimRequest(CamelModel):
    """Claim task input: the execution input (pipe batch or sweep) and the execution id."""

    source: list[dict[str, Any]] | SweepInput = Field(alias="input")
    claim_token: str = Field(min_length=1)


class PublishBatch(CamelModel):
    """One PutEvents request: entries and their record keys, index-aligned."""

    attempt: int = Field(ge=1)
    entries: list[PutEventsEntry]
    keys: list[OutboxKey]

    @model_validator(mode="after")
    def _aligned(self) -> Self:
        if len(self.entries) != len(self.keys):
            raise ValueError("entries and keys must be index-aligned (same length)")
        return self


class ClaimResult(CamelModel):
    """Claim task output. ``deferred`` counts records left PENDING because the state budget was
    spent; the sweeper publishes them later."""

    claim_token: str
    claimed: int
    skipped: int
    deferred: int
    batches: list[PublishBatch]


class _AwsShapedModel(BaseModel):
    """Spelled like the AWS API (PascalCase aliases) on the wire."""

    model_config = ConfigDict(
        frozen=True, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True, defer_build=True
    )


class PutEventsResultEntry(_AwsShapedModel):
    """One per-entry result of PutEvents: an EventId on success, an ErrorCode on failure. A
    result with neither is no success: its failure may be counted only in FailedEntryCount."""

    event_id: str | None = Field(default=None, alias="EventId")
    error_code: str | None = Field(default=None, alias="ErrorCode")
    error_message: str | None = Field(default=None, alias="ErrorMessage")


class PutEventsResult(_AwsShapedModel):
    """The PutEvents response as the aws-sdk integration returns it."""

    failed_entry_count: int = Field(alias="FailedEntryCount", ge=0)
    entries: list[PutEventsResultEntry] = Field(alias="Entries")


class FailedEntriesRequest(PublishBatch):
    """Failed-entries task input: the Map iteration state after PutEntries."""

    put_result: PutEventsResult

    @model_validator(mode="after")
    def _at_most_one_result_per_entry(self) -> Self:
        """Fewer results than entries leave the missing ones failed (retried); more cannot be
        lined up with the entries at all."""
        if len(self.put_result.entries) > len(self.entries):
            raise ValueError("putResult.Entries must have at most one result per entry, in order")
        return self


class EntryError(CamelModel):
    """Why PutEvents rejected one entry."""

    event_id: str
    error_code: str
    error_message: str


class RetryBatch(CamelModel):
    """Failed-entries task output: the next attempt with the rejected entries only."""

    attempt: int
    entries: list[PutEventsEntry]
    keys: list[OutboxKey]
    delay_seconds: int
    exhausted: bool
    last_errors: list[EntryError]


class TaskError(_AwsShapedModel):
    """A Catch's error output: the error name and, usually, its cause."""

    error: str = Field(alias="Error")
    cause: str | None = Field(default=None, alias="Cause")


class BatchResult(CamelModel):
    """One Map iteration's result: the keys whose entries the bus never accepted, and why.

    ``lastErrors`` is the bus's last answer per entry when the attempts ran out; ``taskError`` the
    error of a task that failed for good, which then holds for every failed key. ``answer`` is
    the bus's answer to the batch's last attempt when it reported no failure, for the
    ``answeredKeys`` of that attempt: FailedEntryCount 0 is no proof, only an EventId is. All are
    optional so results of an older definition (failed keys only) are still settled.
    """

    failed_keys: list[OutboxKey]
    last_errors: list[EntryError] = Field(default_factory=list)
    task_error: TaskError | None = None
    answered_keys: list[OutboxKey] = Field(default_factory=list)
    answer: PutEventsResult | None = None


class MarkRequest(CamelModel):
    """Mark task input: the claim, its batches and one result per batch (Map output order)."""

    claim_token: str = Field(min_length=1)
    batches: list[PublishBatch]
    results: list[BatchResult]

    @model_validator(mode="after")
    def _one_result_per_batch(self) -> Self:
        if len(self.results) != len(self.batches):
            raise ValueError("results must hold one entry per batch")
        return self


class MarkOutcome(CamelModel):
    """Mark task output. ``conflictEventIds`` are records another execution owns now; they are
    neither published nor failed by us."""

    published: int
    failed: int
    failed_event_ids: list[str]
    released: int
    conflict_event_ids: list[str]


def parse_task_input[RequestT: BaseModel](model: type[RequestT], event: Any) -> RequestT:
    """Validate a task's event, turning a contract mismatch into InvalidOutboxInput."""
    return task_io.parse(model, event, InvalidOutboxInput)


task_output = task_io.task_output
