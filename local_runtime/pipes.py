"""EventBridge Pipes, locally: the one piece of AWS behaviour the runtime emulates itself.

moto stores pipes but moves nothing. A pipe here is a trigger only, as in the
product's design: poll the source, keep the records that match the filter,
hand the batch (always a JSON array) to the target state machine, and settle
the source the way Pipes does:

* SQS: messages are deleted only once the target accepted them; a failed batch
  is left to become visible again (a timer on the virtual clock), so the
  queue's redrive policy moves poison messages to its DLQ.
* DynamoDB Streams: a failed batch is retried (split in halves first when
  `OnPartialBatchItemFailure` is `AUTOMATIC_BISECT`) until
  `MaximumRetryAttempts`, then its *metadata* (not the records) goes to the
  pipe's dead-letter queue and the pipe moves on. One batch at a time per shard.
* `MaximumBatchingWindowInSeconds`: a batch that is not full waits, on the
  virtual clock, until the window that opened with its first record closes.
* A target that is throttled or fails on AWS's side (`ThrottlingException`, 5xx) is retried by
  the pipe with backoff on the virtual clock, for as long as it takes, and the retry counts
  against neither the queue's `maxReceiveCount` nor the stream's `MaximumRetryAttempts`, as
  Pipes documents for its internal errors. While a queue's batches wait for such a retry, the
  pipe polls no more than `_SQS_HELD_BATCHES` of them: its throughput backs off to what the
  target accepts, and the rest waits in the queue.
* `FIRE_AND_FORGET` counts as accepted once the execution started;
  `REQUEST_RESPONSE` (Express only) waits for the execution, without blocking
  the runner: the batch is settled when the engine reports the execution's end,
  and a failed execution fails the batch. (moto has no StartSyncExecution.)

A pipe is only looked at when its source received something, an execution it
waits for ended, or time passed (`time_passed`): the runner's cost does not grow
with the executions that already ended. Pipes cannot name executions and moto
names unnamed ones "None"; the runner names each execution after the pipe and a
fresh id.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from local_runtime import clock, storage
from local_runtime.moto_patches import backends

_DEFAULT_BATCH_SIZE = {"sqs": 10, "dynamodb": 100}
_STREAM_READ_LIMIT = 1000  # GetRecords' own maximum
_SQS_BATCHES_PER_PUMP = 10
_PLACEHOLDER = re.compile(r"<(\$[^>]*)>")
_SQS_HELD_BATCHES = 5
"""A queue's batches that may wait for a throttled target's retry at once (its pollers)."""
_VISIBILITY_MARGIN_SECONDS = 5.0
"""A held batch's messages are kept hidden this long past its next retry, at least."""
_RETRY_FIRST_SECONDS, _RETRY_MAX_SECONDS = 0.1, 1.0
"""Backoff of a throttled target's retries: doubling from the first to the cap."""
_RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalServerError",
        "InternalFailure",
    }
)


class PipeTargetFailed(Exception):
    """The target rejected a batch (execution failed, timed out or could not start)."""


class PipeTargetThrottled(PipeTargetFailed):
    """The target service refused the call for now (throttled, or failed on its side): the pipe
    retries it, and the retry is not the target's failure."""


def retry_delay(attempt: int) -> float:
    """How long a throttled batch waits before its ``attempt``-th retry (1-based)."""
    return float(min(_RETRY_MAX_SECONDS, _RETRY_FIRST_SECONDS * 2 ** (attempt - 1)))


@dataclass
class PipeSpec:
    name: str
    source_arn: str
    target_arn: str
    source_parameters: dict[str, Any]
    target_parameters: dict[str, Any]
    filters: list[Any]
    """EventBridge patterns as moto matches them (`backends.event_filter`)."""
    dead_letter_arn: str | None
    enabled: bool = True

    @property
    def source_kind(self) -> str:
        return "dynamodb" if ":dynamodb:" in self.source_arn else "sqs"

    @property
    def source_name(self) -> str:
        """The queue's name, or the name of the table whose stream this is."""
        if self.source_kind == "dynamodb":
            return self.source_arn.split(":table/", 1)[1].split("/", 1)[0]
        return self.source_arn.rsplit(":", 1)[-1]

    @property
    def _source_settings(self) -> dict[str, Any]:
        key = "DynamoDBStreamParameters" if self.source_kind == "dynamodb" else "SqsQueueParameters"
        params: dict[str, Any] = self.source_parameters.get(key, {})
        return params

    @property
    def stream_parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = self.source_parameters.get("DynamoDBStreamParameters", {})
        return params

    @property
    def batch_size(self) -> int:
        return int(self._source_settings.get("BatchSize", _DEFAULT_BATCH_SIZE[self.source_kind]))

    @property
    def batching_window(self) -> float:
        return float(self._source_settings.get("MaximumBatchingWindowInSeconds", 0))

    @property
    def invocation_type(self) -> str:
        params = self.target_parameters.get("StepFunctionStateMachineParameters", {})
        return str(params.get("InvocationType", "FIRE_AND_FORGET"))


@dataclass
class PipeStats:
    batches: int = 0
    records: int = 0
    filtered_out: int = 0
    failed_batches: int = 0
    dead_lettered_batches: int = 0
    throttled_attempts: int = 0
    """Target calls refused as throttled (or failed on AWS's side) and retried by the pipe."""
    executions: list[str] = field(default_factory=list)


@dataclass
class _InFlight:
    """A batch handed to a REQUEST_RESPONSE target, waiting for its execution to end."""

    execution_arn: str
    name: str
    records: list[dict[str, Any]]
    attempts: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)
    outcome: tuple[str, str | None, str | None] | None = None


@dataclass
class _Held:
    """A queue batch whose target was throttled: its messages stay in flight until it is retried."""

    messages: list[dict[str, Any]]
    records: list[dict[str, Any]]
    throttles: int
    due: float
    hidden_until: float
    """When the messages would become visible again (their receive's visibility timeout)."""


@dataclass
class _PipeState:
    after_sequence: str | None = None
    buffer: list[dict[str, Any]] = field(default_factory=list)
    buffer_since: float | None = None
    window_timer: bool = False
    pending: list[tuple[list[dict[str, Any]], int]] = field(default_factory=list)
    in_flight: list[_InFlight] = field(default_factory=list)
    held: list[_Held] = field(default_factory=list)
    retry_at: float | None = None
    """A stream pipe's next try of a throttled batch (None: nothing waits)."""
    throttles: int = 0
    dirty: bool = True


class PipeRunner:
    """Moves records from each pipe's source to its target, one `pump()` at a time."""

    def __init__(self, clients: Callable[[str], Any], region: str, account: str) -> None:
        self._client = clients
        self._region = region
        self._account = account
        self.pipes: dict[str, PipeSpec] = {}
        self.stats: dict[str, PipeStats] = {}
        self._state: dict[str, _PipeState] = {}
        self._flights: dict[str, tuple[str, _InFlight]] = {}  # execution ARN -> (pipe, flight)
        self._queue_urls: dict[str, str] = {}
        self._visibility: dict[str, float] = {}

    def add(self, spec: PipeSpec) -> None:
        self.pipes[spec.name] = spec
        self.stats[spec.name] = PipeStats()
        self._state[spec.name] = (
            self._initial_position(spec) if spec.source_kind == "dynamodb" else _PipeState()
        )

    # -- what wakes a pipe ------------------------------------------------------------------
    def source_written(self, source: str) -> None:
        """A queue or a table's stream received a record (called from any thread)."""
        for spec in self.pipes.values():
            if spec.source_name == source:
                self._state[spec.name].dirty = True
                clock.CLOCK.poke()

    def execution_ended(self, execution_arn: str, status: str, error: str | None, cause: str | None) -> None:
        """The engine reports an execution's end (called from the engine's thread)."""
        waiting = self._flights.pop(execution_arn, None)
        if waiting is None:
            return
        name, flight = waiting
        flight.outcome = (status, error, cause)
        self._state[name].dirty = True
        clock.CLOCK.poke()

    def time_passed(self) -> None:
        """The clock moved: messages may be visible again, batching windows may have closed."""
        for name, spec in self.pipes.items():
            if spec.source_kind == "sqs":
                self._state[name].dirty = True

    def next_visible(self) -> float | None:
        """When the next message in a polled queue becomes visible (a timer the clock asks for)."""
        dues: list[float] = []
        for spec in self.pipes.values():
            if not spec.enabled or spec.source_kind != "sqs":
                continue
            queue = backends.queue(self._account, self._region, spec.source_name)
            due = backends.next_visible_at(queue) if queue is not None else None
            if due is not None:
                dues.append(due)
        return min(dues) if dues else None

    def pump(self) -> int:
        """Deliver what each pipe has to deliver now; returns how many things moved (0 = none)."""
        moved = 0
        for spec in self.pipes.values():
            state = self._state[spec.name]
            if spec.enabled and state.dirty:
                state.dirty = False
                pump = self._pump_stream if spec.source_kind == "dynamodb" else self._pump_queue
                moved += pump(spec, state)
        return moved

    # -- DynamoDB streams -------------------------------------------------------------------
    def _initial_position(self, spec: PipeSpec) -> _PipeState:
        """LATEST starts after whatever the stream already holds; TRIM_HORIZON from its start."""
        if spec.stream_parameters.get("StartingPosition", "LATEST") == "TRIM_HORIZON":
            return _PipeState()
        existing = self._read_stream(spec, None, limit=1000)
        return _PipeState(after_sequence=existing[-1]["dynamodb"]["SequenceNumber"] if existing else None)

    def _read_stream(self, spec: PipeSpec, after: str | None, limit: int) -> list[dict[str, Any]]:
        """GetRecords after a sequence number, read from moto's shard itself: its API serializer
        takes milliseconds per record (nested AttributeValue maps), which would make the poller
        the most expensive part of the runtime. The records are the same dictionaries."""
        with storage.atomic():
            shard = backends.stream_shard(self._account, self._region, spec.source_name)
            if shard is None:
                return []
            start = 0 if after is None else int(after) - shard.starting_sequence_number + 1
            return [copy.deepcopy(record.to_json()) for record in shard.items[start : start + limit]]

    def _pump_stream(self, spec: PipeSpec, state: _PipeState) -> int:
        """One batch at a time per shard. Pipes filters before batching, so records the filter
        drops never take a place in a batch; a batch that is not full waits for its window."""
        moved = self._settle_stream_flight(spec, state)
        if state.in_flight:
            return moved
        moved += self._read_into_buffer(spec, state)
        self._cut_batch(spec, state)
        if not state.pending:
            return moved
        now = clock.CLOCK.timestamp()
        if state.retry_at is not None and now < state.retry_at:
            return moved  # a throttled batch waits for its retry's timer
        batch, attempts = state.pending.pop(0)
        try:
            flight = self._start(spec, batch)
        except PipeTargetThrottled:
            state.pending.insert(0, (batch, attempts))  # not an attempt of the target's
            state.throttles += 1
            state.retry_at = now + retry_delay(state.throttles)
            self._wake_at(spec, state.retry_at)
            return moved
        except PipeTargetFailed as failure:
            self.stats[spec.name].failed_batches += 1
            self._stream_batch_failed(spec, state, batch, attempts, failure)
            state.dirty = True
            return moved + len(batch)
        state.retry_at, state.throttles = None, 0
        if flight is not None:
            flight.attempts = attempts
            state.in_flight.append(flight)
        else:
            state.dirty = bool(state.pending or state.buffer)
        return moved + len(batch)

    def _read_into_buffer(self, spec: PipeSpec, state: _PipeState) -> int:
        records = self._read_stream(spec, state.after_sequence, _STREAM_READ_LIMIT)
        matching = 0
        for record in records:
            state.after_sequence = record["dynamodb"]["SequenceNumber"]
            shaped = self._stream_record(spec, record)
            if self._filter(spec, [shaped]):
                state.buffer.append(shaped)
                matching += 1
        self.stats[spec.name].filtered_out += len(records) - matching
        if state.buffer and state.buffer_since is None:
            state.buffer_since = clock.CLOCK.timestamp()
        if len(records) == _STREAM_READ_LIMIT:
            state.dirty = True
        return len(records)

    def _cut_batch(self, spec: PipeSpec, state: _PipeState) -> None:
        """Move a batch from the buffer to `pending` when it is full or its window closed."""
        if state.pending or not state.buffer:
            return
        window_closed = (
            state.buffer_since is not None
            and clock.CLOCK.timestamp() >= state.buffer_since + spec.batching_window
        )
        if len(state.buffer) >= spec.batch_size or window_closed:
            batch, state.buffer = state.buffer[: spec.batch_size], state.buffer[spec.batch_size :]
            state.pending.append((batch, 0))
            state.buffer_since = clock.CLOCK.timestamp() if state.buffer else None
            state.dirty = state.dirty or bool(state.buffer)
        elif state.buffer_since is not None:
            self._arm_window(spec, state)

    def _arm_window(self, spec: PipeSpec, state: _PipeState) -> None:
        """A timer at the end of the window that opened with the batch's first record."""
        if not state.window_timer and state.buffer_since is not None:
            state.window_timer = True
            clock.CLOCK.call_at(
                state.buffer_since + spec.batching_window, lambda: self._window_closed(spec.name), clock.PIPE
            )

    def _wake_at(self, spec: PipeSpec, when: float) -> None:
        """Look at the pipe again at ``when`` (a throttled target's retry)."""
        state = self._state[spec.name]

        def wake() -> None:
            state.dirty = True

        clock.CLOCK.call_at(when, wake, clock.PIPE)

    def _window_closed(self, name: str) -> None:
        self._state[name].window_timer = False
        self._state[name].dirty = True

    def _settle_stream_flight(self, spec: PipeSpec, state: _PipeState) -> int:
        if not state.in_flight or state.in_flight[0].outcome is None:
            return 0
        flight = state.in_flight.pop(0)
        status, error, cause = flight.outcome or ("", None, None)
        if status != "SUCCEEDED":
            self.stats[spec.name].failed_batches += 1
            failure = PipeTargetFailed(f"execution {flight.name} {status}: {error} {cause}")
            self._stream_batch_failed(spec, state, flight.records, flight.attempts, failure)
        state.dirty = True
        return 1

    def _stream_batch_failed(
        self,
        spec: PipeSpec,
        state: _PipeState,
        batch: list[dict[str, Any]],
        attempts: int,
        failure: PipeTargetFailed,
    ) -> None:
        max_retries = int(spec.stream_parameters.get("MaximumRetryAttempts", -1))
        if max_retries != -1 and attempts >= max_retries:
            self._dead_letter_stream_batch(spec, batch, attempts, failure)
            return
        bisect = spec.stream_parameters.get("OnPartialBatchItemFailure") == "AUTOMATIC_BISECT"
        if bisect and len(batch) > 1:
            middle = len(batch) // 2
            state.pending[:0] = [(batch[:middle], attempts + 1), (batch[middle:], attempts + 1)]
        else:
            state.pending.insert(0, (batch, attempts + 1))

    def _dead_letter_stream_batch(
        self, spec: PipeSpec, batch: list[dict[str, Any]], attempts: int, failure: PipeTargetFailed
    ) -> None:
        stats = self.stats[spec.name]
        stats.dead_lettered_batches += 1
        if not spec.dead_letter_arn:
            return
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        metadata = {
            "context": {
                "condition": "RetryAttemptsExhausted",
                "partnerResourceArn": f"arn:aws:pipes:{self._region}:{self._account}:pipe/{spec.name}",
                "exhaustedRetryCondition": "MaximumRetryAttemptsExhausted",
                "retryAttempts": attempts,
                "errorCode": "Target.ExecutionFailed",
                "errorMessage": str(failure),
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "dynamoDbStreamBatchInfo": {
                "shardId": "shardId-local",
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
                "batchSize": len(batch),
                "streamArn": spec.source_arn,
            },
        }
        queue_url = self._client("sqs").get_queue_url(QueueName=spec.dead_letter_arn.rsplit(":", 1)[-1])[
            "QueueUrl"
        ]
        self._client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(metadata, default=str))

    def _stream_record(self, spec: PipeSpec, record: dict[str, Any]) -> dict[str, Any]:
        """The record as Pipes delivers it: moto's shape plus the fields Pipes sets."""
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            as_utc = created if created.tzinfo else created.replace(tzinfo=UTC)
            dynamodb["ApproximateCreationDateTime"] = as_utc.timestamp()
        return {**record, "dynamodb": dynamodb, "awsRegion": self._region, "eventSourceARN": spec.source_arn}

    # -- SQS --------------------------------------------------------------------------------
    def _visible_count(self, spec: PipeSpec) -> int:
        with storage.atomic():
            queue = backends.queue(self._account, self._region, spec.source_name)
            return 0 if queue is None else int(queue.approximate_number_of_messages)

    def _pump_queue(self, spec: PipeSpec, state: _PipeState) -> int:
        """Settle batches whose execution ended, then deliver every visible message, a batch at a
        time (Pipes scales its pollers out; a few batches per pump keeps the others fair)."""
        moved = self._settle_queue_flights(spec, state)
        queue_url = self._queue_url(spec)
        moved += self._retry_held(spec, state, queue_url)
        for _ in range(_SQS_BATCHES_PER_PUMP):
            if len(state.held) >= _SQS_HELD_BATCHES:
                return moved  # polling backs off while the target throttles
            if spec.batching_window == 0:  # no window: a receive says whether anything is there
                delivered = self._deliver_queue_batch(spec, state, queue_url)
                if delivered == 0:
                    return moved
                moved += delivered
                continue
            visible = self._visible_count(spec)
            if visible == 0:
                state.buffer_since = None
                return moved
            if visible < spec.batch_size:
                now = clock.CLOCK.timestamp()
                if state.buffer_since is None:
                    state.buffer_since = now
                if now < state.buffer_since + spec.batching_window:
                    self._arm_window(spec, state)
                    return moved
            state.buffer_since = None
            moved += self._deliver_queue_batch(spec, state, queue_url)
        state.dirty = True
        return moved

    def _queue_url(self, spec: PipeSpec) -> str:
        """The source queue's URL, asked once (a queue's URL never changes while it exists; a
        GetQueueUrl per pump was one SQS call in five of a burst)."""
        url = self._queue_urls.get(spec.source_name)
        if url is None:
            url = self._queue_urls[spec.source_name] = self._client("sqs").get_queue_url(
                QueueName=spec.source_name
            )["QueueUrl"]
        return url

    def _deliver_queue_batch(self, spec: PipeSpec, state: _PipeState, queue_url: str) -> int:
        sqs = self._client("sqs")
        messages: list[dict[str, Any]] = []
        while len(messages) < spec.batch_size:
            received = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(spec.batch_size - len(messages), 10),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                break
            messages += received
        if not messages:
            return 0
        stats = self.stats[spec.name]
        records = [self._queue_record(spec, message) for message in messages]
        keep = [self._filter(spec, [record]) != [] for record in records]
        matching = [r for r, k in zip(records, keep, strict=True) if k]
        stats.filtered_out += len(records) - len(matching)
        # Pipes deletes messages that do not match the filter: they are consumed, not retried.
        self._delete(queue_url, [m for m, k in zip(messages, keep, strict=True) if not k])
        delivered = [m for m, k in zip(messages, keep, strict=True) if k]
        if not matching:
            return len(messages)
        self._hand_over(spec, state, queue_url, delivered, matching, throttles=0)
        return len(messages)

    def _hand_over(
        self,
        spec: PipeSpec,
        state: _PipeState,
        queue_url: str,
        messages: list[dict[str, Any]],
        records: list[dict[str, Any]],
        throttles: int,
        hidden_until: float | None = None,
    ) -> None:
        """Start the target with a queue batch and settle the messages by the outcome."""
        try:
            flight = self._start(spec, records)
        except PipeTargetThrottled:
            now = clock.CLOCK.timestamp()
            due = now + retry_delay(throttles + 1)
            if hidden_until is None:  # received just now
                hidden_until = now + self._visibility_timeout(spec)
            if due + _VISIBILITY_MARGIN_SECONDS > hidden_until:
                # the messages stay in flight while the batch waits: no receive is counted
                hidden_until = self._keep_invisible(queue_url, messages, due)
            state.held.append(_Held(messages, records, throttles + 1, due, hidden_until))
            self._wake_at(spec, due)
            return
        except PipeTargetFailed:
            # Left alone, the messages become visible again when their visibility timeout (running
            # since they were received) ends: a timer on the clock; redrive counts the receives.
            self.stats[spec.name].failed_batches += 1
            return
        if flight is None:
            self._delete(queue_url, messages)
        else:
            flight.messages = messages
            state.in_flight.append(flight)

    def _retry_held(self, spec: PipeSpec, state: _PipeState, queue_url: str) -> int:
        due = [held for held in state.held if held.due <= clock.CLOCK.timestamp()]
        for held in due:
            state.held.remove(held)
            self._hand_over(
                spec, state, queue_url, held.messages, held.records, held.throttles, held.hidden_until
            )
        return len(due)

    def _visibility_timeout(self, spec: PipeSpec) -> float:
        """The source queue's visibility timeout (seconds), read once."""
        if spec.name not in self._visibility:
            with storage.atomic():
                queue = backends.queue(self._account, self._region, spec.source_name)
                self._visibility[spec.name] = float(queue.visibility_timeout if queue is not None else 30)
        return self._visibility[spec.name]

    def _keep_invisible(self, queue_url: str, messages: list[dict[str, Any]], until: float) -> float:
        """Extend the messages' visibility past the retry (Pipes keeps a batch it retries); when
        they would become visible now."""
        seconds = min(43_200, int(until - clock.CLOCK.timestamp()) + 30)
        for start in range(0, len(messages), 10):
            self._client("sqs").change_message_visibility_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": seconds}
                    for i, m in enumerate(messages[start : start + 10])
                ],
            )
        return clock.CLOCK.timestamp() + seconds

    def _settle_queue_flights(self, spec: PipeSpec, state: _PipeState) -> int:
        ended = [f for f in state.in_flight if f.outcome is not None]
        if not ended:
            return 0
        queue_url = self._queue_url(spec)
        for flight in ended:
            state.in_flight.remove(flight)
            if flight.outcome is not None and flight.outcome[0] == "SUCCEEDED":
                self._delete(queue_url, flight.messages)
            else:
                self.stats[spec.name].failed_batches += 1  # left to become visible again
        return len(ended)

    def _delete(self, queue_url: str, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            self._client("sqs").delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )

    def _queue_record(self, spec: PipeSpec, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": _pipe_message_attributes(message.get("MessageAttributes", {})),
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": spec.source_arn,
            "awsRegion": self._region,
        }

    # -- filter and target ------------------------------------------------------------------
    def _filter(self, spec: PipeSpec, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not spec.filters:
            return records
        return [r for r in records if any(p.matches_event(_filterable(r)) for p in spec.filters)]  # type: ignore[arg-type]

    def _start(self, spec: PipeSpec, records: list[dict[str, Any]]) -> _InFlight | None:
        """Start the target with the batch; None when the batch is settled by starting it
        (FIRE_AND_FORGET), else the flight to settle when the execution ends."""
        stats = self.stats[spec.name]
        template = spec.target_parameters.get("InputTemplate")
        payload = [_apply_template(template, r) for r in records] if template else records
        sfn = self._client("stepfunctions")
        name = f"{spec.name[:40]}-{uuid.uuid4().hex[:32]}"
        try:
            execution_arn = sfn.start_execution(
                stateMachineArn=spec.target_arn, name=name, input=json.dumps(payload, default=str)
            )["executionArn"]
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if error.response.get("Error", {}).get("Code") in _RETRYABLE_CODES or status >= 500:
                stats.throttled_attempts += 1
                raise PipeTargetThrottled(f"StartExecution refused for now: {error}") from error
            raise PipeTargetFailed(f"StartExecution failed: {error}") from error
        except Exception as error:
            raise PipeTargetFailed(f"StartExecution failed: {error}") from error
        stats.batches += 1
        stats.records += len(records)
        stats.executions.append(execution_arn)
        if spec.invocation_type != "REQUEST_RESPONSE":
            return None
        flight = _InFlight(execution_arn=execution_arn, name=name, records=records)
        self._flights[execution_arn] = (spec.name, flight)
        # The execution may have ended before its flight was recorded: ask the engine once.
        description = sfn.describe_execution(executionArn=execution_arn)
        if description["status"] != "RUNNING":
            self.execution_ended(
                execution_arn, description["status"], description.get("error"), description.get("cause")
            )
        return flight


def _filterable(record: dict[str, Any]) -> dict[str, Any]:
    """Pipes matches SQS filters against the body parsed as JSON when it is JSON."""
    if "body" in record:
        try:
            return {**record, "body": json.loads(record["body"])}
        except (TypeError, json.JSONDecodeError):
            return record
    return record


def _apply_template(template: str, record: dict[str, Any]) -> Any:
    """Pipes' input template: `<$.path>` placeholders filled from the record."""

    def lookup(path: str) -> Any:
        value: Any = _filterable(record)
        for part in path.removeprefix("$").strip(".").split("."):
            if part:
                value = value[part]
        return value

    def substitute(match: re.Match[str]) -> str:
        value = lookup(match.group(1))
        return value if isinstance(value, str) else json.dumps(value)

    text = _PLACEHOLDER.sub(substitute, template)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def pipe_from_template(name: str, props: dict[str, Any]) -> PipeSpec:
    source_parameters = props.get("SourceParameters", {})
    filters = [
        backends.event_filter(f["Pattern"])
        for f in source_parameters.get("FilterCriteria", {}).get("Filters", [])
    ]
    dead_letter = source_parameters.get("DynamoDBStreamParameters", {}).get("DeadLetterConfig", {}).get("Arn")
    return PipeSpec(
        name=name,
        source_arn=props["Source"],
        target_arn=props["Target"],
        source_parameters=source_parameters,
        target_parameters=props.get("TargetParameters", {}),
        filters=filters,
        dead_letter_arn=dead_letter,
        enabled=props.get("DesiredState", "RUNNING") == "RUNNING",
    )


def _pipe_message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """SQS message attributes as Pipes (like Lambda's SQS events) spell them: ``stringValue``,
    ``binaryValue``, ``stringListValues``, ``binaryListValues``, ``dataType``."""
    spelled: dict[str, Any] = {}
    for name, attribute in attributes.items():
        record: dict[str, Any] = {
            "stringListValues": attribute.get("StringListValues", []),
            "binaryListValues": attribute.get("BinaryListValues", []),
            "dataType": attribute.get("DataType", "String"),
        }
        if "StringValue" in attribute:
            record["stringValue"] = attribute["StringValue"]
        if "BinaryValue" in attribute:
            binary = attribute["BinaryValue"]
            record["binaryValue"] = base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary
        spelled[name] = record
    return spelled
