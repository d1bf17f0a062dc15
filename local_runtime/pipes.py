"""EventBridge Pipes, locally: the one piece of AWS behaviour the runtime emulates itself.

moto stores pipes but moves nothing. A pipe here is a trigger only, as in the
product's design: poll the source, keep the records that match the filter,
hand the batch (always a JSON array) to the target state machine, and settle
the source the way Pipes does:

* SQS: messages are deleted only once the target accepted them; a failed batch
  is left to become visible again, so the queue's redrive policy moves poison
  messages to its DLQ.
* DynamoDB Streams: a failed batch is retried (split in halves first when
  `OnPartialBatchItemFailure` is `AUTOMATIC_BISECT`) until
  `MaximumRetryAttempts`, then its *metadata* (not the records) goes to the
  pipe's dead-letter queue and the pipe moves on.
* `FIRE_AND_FORGET` counts as accepted once the execution started;
  `REQUEST_RESPONSE` (Express only) waits for the execution and a failed
  execution fails the batch. moto has no StartSyncExecution, so the runner
  starts the execution and waits for it itself.

Pipes cannot name executions and moto names unnamed ones "None"; the runner
names each execution after the pipe and a fresh id.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.events.models import EventPattern

from local_runtime.clock import Clock

_DEFAULT_BATCH_SIZE = {"sqs": 10, "dynamodb": 100}
_STREAM_READ_LIMIT = 1000  # GetRecords' own maximum
_PLACEHOLDER = re.compile(r"<(\$[^>]*)>")


class PipeTargetFailed(Exception):
    """The target rejected a batch (execution failed, timed out or could not start)."""


@dataclass
class PipeSpec:
    name: str
    source_arn: str
    target_arn: str
    source_parameters: dict[str, Any]
    target_parameters: dict[str, Any]
    filters: list[EventPattern]
    dead_letter_arn: str | None
    enabled: bool = True

    @property
    def source_kind(self) -> str:
        return "dynamodb" if ":dynamodb:" in self.source_arn else "sqs"

    @property
    def stream_parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = self.source_parameters.get("DynamoDBStreamParameters", {})
        return params

    @property
    def batch_size(self) -> int:
        key = "DynamoDBStreamParameters" if self.source_kind == "dynamodb" else "SqsQueueParameters"
        return int(
            self.source_parameters.get(key, {}).get("BatchSize", _DEFAULT_BATCH_SIZE[self.source_kind])
        )

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
    executions: list[str] = field(default_factory=list)


@dataclass
class _StreamPosition:
    after_sequence: str | None = None
    pending: list[tuple[list[dict[str, Any]], int]] = field(default_factory=list)


class PipeRunner:
    """Moves records from each pipe's source to its target, one `pump()` at a time."""

    def __init__(self, clients: Callable[[str], Any], region: str, account: str, clock: type[Clock]) -> None:
        self._client = clients
        self._region = region
        self._account = account
        self._clock = clock
        self.pipes: dict[str, PipeSpec] = {}
        self.stats: dict[str, PipeStats] = {}
        self._positions: dict[str, _StreamPosition] = {}

    def add(self, spec: PipeSpec) -> None:
        self.pipes[spec.name] = spec
        self.stats[spec.name] = PipeStats()
        if spec.source_kind == "dynamodb":
            self._positions[spec.name] = self._initial_position(spec)

    def pump(self) -> int:
        """Deliver at most one batch per pipe; returns how many records moved (0 = nothing to do)."""
        return sum(self._pump_pipe(spec) for spec in self.pipes.values() if spec.enabled)

    # -- sources ----------------------------------------------------------------------------
    def _initial_position(self, spec: PipeSpec) -> _StreamPosition:
        """LATEST starts after whatever the stream already holds; TRIM_HORIZON from its start."""
        if spec.stream_parameters.get("StartingPosition", "LATEST") == "TRIM_HORIZON":
            return _StreamPosition()
        existing = self._read_stream(spec, None, limit=1000)
        return _StreamPosition(
            after_sequence=existing[-1]["dynamodb"]["SequenceNumber"] if existing else None
        )

    def _read_stream(self, spec: PipeSpec, after: str | None, limit: int) -> list[dict[str, Any]]:
        streams = self._client("dynamodbstreams")
        shard = streams.describe_stream(StreamArn=spec.source_arn)["StreamDescription"]["Shards"][0]
        if after is None:
            request = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            request = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        iterator = streams.get_shard_iterator(StreamArn=spec.source_arn, ShardId=shard["ShardId"], **request)[
            "ShardIterator"
        ]
        records: list[dict[str, Any]] = streams.get_records(ShardIterator=iterator, Limit=limit)["Records"]
        return records

    def _pump_pipe(self, spec: PipeSpec) -> int:
        if spec.source_kind == "dynamodb":
            return self._pump_stream(spec)
        return self._pump_queue(spec)

    def _pump_stream(self, spec: PipeSpec) -> int:
        """One batch of *matching* records: Pipes filters before batching, so records the
        filter drops never take a place in a batch."""
        position = self._positions[spec.name]
        examined = 0
        if not position.pending:
            records = self._read_stream(spec, position.after_sequence, _STREAM_READ_LIMIT)
            if not records:
                return 0
            matching: list[dict[str, Any]] = []
            for record in records:
                examined += 1
                position.after_sequence = record["dynamodb"]["SequenceNumber"]
                shaped = self._stream_record(spec, record)
                if self._filter(spec, [shaped]):
                    matching.append(shaped)
                    if len(matching) == spec.batch_size:
                        break
            self.stats[spec.name].filtered_out += examined - len(matching)
            if not matching:
                return examined
            position.pending.append((matching, 0))
        batch, attempts = position.pending.pop(0)
        try:
            self._deliver(spec, batch)
        except PipeTargetFailed as failure:
            self.stats[spec.name].failed_batches += 1
            self._stream_batch_failed(spec, position, batch, attempts, failure)
        return max(examined, len(batch))

    def _stream_batch_failed(
        self,
        spec: PipeSpec,
        position: _StreamPosition,
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
            position.pending[:0] = [(batch[:middle], attempts + 1), (batch[middle:], attempts + 1)]
        else:
            position.pending.insert(0, (batch, attempts + 1))

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
            dynamodb["ApproximateCreationDateTime"] = created.timestamp()
        return {**record, "dynamodb": dynamodb, "awsRegion": self._region, "eventSourceARN": spec.source_arn}

    def _pump_queue(self, spec: PipeSpec) -> int:
        sqs = self._client("sqs")
        queue_url = sqs.get_queue_url(QueueName=spec.source_arn.rsplit(":", 1)[-1])["QueueUrl"]
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(spec.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        stats = self.stats[spec.name]
        records = [self._queue_record(spec, message) for message in messages]
        matching = self._filter(spec, records)
        stats.filtered_out += len(records) - len(matching)
        # Pipes deletes messages that do not match the filter: they are consumed, not retried.
        try:
            if matching:
                self._deliver(spec, matching)
        except PipeTargetFailed:
            stats.failed_batches += 1
            unmatched = [m for m, r in zip(messages, records, strict=True) if r not in matching]
            self._delete(queue_url, unmatched)
            visibility = int(
                sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])[
                    "Attributes"
                ]["VisibilityTimeout"]
            )
            for message, record in zip(messages, records, strict=True):
                if record in matching:
                    sqs.change_message_visibility(
                        QueueUrl=queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=self._clock.scaled_whole_seconds(visibility),
                    )
            return len(messages)
        self._delete(queue_url, messages)
        return len(messages)

    def _delete(self, queue_url: str, messages: list[dict[str, Any]]) -> None:
        if messages:
            self._client("sqs").delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )

    def _queue_record(self, spec: PipeSpec, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
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

    def _deliver(self, spec: PipeSpec, records: list[dict[str, Any]]) -> None:
        stats = self.stats[spec.name]
        stats.batches += 1
        stats.records += len(records)
        template = spec.target_parameters.get("InputTemplate")
        payload = [_apply_template(template, r) for r in records] if template else records
        sfn = self._client("stepfunctions")
        name = f"{spec.name[:40]}-{uuid.uuid4().hex[:32]}"
        try:
            execution_arn = sfn.start_execution(
                stateMachineArn=spec.target_arn, name=name, input=json.dumps(payload, default=str)
            )["executionArn"]
        except Exception as error:
            raise PipeTargetFailed(f"StartExecution failed: {error}") from error
        stats.executions.append(execution_arn)
        if spec.invocation_type != "REQUEST_RESPONSE":
            return
        while (description := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
            time.sleep(0.01)
        if description["status"] != "SUCCEEDED":
            raise PipeTargetFailed(
                f"execution {name} {description['status']}: "
                f"{description.get('error')} {description.get('cause')}"
            )


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
        EventPattern.load(f["Pattern"] if isinstance(f["Pattern"], str) else json.dumps(f["Pattern"]))
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
