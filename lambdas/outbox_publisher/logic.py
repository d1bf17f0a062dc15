"""Domain logic of the outbox publisher: claim, batch, select failed entries, settle.

Functions take the OutboxRepository port and plain values (the clock is a parameter), so unit
tests run them against an in-memory fake and property tests reach the pure parts (batching,
backoff, failed-entry selection) directly.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from observability.slo import milliseconds_between
from order_store.events import (
    PUT_EVENTS_MAX_BYTES,
    PUT_EVENTS_MAX_ENTRIES,
    PutEventsEntry,
    bus_entries,
    entry_size,
)
from order_store.models import OutboxKey, PublishFailure
from order_store.ports import OutboxRepository
from order_store.timestamps import epoch_seconds
from outbox_publisher.schemas import (
    BatchResult,
    ClaimRequest,
    ClaimResult,
    EntryError,
    FailedEntriesRequest,
    MarkOutcome,
    MarkRequest,
    PublishBatch,
    PutEventsResult,
    PutEventsResultEntry,
    RetryBatch,
    SweepInput,
)
from outbox_publisher.settings import ClaimSettings, MarkSettings, RetrySettings
from outbox_publisher.stream_records import outbox_keys_from_stream

CLAIM_STATE_BUDGET_BYTES = 200 * 1024
"""How much JSON the claimed records may add to one execution's state.

Step Functions caps an execution's state (and a task result) at 256 KiB, and the claimed
batches stay in the state until the mark step, next to one result per batch. Each claimed
record is charged its entry, its key twice (batch keys and, worst case, failed keys) and the
largest last error the retry step reports for it (see entry_error). A record that would overrun
the budget is given back unpublished and, like every record not yet tried, stays PENDING for the
sweeper. A pipe batch is itself below 256 KiB, so in practice only large sweeps are cut. The
error of a task that failed for good (one per batch) is not charged: its size is not ours to
bound, and the remaining headroom is what it gets.
"""

ENTRY_ERROR_CODE_MAX_BYTES = 128
ENTRY_ERROR_MESSAGE_MAX_BYTES = 256
"""Bounds of the error the retry step reports per failed entry, so the budget can charge it."""

UNACCEPTED_ERROR = "not accepted by the event bus"
UNACCEPTED_ERROR_CODE = "NotAccepted"
"""Error code of a failed record whose workflow result gave no reason."""

UNATTRIBUTED_ERROR = "UnattributedFailure"
"""Error code of an entry PutEvents may have failed without saying so on the entry."""

MISSING_RESULT_ERROR = "MissingResult"
"""Error code of an entry PutEvents returned no result for."""


def unique_keys(keys: Iterable[OutboxKey]) -> list[OutboxKey]:
    """``keys`` without repeated event ids, first occurrence kept (duplicate stream deliveries,
    a record both streamed and swept)."""
    seen: set[str] = set()
    result: list[OutboxKey] = []
    for key in keys:
        if key.event_id not in seen:
            seen.add(key.event_id)
            result.append(key)
    return result


def keys_to_claim(
    request: ClaimRequest, repository: OutboxRepository, settings: ClaimSettings, now: datetime
) -> list[OutboxKey]:
    """The candidate records: from the pipe batch, or the stale ones a sweep finds."""
    if isinstance(request.source, SweepInput):
        sweep = request.source.sweep
        older_than = (
            sweep.older_than_seconds
            if sweep.older_than_seconds is not None
            else settings.sweep_min_age_seconds
        )
        limit = sweep.limit if sweep.limit is not None else settings.sweep_limit
        return unique_keys(repository.find_stale(now - timedelta(seconds=older_than), limit))
    return unique_keys(outbox_keys_from_stream(request.source))


def _json_size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _truncated(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` of UTF-8, never inside a character."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def entry_error(key: OutboxKey, code: str, message: str) -> EntryError:
    """The error the retry step reports for one failed entry, bounded in bytes."""
    return EntryError(
        event_id=key.event_id,
        error_code=_truncated(code, ENTRY_ERROR_CODE_MAX_BYTES),
        error_message=_truncated(message, ENTRY_ERROR_MESSAGE_MAX_BYTES),
    )


def _state_size(entry: PutEventsEntry, key: OutboxKey) -> int:
    """What one claimed record adds to the execution state (see CLAIM_STATE_BUDGET_BYTES).

    A key's batch result is either a failure (its key and its largest error) or the bus's answer
    (its key and an EventId result, far smaller than the largest error), so the budget charges
    the larger of the two.
    """
    largest_error = entry_error(key, "x" * ENTRY_ERROR_CODE_MAX_BYTES, "x" * ENTRY_ERROR_MESSAGE_MAX_BYTES)
    return (
        _json_size(entry.model_dump(mode="json"))
        + 2 * _json_size(key.model_dump(mode="json"))
        + _json_size(largest_error.model_dump(mode="json"))
    )


def batch_items[T](
    items: Sequence[T],
    size_of: Callable[[T], int],
    *,
    max_count: int = PUT_EVENTS_MAX_ENTRIES,
    max_bytes: int = PUT_EVENTS_MAX_BYTES,
) -> list[list[T]]:
    """Split ``items`` in order into consecutive batches of at most ``max_count`` items and
    ``max_bytes`` total size.

    An item larger than ``max_bytes`` on its own gets a batch of its own rather than being
    dropped: PutEvents then rejects that entry, and it is reported and released like any other
    failure instead of silently vanishing.
    """
    batches: list[list[T]] = []
    current: list[T] = []
    current_bytes = 0
    for item in items:
        size = size_of(item)
        if current and (len(current) >= max_count or current_bytes + size > max_bytes):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(item)
        current_bytes += size
    if current:
        batches.append(current)
    return batches


def claim_outbox(
    request: ClaimRequest, repository: OutboxRepository, settings: ClaimSettings, now: datetime
) -> ClaimResult:
    """Claim every candidate record we can and group their bus entries into PutEvents batches.

    A record another execution owns, or one already published, is skipped: a duplicate pipe
    delivery or an overlapping sweep therefore publishes nothing twice.

    A record has one entry per version it goes out in (two while a superseded major is
    published side by side), each paired with the record's key. Retries and settling work on
    entries and keys alike, so a record is PUBLISHED only when the bus accepted every one of its
    entries; a record released for another attempt sends all of them again (consumers drop the
    copies already taken by their shared event id).
    """
    candidates = keys_to_claim(request, repository, settings, now)
    claimed: list[tuple[PutEventsEntry, OutboxKey]] = []
    skipped = 0
    deferred = 0
    used_bytes = 0
    for index, key in enumerate(candidates):
        record = repository.claim(key, request.claim_token, now, settings.claim_lease_seconds)
        if record is None:
            skipped += 1
            continue
        entries = bus_entries(
            record,
            source=settings.event_source,
            event_bus_name=settings.event_bus_name,
            today=now.date(),
        )
        size = sum(_state_size(entry, record.key) for entry in entries)
        if claimed and used_bytes + size > CLAIM_STATE_BUDGET_BYTES:
            repository.unclaim(record.key, request.claim_token)
            deferred = len(candidates) - index
            break
        claimed.extend((entry, record.key) for entry in entries)
        used_bytes += size
    batches = [
        PublishBatch(attempt=1, entries=[entry for entry, _ in batch], keys=[key for _, key in batch])
        for batch in batch_items(claimed, lambda pair: entry_size(pair[0]))
    ]
    return ClaimResult(
        claim_token=request.claim_token,
        claimed=len(unique_keys(key for _, key in claimed)),
        skipped=skipped,
        deferred=deferred,
        batches=batches,
    )


def backoff_delay(attempt: int, base_seconds: int, max_seconds: int) -> int:
    """Seconds to wait after failed attempt ``attempt`` (1-based): base * 2**(attempt-1), capped.

    Whole seconds because the Wait state's SecondsPath takes an integer.
    """
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    exponent = min(attempt - 1, 32)  # bounded so a huge attempt number cannot build a huge integer
    return min(max_seconds, base_seconds * 2**exponent)


def _result_error(outcome: PutEventsResultEntry | None, failed_entry_count: int) -> tuple[str, str] | None:
    """(error code, message) of one entry's result; None only for an EventId without ErrorCode."""
    if outcome is None:
        return MISSING_RESULT_ERROR, "PutEvents returned no result for this entry"
    if outcome.error_code:
        return outcome.error_code, outcome.error_message or ""
    if not outcome.event_id:
        return (
            UNATTRIBUTED_ERROR,
            f"PutEvents reported FailedEntryCount {failed_entry_count} and neither an EventId"
            " nor an ErrorCode for this entry",
        )
    return None


def _entry_errors(result: PutEventsResult, entry_count: int) -> list[tuple[str, str] | None]:
    """Why each entry of the batch failed, by position; None for an entry the bus accepted.

    A missing result (a list shorter than the entries) is a failure. When FailedEntryCount
    reports more failures than the results name, nobody can tell which entries failed, so every
    entry counts as failed: publishing an accepted event again costs a duplicate that consumers
    drop by its event id, while marking a lost one PUBLISHED loses it for good.
    """
    count = result.failed_entry_count
    errors = [
        _result_error(result.entries[index] if index < len(result.entries) else None, count)
        for index in range(entry_count)
    ]
    named = sum(error is not None for error in errors)
    if count <= named:
        return errors
    which = "no entry error to say which" if named == 0 else f"only {named} named by an entry error"
    unattributed = (
        UNATTRIBUTED_ERROR,
        f"PutEvents reported FailedEntryCount {count} with {which}; whether the bus accepted this entry"
        " is unknown",
    )
    return [error or unattributed for error in errors]


def select_failed_entries(request: FailedEntriesRequest, settings: RetrySettings) -> RetryBatch:
    """Keep only the entries PutEvents did not accept, for the next attempt after a backoff.

    The batch is exhausted when the attempt budget is spent; the workflow then releases the
    entries still failing with their last error. A response that reports failures always leaves
    some entry to retry (see _entry_errors); nothing left would end the retries too.
    """
    errors = _entry_errors(request.put_result, len(request.entries))
    failed = [
        (entry, key, error)
        for entry, key, error in zip(request.entries, request.keys, errors, strict=True)
        if error is not None
    ]
    return RetryBatch(
        attempt=request.attempt + 1,
        entries=[entry for entry, _, _ in failed],
        keys=[key for _, key, _ in failed],
        delay_seconds=backoff_delay(
            request.attempt, settings.retry_base_delay_seconds, settings.retry_max_delay_seconds
        ),
        exhausted=request.attempt >= settings.max_publish_attempts or not failed,
        last_errors=[entry_error(key, code, message) for _, key, (code, message) in failed],
    )


@dataclass(frozen=True)
class _Failure:
    key: OutboxKey
    why: PublishFailure


def _batch_failures(result: BatchResult, claim_token: str) -> list[_Failure]:
    """Each failed key of one batch with why it failed: the error of the task that ended the
    batch (the last thing that happened to all of its keys), else the bus's last answer for the
    key's entry; a key the result gives no reason for gets a generic reason naming the execution,
    whose history tells more."""
    if result.task_error is not None:
        failed = PublishFailure(code=result.task_error.error, message=result.task_error.cause or "")
        return [_Failure(key, failed) for key in result.failed_keys]
    reported = {
        error.event_id: PublishFailure(code=error.error_code, message=error.error_message)
        for error in result.last_errors
    }
    unexplained = PublishFailure(
        code=UNACCEPTED_ERROR_CODE, message=f"{UNACCEPTED_ERROR} (execution {claim_token})"
    )
    return [_Failure(key, reported.get(key.event_id, unexplained)) for key in result.failed_keys]


MISALIGNED_ERROR = "MisalignedResult"
"""Error code of every entry of an answer holding more results than the batch had entries."""


def _unaccounted(result: BatchResult) -> list[_Failure]:
    """The keys of an answer that reported no failure yet gave them no EventId.

    PutEvents' FailedEntryCount 0 is not proof that the bus took an entry; only its EventId is.
    An entry without one (an empty result, or no result at all) is failed like an entry the
    bus rejected, so it is released for another attempt: a duplicate, if the bus did take it,
    is dropped by consumers on its event id, while marking a lost event PUBLISHED loses it.
    """
    if result.answer is None:
        return []
    keys = result.answered_keys
    if len(result.answer.entries) > len(keys):
        why = PublishFailure(
            code=MISALIGNED_ERROR,
            message=f"PutEvents returned {len(result.answer.entries)} results for {len(keys)} entries",
        )
        return [_Failure(key, why) for key in keys]
    errors = _entry_errors(result.answer, len(keys))
    return [
        _Failure(key, PublishFailure(code=error[0], message=error[1]))
        for key, error in zip(keys, errors, strict=True)
        if error is not None
    ]


def _failures(results: Sequence[BatchResult], claim_token: str) -> list[_Failure]:
    failures: dict[str, _Failure] = {}
    for result in results:
        for failure in [*_batch_failures(result, claim_token), *_unaccounted(result)]:
            failures.setdefault(failure.key.event_id, failure)
    return list(failures.values())


def settle_claims(
    request: MarkRequest, repository: OutboxRepository, settings: MarkSettings, now: datetime
) -> MarkOutcome:
    """Mark every accepted record PUBLISHED and release every failed one to PENDING.

    Both writes are conditional on our claim token; when one fails, another execution owns the
    record now (our lease expired), so it is reported as a conflict, not raised.
    """
    failures = _failures(request.results, request.claim_token)
    failed_ids = {failure.key.event_id for failure in failures}
    accepted = [
        key
        for key in unique_keys(key for batch in request.batches for key in batch.keys)
        if key.event_id not in failed_ids
    ]
    expires_at = epoch_seconds(now) + settings.published_ttl_days * 86_400
    published = 0
    released = 0
    conflicts: list[str] = []
    for key in accepted:
        if repository.mark_published(key, request.claim_token, now, expires_at):
            published += 1
        else:
            conflicts.append(key.event_id)
    for failure in failures:
        if repository.release(failure.key, request.claim_token, failure.why):
            released += 1
        else:
            conflicts.append(failure.key.event_id)
    return MarkOutcome(
        published=published,
        failed=len(failures),
        failed_event_ids=[failure.key.event_id for failure in failures],
        released=released,
        conflict_event_ids=conflicts,
    )


def published_lags(request: MarkRequest, outcome: MarkOutcome, now: datetime) -> list[float]:
    """Milliseconds from each published record's commit (its event's ``occurredAt``) to now: the
    outbox's lag, an SLO (`observability.slo`). Records failed or owned by another execution
    are not published by us and have no lag here."""
    settled_elsewhere = set(outcome.failed_event_ids) | set(outcome.conflict_event_ids)
    lags: dict[str, float] = {}
    for batch in request.batches:
        for entry, key in zip(batch.entries, batch.keys, strict=True):
            if key.event_id in settled_elsewhere or key.event_id in lags:
                continue
            try:
                occurred = datetime.fromisoformat(json.loads(entry.detail)["occurredAt"])
            except (ValueError, KeyError, TypeError):
                continue  # an envelope without a readable commit time: no figure, not a failure
            lags[key.event_id] = milliseconds_between(occurred, now)
    return list(lags.values())


def oldest_pending_age(repository: OutboxRepository, now: datetime) -> float:
    """Seconds since the oldest unpublished record was committed (0 when none is): an SLO the
    sweeper reports on every run, so its alarm always has data."""
    oldest = repository.oldest_pending_created_at()
    if oldest is None:
        return 0.0
    return milliseconds_between(datetime.fromisoformat(oldest), now) / 1000
