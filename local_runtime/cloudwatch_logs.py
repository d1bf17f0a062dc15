"""The runtime's logs where AWS writes them: moto's CloudWatch Logs, readable through the endpoint.

On AWS a function's lines (its own, and Lambda's START/END/REPORT) land in its log group, the one
its ``LoggingConfig`` names or ``/aws/lambda/<name>``, one stream per execution environment; a
state machine with a ``LoggingConfiguration`` writes one record per history event at its level
(ALL, ERROR, FATAL) to its destination group, without input and output unless
``IncludeExecutionData``. Here the same records go to moto's CloudWatch Logs backend, so
``aws logs filter-log-events`` and ``get-log-events`` against ``make serve`` read them, and the
template's log groups exist with their retention (provisioned in `resources`).

Writes go straight to the backend (under `storage.atomic`, as every request): one PutLogEvents
request per invocation through botocore would cost each order a tenth of its time. The in-memory
per-function lines (`FunctionLogs`) stay: they are what tests read without an endpoint.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from local_runtime import storage
from local_runtime.clock import CLOCK
from local_runtime.moto_patches import backends

ERROR_EVENTS = ("Failed", "TimedOut", "Aborted")
"""History event types that Step Functions' ERROR level logs (ExecutionFailed, TaskFailed,
LambdaFunctionTimedOut, ExecutionAborted...); FATAL logs the execution-level ones only."""


def now_ms() -> int:
    return int(CLOCK.timestamp() * 1000)


class CloudWatchLogs:
    """One account and region's log groups in moto."""

    def __init__(self, account: str, region: str) -> None:
        self._account = account
        self._region = region

    def _backend(self) -> Any:
        return backends.logs_backend(self._account, self._region)

    def put(self, group: str, stream: str, messages: list[str], timestamp_ms: int | None = None) -> None:
        """Append lines to a stream, creating the group (as Lambda creates its default one) and
        the stream when missing."""
        if not messages:
            return
        stamp = now_ms() if timestamp_ms is None else timestamp_ms
        with storage.atomic():
            backend = self._backend()
            if group not in backend.groups:
                backend.create_log_group(group, {})
            if stream not in backend.groups[group].streams:
                backend.create_log_stream(group, stream)
            backend.put_log_events(group, stream, [{"timestamp": stamp, "message": m} for m in messages])

    # -- Lambda --------------------------------------------------------------------------------
    @staticmethod
    def function_stream() -> str:
        """An execution environment's stream name, as Lambda names it."""
        day = datetime.fromtimestamp(CLOCK.timestamp(), UTC).strftime("%Y/%m/%d")
        return f"{day}/[$LATEST]{uuid.uuid4().hex}"

    def invocation(
        self,
        *,
        group: str,
        stream: str,
        request_id: str,
        output: str,
        duration_ms: float,
        memory_mb: int,
        json_format: bool,
        outcome: str | None = None,
    ) -> None:
        """An invocation's lines between Lambda's START and END/REPORT (JSON platform records when
        the function's LogFormat is JSON, Lambda's text lines otherwise)."""
        lines = [line for line in output.split("\n") if line.strip()]
        billed = max(1, int(-(-duration_ms // 1)))
        if json_format:
            stamp = datetime.fromtimestamp(CLOCK.timestamp(), UTC).isoformat(timespec="milliseconds")
            start = {
                "time": stamp,
                "type": "platform.start",
                "record": {"requestId": request_id, "version": "$LATEST"},
            }
            report = {
                "time": stamp,
                "type": "platform.report",
                "record": {
                    "requestId": request_id,
                    "metrics": {
                        "durationMs": round(duration_ms, 2),
                        "billedDurationMs": billed,
                        "memorySizeMB": memory_mb,
                    },
                    "status": outcome or "success",
                },
            }
            framed = [json.dumps(start), *lines, json.dumps(report)]
        else:
            framed = [
                f"START RequestId: {request_id} Version: $LATEST",
                *lines,
                f"END RequestId: {request_id}",
                f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms"
                f"\tBilled Duration: {billed} ms\tMemory Size: {memory_mb} MB",
            ]
        self.put(group, stream, framed)

    # -- Step Functions ------------------------------------------------------------------------
    def execution(self, machine: Any, execution_arn: str, events: list[dict[str, Any]]) -> None:
        """An ended execution's history as Step Functions logs it, at the machine's level."""
        config = getattr(machine, "loggingConfiguration", None) or {}
        level = str(config.get("level", "OFF")).upper()
        destinations = config.get("destinations") or []
        if level == "OFF" or not destinations:
            return
        group_arn = str(destinations[0].get("cloudWatchLogsLogGroup", {}).get("logGroupArn", ""))
        group = group_arn.split(":log-group:", 1)[-1].removesuffix(":*")
        if not group:
            return
        include_data = bool(config.get("includeExecutionData", False))
        kept = [e for e in events if _logged_at(level, str(e.get("type", "")))]
        if not kept:
            return
        start = datetime.fromtimestamp(CLOCK.timestamp(), UTC).strftime("%Y-%m-%d-%H-%M")
        stream = f"states/{machine.name}/{start}/{uuid.uuid4().hex[:8]}"
        self.put(
            group, stream, [json.dumps(_record(e, execution_arn, include_data), default=str) for e in kept]
        )


def _logged_at(level: str, event_type: str) -> bool:
    if level == "ALL":
        return True
    if level == "ERROR":
        return event_type.endswith(ERROR_EVENTS)
    if level == "FATAL":
        return event_type.startswith("Execution") and event_type.endswith(ERROR_EVENTS)
    return False


def _record(event: dict[str, Any], execution_arn: str, include_data: bool) -> dict[str, Any]:
    """One history event as a Step Functions log record."""
    found = [
        value for key, value in event.items() if key.endswith("EventDetails") and isinstance(value, dict)
    ]
    details: dict[str, Any] = found[0] if found else {}
    if not include_data:
        details = {k: v for k, v in details.items() if k not in ("input", "output", "parameters")}
    stamp = event.get("timestamp")
    millis = int(stamp.timestamp() * 1000) if isinstance(stamp, datetime) else now_ms()
    return {
        "id": str(event.get("id")),
        "type": event.get("type"),
        "details": details,
        "previous_event_id": str(event.get("previousEventId", 0)),
        "event_timestamp": str(millis),
        "execution_arn": execution_arn,
    }
