""" "Step Functions Execution Status Change" events, which moto does not emit.

A Standard workflow started by a pipe (FIRE_AND_FORGET) has already consumed its
message when it fails, so the platform parks failed inputs through a rule on
these events. Locally they are put on the default bus when an execution ends,
shaped as AWS documents them (detail.input is the execution's input as a JSON
string), so that rule and its queue are tested as deployed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local_runtime.moto_patches.stepfunctions_engine import Execution

DETAIL_TYPE = "Step Functions Execution Status Change"
SOURCE = "aws.states"


def _millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def _as_json_text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def status_change_entry(execution: Execution) -> dict[str, Any]:
    """The PutEvents entry AWS would emit for an execution that just ended."""
    status = execution.exec_status
    detail = {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": getattr(status, "value", str(status)),
        "startDate": _millis(execution.start_date),
        "stopDate": _millis(execution.stop_date),
        "input": _as_json_text(execution.input_data),
        "output": _as_json_text(execution.output),
        "inputDetails": {"included": True},
        "outputDetails": {"included": execution.output is not None},
        "error": execution.error,
        "cause": execution.cause,
    }
    return {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Detail": json.dumps(detail),
        "Resources": [execution.exec_arn],
        "EventBusName": "default",
    }


class StatusChangePublisher:
    """Puts a status-change event on the default bus for every execution that ends."""

    def __init__(self, put_events: Callable[[list[dict[str, Any]]], Any]) -> None:
        self._put_events = put_events
        self.published = 0

    def __call__(self, execution: Execution) -> None:
        self._put_events([status_change_entry(execution)])
        self.published += 1
