"""Every change the runtime makes to moto's Step Functions engine, in one place.

Each patch closes a gap between moto 5.2.5 and AWS that this project meets,
is pinned to that version (a different moto refuses to start rather than run
half-patched), can be removed again (`uninstall`), and has a test under
tests/local_runtime that fails without it.

* `aws-sdk:eventbridge:*` tasks fail with "Unknown service: 'eventbridge'":
  map the SDK service name to boto3's `events`, with AWS's error prefix `EventBridge`.
* Wait states and Retry intervals sleep in real time, and TimeoutSeconds /
  HeartbeatSeconds run in real time: scale all of them by `Clock` (tests only;
  the definitions never change).
* EventBridge rules: a scheduled rule (no pattern) matches every event put on
  its bus, and a Step Functions target raises NotImplementedError; a target's
  `Input` / `InputPath` are ignored. Scheduled rules now match no event, state
  machine targets start a (named) execution, and `Input` / `InputPath` choose
  what a state machine or SQS target receives.
* No "Step Functions Execution Status Change" event when an execution ends:
  every end is reported to the listeners registered with `on_execution_end`
  (the runtime puts the event on the default bus); `executions_ending()` says
  whether an end is still being reported, so a caller waiting for quiet also
  waits for the event.
"""

from __future__ import annotations

import copy
import json
import threading
import time as _real_time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import moto
from moto.events.models import EventTemplateParser, Rule
from moto.sqs.models import sqs_backends
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.timeouts.heartbeat import Heartbeat
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import Timeout
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service,
    state_task_service_aws_sdk,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from local_runtime.clock import Clock

PINNED_MOTO_VERSION = "5.2.5"


class UnsupportedMotoVersion(RuntimeError):
    """The patches were written against another moto; re-check each gap before moving the pin."""


class _ScaledTime:
    """Stands in for the `time` module inside moto's retrier: only `sleep` is scaled."""

    def sleep(self, seconds: float) -> None:
        _real_time.sleep(Clock.scaled(seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(_real_time, name)


def _scaled_wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
    """A Wait state's interval, scaled; an aborted execution still interrupts it."""
    if wait_seconds > 0:
        env.program_state_event.wait(Clock.scaled(wait_seconds))


def _scaled_timeout_body(self: Timeout | Heartbeat, env: Any) -> None:
    """TimeoutSeconds / HeartbeatSeconds as the engine waits on them, scaled."""
    env.stack.append(Clock.scaled(self._eval_seconds(env=env)))


ExecutionListener = Callable[[Execution], None]
_listeners: list[ExecutionListener] = []


def on_execution_end(listener: ExecutionListener) -> Callable[[], None]:
    """Call `listener(execution)` whenever an execution ends; returns a function that unregisters it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


_ending = 0
_ending_lock = threading.Lock()


def executions_ending() -> int:
    """Executions whose end is being recorded right now (their status-change event may not be out yet)."""
    return _ending


def _terminated_with_listeners(self: BaseExecutionWorkerCommunication) -> None:
    global _ending  # noqa: PLW0603 - a process-wide counter of the engine's own threads
    with _ending_lock:
        _ending += 1
    try:
        _originals["terminated"](self)
        for listener in list(_listeners):
            listener(self.execution)
    finally:
        with _ending_lock:
            _ending -= 1


def _target_input(target: dict[str, Any], event: dict[str, Any]) -> str:
    """What EventBridge sends a target: the constant Input, the InputPath selection, the
    InputTransformer's output, or the whole event."""
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        selected: Any = event
        for part in str(target["InputPath"]).removeprefix("$").strip(".").split("."):
            if part:
                selected = selected.get(part) if isinstance(selected, dict) else None
        return json.dumps(selected)
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        transformed = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,  # type: ignore[arg-type]
        )
        return transformed if isinstance(transformed, str) else json.dumps(transformed)
    return json.dumps(event, default=str)


def _send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
    if self.scheduled_expression and not self.event_pattern.get_pattern():
        return  # a schedule fires on time, never on an event
    if not self.event_pattern.matches_event(original_event):  # type: ignore[arg-type]
        return
    left_to_moto = []
    for target in self.targets:
        arn = str(target["Arn"])
        if ":states:" in arn:
            boto3.client("stepfunctions", region_name=self.region_name).start_execution(
                stateMachineArn=arn,
                name=f"{self.name[:40]}-{uuid.uuid4().hex}",
                input=_target_input(target, original_event),
            )
        elif ":sqs:" in arn and ("Input" in target or "InputPath" in target):
            sqs_backends[self.account_id][self.region_name].send_message(
                queue_name=arn.rsplit(":", 1)[-1], message_body=_target_input(target, original_event)
            )
        else:
            left_to_moto.append(target)
    if left_to_moto:
        rest = copy.copy(self)
        rest.targets = left_to_moto
        _originals["send_to_targets"](rest, original_event, transform_input)


def awaiting_callback(account: str, region: str, execution_arn: str) -> bool:
    """Whether an execution waits on a task token nobody has answered yet.

    Read from the engine's callback pool rather than the history: right after a
    SendTaskSuccess the history still ends in TaskSubmitted for a moment, while the
    pool already holds the answer.
    """
    backend = stepfunctions_parser_backends[account][region]
    execution = next((e for e in backend._get_executions() if e.execution_arn == execution_arn), None)
    worker = getattr(execution, "exec_worker", None)
    if worker is None or worker.env is None:
        return False
    pool = worker.env.callback_pool_manager._pool
    return any(endpoint.get_outcome() is None for endpoint in list(pool.values()))


_lock = threading.Lock()
_originals: dict[str, Any] = {}


def install() -> None:
    """Apply every patch (idempotent)."""
    if moto.__version__ != PINNED_MOTO_VERSION:
        raise UnsupportedMotoVersion(
            f"local_runtime patches target moto {PINNED_MOTO_VERSION}, found {moto.__version__}"
        )
    with _lock:
        if _originals:
            return
        overrides = state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES
        _originals["boto_overrides"] = dict(overrides)
        overrides["eventbridge"] = "events"  # type: ignore[index]
        error_names = state_task_service_aws_sdk._SERVICE_ERROR_NAMES
        _originals["error_names"] = dict(error_names)
        error_names["eventbridge"] = "EventBridge"
        _originals["retrier_time"] = retrier_decl.time
        retrier_decl.time = _ScaledTime()  # type: ignore[assignment]
        _originals["wait_interval"] = WaitFunction._wait_interval
        WaitFunction._wait_interval = _scaled_wait_interval  # type: ignore[method-assign]
        _originals["timeout_body"] = Timeout._eval_body
        Timeout._eval_body = _scaled_timeout_body  # type: ignore[method-assign,assignment]
        _originals["heartbeat_body"] = Heartbeat._eval_body
        Heartbeat._eval_body = _scaled_timeout_body  # type: ignore[method-assign,assignment]
        _originals["send_to_targets"] = Rule.send_to_targets
        Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign,assignment]
        _originals["terminated"] = BaseExecutionWorkerCommunication.terminated
        BaseExecutionWorkerCommunication.terminated = _terminated_with_listeners  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore moto as shipped (used by the tests that prove each patch is needed)."""
    with _lock:
        if not _originals:
            return
        overrides = state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES
        overrides.clear()  # type: ignore[attr-defined]
        overrides.update(_originals["boto_overrides"])  # type: ignore[attr-defined]
        error_names = state_task_service_aws_sdk._SERVICE_ERROR_NAMES
        error_names.clear()
        error_names.update(_originals["error_names"])
        retrier_decl.time = _originals["retrier_time"]
        WaitFunction._wait_interval = _originals["wait_interval"]  # type: ignore[method-assign]
        Timeout._eval_body = _originals["timeout_body"]  # type: ignore[method-assign]
        Heartbeat._eval_body = _originals["heartbeat_body"]  # type: ignore[method-assign]
        BaseExecutionWorkerCommunication.terminated = _originals["terminated"]  # type: ignore[method-assign]
        Rule.send_to_targets = _originals["send_to_targets"]  # type: ignore[method-assign]
        _originals.clear()
