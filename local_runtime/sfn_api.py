"""Step Functions API parameters moto ignores, honoured or refused as AWS does.

moto 5.2.5 answers GetExecutionHistory with every event, oldest first, whatever the request
asks, and ListExecutions with an empty list for a status that does not exist. A user of the
served endpoint (`aws stepfunctions get-execution-history --reverse-order --max-results 1`)
then gets an answer that looks right and is not. Here:

- GetExecutionHistory pages as AWS does: ``maxResults`` (1 to 1000; 0 or absent means 100),
  ``nextToken`` (opaque, valid only for the same execution and order; anything else is
  ``InvalidToken``), ``reverseOrder`` (newest first) and ``includeExecutionData`` (false leaves
  every event's input and output out).
- ListExecutions refuses a ``statusFilter`` outside AWS's set with a ``ValidationException``
  naming it, and ``maxResults`` above 1000 likewise; ``redriveFilter`` (REDRIVEN, NOT_REDRIVEN)
  lists only the executions redriven at least once, or never, paged as moto pages the rest.
- StopExecution refuses an ``error`` over 256 characters or a ``cause`` over 32,768.
- TagResource, UntagResource and ListTagsForResource refuse an ARN that names no state machine
  or activity of the account (``ResourceNotFound``); DescribeStateMachineForExecution refuses an
  execution it does not have with ``ExecutionDoesNotExist``, as AWS does.
- SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat name their refusals as AWS does: a
  token the engine issued whose task is over (its execution ended, or it was answered) is
  ``TaskDoesNotExist``, not ``InvalidToken`` (kept for what was never a token); one whose task
  timed out (TimeoutSeconds or HeartbeatSeconds) is ``TaskTimedOut``; and an output that is not
  JSON is ``InvalidOutput`` before anything is delivered.
- DescribeExecution says what AWS says of a Standard execution's redrive: ``redriveCount``,
  ``redriveStatus`` (REDRIVABLE once it FAILED, TIMED_OUT or was ABORTED; NOT_REDRIVABLE with
  its reason otherwise), ``redriveDate`` once redriven, and ``inputDetails``/``outputDetails``.
- ValidateStateMachineDefinition (absent from moto) answers OK or FAIL with diagnostics
  (`definition_diagnostics`), ``severity`` (ERROR, or WARNING for both) and ``maxResults``
  with ``truncated``, as AWS does.

Response-level patches, like the others in `moto_patches`, which installs and removes them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.stepfunctions.exceptions import (
    ExecutionDoesNotExist,
    InvalidToken,
    ResourceNotFound,
    ValidationException,
)
from moto.stepfunctions.parser.api import InvalidToken as EngineInvalidToken
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_callback as callback_tasks,
)
from moto.stepfunctions.parser.asl.eval.callback.callback import (
    CallbackEndpoint,
    CallbackPoolManager,
    HeartbeatTimedOut,
)
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.responses import StepFunctionResponse
from moto.stepfunctions.utils import PAGINATION_MODEL
from moto.utilities.paginator import Paginator

from local_runtime.definition_diagnostics import diagnose

DEFAULT_PAGE = 100
MAX_PAGE = 1000
EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
_EXECUTION_DATA = ("input", "output", "inputDetails", "outputDetails")


class TaskDoesNotExist(AWSError):
    TYPE = "TaskDoesNotExist"
    STATUS = 400


class TaskTimedOut(AWSError):
    TYPE = "TaskTimedOut"
    STATUS = 400


class InvalidOutput(AWSError):
    TYPE = "InvalidOutput"
    STATUS = 400


_originals: dict[str, Any] = {}
_issued: set[str] = set()
"""Every task token the engine handed out in this process (a token is a UUID: never reused)."""


def _add_callback(self: CallbackPoolManager, callback_id: str, *args: Any, **kwargs: Any) -> Any:
    _issued.add(str(callback_id))
    return _originals["callback_add"](self, callback_id, *args, **kwargs)


def _add_activity_task(self: CallbackPoolManager, callback_id: str, *args: Any, **kwargs: Any) -> Any:
    _issued.add(str(callback_id))
    return _originals["callback_add_activity_task"](self, callback_id, *args, **kwargs)


_timed_out: set[str] = set()
"""Every task token whose task timed out (its TimeoutSeconds or HeartbeatSeconds ran out)."""


def _wait_for_token(self: Any, timeout_seconds: int, callback_endpoint: CallbackEndpoint) -> Any:
    outcome = _originals["wait_timeout"](
        self, timeout_seconds=timeout_seconds, callback_endpoint=callback_endpoint
    )
    if outcome is None and not callback_endpoint._notify_event.is_set():  # not answered, not interrupted
        _timed_out.add(str(callback_endpoint.callback_id))
    return outcome


def _wait_for_heartbeat(
    self: Any, env: Any, callback_endpoint: CallbackEndpoint, heartbeat_endpoint: Any
) -> Any:
    outcome = _originals["wait_heartbeat"](
        self, env=env, callback_endpoint=callback_endpoint, heartbeat_endpoint=heartbeat_endpoint
    )
    if isinstance(outcome, HeartbeatTimedOut):
        _timed_out.add(str(callback_endpoint.callback_id))
    return outcome


def _answering(operation: str) -> Any:
    """A SendTask* response whose refusal of an issued token says the task is over."""

    def respond(self: StepFunctionResponse) -> Any:
        token = str(self._get_param("taskToken") or "")
        if operation == "send_task_success":
            try:
                json.loads(self._get_param("output") or "")
            except ValueError as error:
                raise InvalidOutput(f"Invalid Output: '{error}'") from error
        if token in _timed_out or _task_timed_out(self.stepfunction_backend, token):
            raise TaskTimedOut("Task Timed Out: the task's TimeoutSeconds or HeartbeatSeconds ran out")
        if _task_is_over(self.stepfunction_backend, token):
            raise TaskDoesNotExist("Task Token does not exist anymore: its task is over")
        try:
            return _originals[operation](self)
        except (InvalidToken, EngineInvalidToken):
            if token in _issued:
                raise TaskDoesNotExist("Task Token does not exist anymore: its task is over") from None
            raise

    return respond


_ANSWERS = ("send_task_success", "send_task_failure", "send_task_heartbeat")


def _holding(backend: Any, token: str) -> tuple[Any, Any] | None:
    """The execution whose callback pool holds an issued token, and the token's endpoint."""
    if token not in _issued:
        return None
    for execution in getattr(backend, "_get_executions", list)():
        pool = getattr(
            getattr(getattr(execution, "exec_worker", None), "env", None), "callback_pool_manager", None
        )
        endpoint = getattr(pool, "_pool", {}).get(token)
        if endpoint is not None:
            return execution, endpoint
    return None


def _task_timed_out(backend: Any, token: str) -> bool:
    """Whether the history of the execution holding the token says its task timed out: the task
    scheduled with the token (a callback task hands its token out in its parameters) ended in
    TaskTimedOut. The engine's heartbeat can fail the task before the wait that the `_timed_out`
    hook watches returns, so the history is the record both agree on."""
    held = _holding(backend, token)
    if held is None:
        return False
    mine = False
    for event in held[0].to_history_output()["events"]:
        kind = event.get("type")
        if kind == "TaskScheduled":
            mine = token in str(event.get("taskScheduledEventDetails", {}).get("parameters", ""))
        elif kind == "TaskTimedOut" and mine:
            return True
    return False


def _task_is_over(backend: Any, token: str) -> bool:
    """Whether the token's task was answered or its execution ended (moto would take a failure
    or a heartbeat for it as if it were open, and say nothing)."""
    held = _holding(backend, token)
    if held is None:
        return False
    execution, endpoint = held
    running = str(getattr(execution.exec_status, "value", execution.exec_status)) == "RUNNING"
    return not running or getattr(endpoint, "_outcome", None) is not None


def _page_size(value: Any, maximum: int = MAX_PAGE) -> int:
    size = int(value or 0)
    if size < 0 or size > maximum:
        raise ValidationException(
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {maximum}"
        )
    return min(size or DEFAULT_PAGE, maximum)


def _token(execution_arn: str, reverse: bool, offset: int) -> str:
    document = json.dumps({"executionArn": execution_arn, "reverse": reverse, "offset": offset})
    return base64.urlsafe_b64encode(document.encode()).decode()


def _offset(token: str | None, execution_arn: str, reverse: bool) -> int:
    if not token:
        return 0
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(document["offset"])
        same = document["executionArn"] == execution_arn and document["reverse"] == reverse
    except (binascii.Error, ValueError, KeyError, TypeError):
        same, offset = False, -1
    if not same or offset < 0:
        raise InvalidToken("the nextToken is not one this request was given")
    return offset


def _without_execution_data(event: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {k: v for k, v in value.items() if k not in _EXECUTION_DATA}
        if key.endswith("EventDetails") and isinstance(value, dict)
        else value
        for key, value in event.items()
    }


def _get_execution_history(self: StepFunctionResponse) -> ActionResult:
    execution_arn = self._get_param("executionArn")
    reverse = bool(self._get_param("reverseOrder", False))
    size = _page_size(self._get_param("maxResults"))
    offset = _offset(self._get_param("nextToken"), execution_arn, reverse)
    history: dict[str, Any] = self.stepfunction_backend.get_execution_history(execution_arn)
    events = list(history.get("events", []))
    if reverse:
        events.reverse()
    page = events[offset : offset + size]
    if self._get_param("includeExecutionData", True) is False:
        page = [_without_execution_data(event) for event in page]
    result: dict[str, Any] = {"events": page}
    if offset + size < len(events):
        result["nextToken"] = _token(execution_arn, reverse, offset + size)
    return ActionResult(result)


def _not_in_set(name: str, value: Any, allowed: tuple[str, ...]) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


def _redrive_count(execution: Any) -> int:
    return int(getattr(execution, "redrive_count", 0) or 0)


def _list_executions(self: StepFunctionResponse) -> Any:
    status = self._get_param("statusFilter")
    if status is not None and status not in EXECUTION_STATUSES:
        raise _not_in_set("statusFilter", status, EXECUTION_STATUSES)
    if self._get_param("maxResults") is not None:
        _page_size(self._get_param("maxResults"))
    redrive = self._get_param("redriveFilter")
    if redrive is None:
        return _originals["list_executions"](self)
    if redrive not in REDRIVE_FILTERS:
        raise _not_in_set("redriveFilter", redrive, REDRIVE_FILTERS)
    # moto's listing, paged by its own paginator, over the executions the filter keeps: the
    # backend's method is swapped for this one request (requests apply one at a time, `storage`)
    backend: Any = self.stepfunction_backend
    listed = type(backend).list_executions

    def only_redriven_or_not(arn: str, **kwargs: Any) -> Any:
        page_size, token = kwargs.pop("max_results", None), kwargs.pop("next_token", None)
        kept = [
            execution
            for execution in listed.__wrapped__(backend, arn, **kwargs)
            if (_redrive_count(execution) > 0) == (redrive == "REDRIVEN")
        ]
        config = PAGINATION_MODEL["list_executions"]
        return Paginator(
            max_results=page_size,
            max_results_default=config["limit_default"],
            starting_token=token,
            unique_attribute=config["unique_attribute"],
            param_values_to_check={"state_machine_arn": arn, "redrive_filter": redrive, **kwargs},
            fail_on_invalid_token=True,
        ).paginate(kept)

    backend.list_executions = only_redriven_or_not
    try:
        return _originals["list_executions"](self)
    finally:
        del backend.list_executions


_SEVERITIES = ("ERROR", "WARNING")
MAX_DIAGNOSTICS = 100
"""ValidateStateMachineDefinition's maxResults: its default and its maximum."""


def _validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
    severity = self._get_param("severity") or "ERROR"
    if severity not in _SEVERITIES:
        raise ValidationException(
            f"1 validation error detected: Value '{severity}' at 'severity' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(_SEVERITIES)}]"
        )
    limit = _page_size(self._get_param("maxResults"), maximum=MAX_DIAGNOSTICS)
    found = diagnose(self._get_param("definition"), parse=AmazonStateLanguageParser.parse)
    result = "FAIL" if any(d.severity == "ERROR" for d in found) else "OK"
    shown = [d for d in found if severity == "WARNING" or d.severity == "ERROR"]
    return ActionResult(
        {
            "result": result,
            "diagnostics": [d.as_api() for d in shown[:limit]],
            "truncated": len(shown) > limit,
        }
    )


STOP_LIMITS = {"error": 256, "cause": 32768}
"""StopExecution's longest ``error`` and ``cause``, as AWS's API model has them."""


def refuse_overlong_stop(self: StepFunctionResponse) -> None:
    """ValidationException for a StopExecution ``error`` or ``cause`` longer than AWS takes
    (called by `moto_patches`' StopExecution, which owns that operation's patch)."""
    for name, limit in STOP_LIMITS.items():
        value = self._get_param(name)
        if isinstance(value, str) and len(value) > limit:
            raise ValidationException(
                f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
                f"Member must have length less than or equal to {limit}"
            )


def _refuse_unknown_resource(self: StepFunctionResponse) -> None:
    """Tags are kept for what exists: a state machine or activity ARN the account does not have
    is ResourceNotFound, as on AWS (moto tags any string)."""
    arn = str(self._get_param("resourceArn") or "")
    backend: Any = self.stepfunction_backend
    known = {machine.arn for machine in backend.state_machines} | set(backend.activities)
    if arn not in known:
        raise ResourceNotFound(arn)


def _tagging(operation: str) -> Any:
    def respond(self: StepFunctionResponse) -> Any:
        _refuse_unknown_resource(self)
        return _originals[operation](self)

    return respond


_TAGGING = ("tag_resource", "untag_resource", "list_tags_for_resource")


def _describe_state_machine_for_execution(self: StepFunctionResponse) -> Any:
    """moto's answer, or AWS's ExecutionDoesNotExist for an execution the account does not have
    (moto says ResourceNotFound, which AWS does not answer to this operation)."""
    try:
        return _originals["describe_state_machine_for_execution"](self)
    except ResourceNotFound:
        raise ExecutionDoesNotExist(
            f"Execution Does Not Exist: '{self._get_param('executionArn')}'"
        ) from None


REDRIVABLE = ("FAILED", "TIMED_OUT", "ABORTED")
REDRIVE_FILTERS = ("REDRIVEN", "NOT_REDRIVEN")


def _describe_execution(self: StepFunctionResponse) -> Any:
    answer = _originals["describe_execution"](self)
    row: Any = answer.result if isinstance(answer, ActionResult) else None
    backend: Any = self.stepfunction_backend
    if not isinstance(row, dict) or not hasattr(backend, "_get_executions"):
        return answer
    arn = row.get("executionArn")
    execution = next((x for x in backend._get_executions() if x.execution_arn == arn), None)
    if execution is None:
        return answer
    row["inputDetails"] = {"included": True}
    if row.get("output") is not None:
        row["outputDetails"] = {"included": True}
    if "EXPRESS" in str(getattr(execution.state_machine, "type", "")).upper():
        return answer  # AWS keeps no redrive state for Express executions
    status = str(row.get("status", "")).rsplit(".", 1)[-1]
    row["redriveCount"] = int(getattr(execution, "redrive_count", 0))
    if status in REDRIVABLE:
        row["redriveStatus"] = "REDRIVABLE"
    else:
        row["redriveStatus"] = "NOT_REDRIVABLE"
        row["redriveStatusReason"] = f"Execution is {status} and cannot be redriven"
    if getattr(execution, "redrive_date", None) is not None:
        row["redriveDate"] = execution.redrive_date
    return answer


def install() -> None:
    """Apply the patches (called by `moto_patches.install`, under its lock; idempotent)."""
    if _originals:
        return
    _originals["get_execution_history"] = StepFunctionResponse.get_execution_history
    StepFunctionResponse.get_execution_history = _get_execution_history  # type: ignore[method-assign]
    _originals["list_executions"] = StepFunctionResponse.list_executions
    StepFunctionResponse.list_executions = _list_executions  # type: ignore[method-assign]
    StepFunctionResponse.validate_state_machine_definition = _validate_state_machine_definition  # type: ignore[attr-defined]
    for operation in _ANSWERS:
        _originals[operation] = getattr(StepFunctionResponse, operation)
        setattr(StepFunctionResponse, operation, _answering(operation))
    _originals["describe_execution"] = StepFunctionResponse.describe_execution
    StepFunctionResponse.describe_execution = _describe_execution  # type: ignore[method-assign]
    for operation in _TAGGING:
        _originals[operation] = getattr(StepFunctionResponse, operation)
        setattr(StepFunctionResponse, operation, _tagging(operation))
    _originals["describe_state_machine_for_execution"] = (
        StepFunctionResponse.describe_state_machine_for_execution
    )
    StepFunctionResponse.describe_state_machine_for_execution = _describe_state_machine_for_execution  # type: ignore[method-assign]
    _originals["wait_timeout"] = callback_tasks.StateTaskServiceCallback._wait_for_task_token_timeout
    callback_tasks.StateTaskServiceCallback._wait_for_task_token_timeout = _wait_for_token  # type: ignore[method-assign]
    _originals["wait_heartbeat"] = callback_tasks.StateTaskServiceCallback._wait_for_task_token_heartbeat
    callback_tasks.StateTaskServiceCallback._wait_for_task_token_heartbeat = _wait_for_heartbeat  # type: ignore[method-assign]
    _originals["callback_add"] = CallbackPoolManager.add
    CallbackPoolManager.add = _add_callback  # type: ignore[method-assign]
    _originals["callback_add_activity_task"] = CallbackPoolManager.add_activity_task
    CallbackPoolManager.add_activity_task = _add_activity_task  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore what `install` replaced."""
    if not _originals:
        return
    StepFunctionResponse.get_execution_history = _originals["get_execution_history"]  # type: ignore[method-assign]
    StepFunctionResponse.list_executions = _originals["list_executions"]  # type: ignore[method-assign]
    del StepFunctionResponse.validate_state_machine_definition  # type: ignore[attr-defined]
    for operation in _ANSWERS:
        setattr(StepFunctionResponse, operation, _originals[operation])
    StepFunctionResponse.describe_execution = _originals["describe_execution"]  # type: ignore[method-assign]
    for operation in _TAGGING:
        setattr(StepFunctionResponse, operation, _originals[operation])
    for operation in ("describe_state_machine_for_execution",):
        setattr(StepFunctionResponse, operation, _originals[operation])
    callback_tasks.StateTaskServiceCallback._wait_for_task_token_timeout = _originals["wait_timeout"]  # type: ignore[method-assign]
    callback_tasks.StateTaskServiceCallback._wait_for_task_token_heartbeat = _originals["wait_heartbeat"]  # type: ignore[method-assign]
    CallbackPoolManager.add = _originals["callback_add"]  # type: ignore[method-assign]
    CallbackPoolManager.add_activity_task = _originals["callback_add_activity_task"]  # type: ignore[method-assign]
    _originals.clear()
