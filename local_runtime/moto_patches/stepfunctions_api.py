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
- SendTaskFailure passes on the caller's ``cause`` (moto drops it), StopExecution the caller's
  ``error`` and ``cause``; DescribeExecution and ListExecutions give a TIMED_OUT execution its
  ``stopDate``.
- The operations moto lacks are answered: StartSyncExecution (an Express execution, waited for on
  the virtual clock), RedriveExecution (`redrive`), TestState (`test_state`) and
  ValidateStateMachineDefinition; StartSyncExecution and TestState on AWS's ``sync-states`` host.

Each is a patch of moto's response class, declared with its gap in `PATCHES`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto import backend_index
from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.stepfunctions import urls as stepfunctions_urls
from moto.stepfunctions.exceptions import (
    ExecutionDoesNotExist,
    InvalidArn,
    InvalidToken,
    ResourceNotFound,
    ValidationException,
)
from moto.stepfunctions.parser.api import InvalidToken as EngineInvalidToken
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse
from moto.stepfunctions.utils import PAGINATION_MODEL
from moto.utilities.paginator import Paginator

from local_runtime.definition_diagnostics import diagnose
from local_runtime.moto_patches import redrive, test_state
from local_runtime.moto_patches.declare import Add, Applied, Gap, Patch, Replace, node
from local_runtime.moto_patches.stepfunctions_engine import (
    EXPRESS_MAX_SECONDS,
    issued_tokens,
    live_executions,
    no_longer_live,
    now_live,
    wait_for_end,
)

SERVICE = "stepfunctions"
_API_TESTS = "tests/local_runtime/test_sfn_api.py"
_TESTS = "tests/local_runtime/test_moto_patches.py"
_GAP_TESTS = "tests/local_runtime/test_patch_gaps.py"

DEFAULT_PAGE = 100
MAX_PAGE = 1000
EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
_EXECUTION_DATA = ("input", "output", "inputDetails", "outputDetails")


def _response_patch(operation: str, gap: Gap, *more: Gap, key: str = "") -> Replace:
    """A patch of one operation of moto's Step Functions responses (keyed by the operation unless
    another patch has that key)."""
    return Replace(key or operation, SERVICE, StepFunctionResponse, operation, (gap, *more))


def _gap(name: str, text: str) -> Gap:
    """A gap shown by the parametrized API gap test (one case per operation)."""
    return Gap(text, node(_GAP_TESTS, f"test_without_the_patch_the_api_answers_as_moto_does[{name}]"))


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


def _refuse_task_over(self: StepFunctionResponse, token: str) -> None:
    if _task_timed_out(self.stepfunction_backend, token):
        raise TaskTimedOut("Task Timed Out: the task's TimeoutSeconds or HeartbeatSeconds ran out")
    if _task_is_over(self.stepfunction_backend, token):
        raise TaskDoesNotExist("Task Token does not exist anymore: its task is over")


def _answering(
    patch: Replace, answer: Callable[[StepFunctionResponse], Any] | None = None
) -> Callable[..., Any]:
    """A SendTask* response whose refusal of an issued token says the task is over (or timed out),
    and which otherwise answers as ``answer`` does (moto's own by default)."""

    def respond(self: StepFunctionResponse) -> Any:
        token = str(self._get_param("taskToken") or "")
        if patch.key == "send_task_success":
            try:
                json.loads(self._get_param("output") or "")
            except ValueError as error:
                raise InvalidOutput(f"Invalid Output: '{error}'") from error
        _refuse_task_over(self, token)
        try:
            return (answer or patch.original)(self)
        except (InvalidToken, EngineInvalidToken):
            if token in issued_tokens:
                raise TaskDoesNotExist("Task Token does not exist anymore: its task is over") from None
            raise

    return patch.by(respond)


SEND_TASK_SUCCESS = _response_patch(
    "send_task_success",
    _gap("send_task_success", "SendTaskSuccess takes an output that is not JSON (AWS: InvalidOutput)"),
)
SEND_TASK_FAILURE = _response_patch(
    "send_task_failure",
    Gap(
        "SendTaskFailure drops the caller's cause",
        node(_TESTS, "test_without_the_patch_send_task_failure_loses_its_cause"),
    ),
    _gap("send_task_failure", "SendTaskFailure on the token of an ended execution is taken silently"),
)
SEND_TASK_HEARTBEAT = _response_patch(
    "send_task_heartbeat",
    _gap("send_task_heartbeat", "SendTaskHeartbeat on the token of an ended execution is taken silently"),
)


def _send_task_failure_with_cause(self: StepFunctionResponse) -> Any:
    """moto's SendTaskFailure, with the cause the caller sent."""
    backend: Any = self.stepfunction_backend
    if not isinstance(backend, StepFunctionsParserBackend):
        # moto's plain backend (a mock without execute_state_machine) has no cause to pass on
        return SEND_TASK_FAILURE.original(self)
    backend.send_task_failure(
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return EmptyResult()


_answering(SEND_TASK_SUCCESS)
_answering(SEND_TASK_FAILURE, _send_task_failure_with_cause)
_answering(SEND_TASK_HEARTBEAT)


def _holding(backend: Any, token: str) -> tuple[Any, Any] | None:
    """The execution whose callback pool holds an issued token, and the token's endpoint.

    The executions still running are asked first: an open token is theirs, and every SendTask*
    asks this twice, so walking every execution the app ever ran made each answer slower than
    the last (a burst of thousands of orders). Only a token whose execution ended is looked for
    among all of them."""
    if token not in issued_tokens:
        return None
    for executions in (live_executions, getattr(backend, "_get_executions", list)):
        for execution in executions():
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
    TaskTimedOut (TimeoutSeconds or HeartbeatSeconds: the history is the engine's own record)."""
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


HISTORY = _response_patch(
    "get_execution_history",
    _gap(
        "get_execution_history",
        "GetExecutionHistory ignores maxResults, nextToken, reverseOrder and includeExecutionData",
    ),
)


@HISTORY.by
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


LIST_EXECUTIONS = _response_patch(
    "list_executions",
    _gap("list_executions", "ListExecutions answers a statusFilter that does not exist with an empty list"),
    Gap(
        "ListExecutions gives no stopDate for a TIMED_OUT execution",
        node(_GAP_TESTS, "test_without_the_patch_a_timed_out_execution_has_no_stop_date_listed"),
    ),
)


@LIST_EXECUTIONS.by
def _list_executions(self: StepFunctionResponse) -> Any:
    return _with_stop_dates(self, _listed(self), many=True)


def _listed(self: StepFunctionResponse) -> Any:
    status = self._get_param("statusFilter")
    if status is not None and status not in EXECUTION_STATUSES:
        raise _not_in_set("statusFilter", status, EXECUTION_STATUSES)
    if self._get_param("maxResults") is not None:
        _page_size(self._get_param("maxResults"))
    redrive = self._get_param("redriveFilter")
    if redrive is None:
        return LIST_EXECUTIONS.original(self)
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
        return LIST_EXECUTIONS.original(self)
    finally:
        del backend.list_executions


_SEVERITIES = ("ERROR", "WARNING")
MAX_DIAGNOSTICS = 100
"""ValidateStateMachineDefinition's maxResults: its default and its maximum."""


def _validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
    """ValidateStateMachineDefinition (moto has none): OK or FAIL, with diagnostics."""
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
    """ValidationException for a StopExecution ``error`` or ``cause`` longer than AWS takes."""
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


def _tagging(operation: str) -> Replace:
    patch = _response_patch(operation, _gap(operation, f"{operation} takes an ARN that names nothing"))

    @patch.by
    def respond(self: StepFunctionResponse) -> Any:
        _refuse_unknown_resource(self)
        return patch.original(self)

    return patch


TAGGING = tuple(
    _tagging(operation) for operation in ("tag_resource", "untag_resource", "list_tags_for_resource")
)


MACHINE_FOR_EXECUTION = _response_patch(
    "describe_state_machine_for_execution",
    _gap(
        "describe_state_machine_for_execution",
        "DescribeStateMachineForExecution answers an unknown execution with ResourceNotFound",
    ),
)


@MACHINE_FOR_EXECUTION.by
def _describe_state_machine_for_execution(self: StepFunctionResponse) -> Any:
    """moto's answer, or AWS's ExecutionDoesNotExist for an execution the account does not have
    (moto says ResourceNotFound, which AWS does not answer to this operation)."""
    try:
        return MACHINE_FOR_EXECUTION.original(self)
    except ResourceNotFound:
        raise ExecutionDoesNotExist(
            f"Execution Does Not Exist: '{self._get_param('executionArn')}'"
        ) from None


REDRIVABLE = ("FAILED", "TIMED_OUT", "ABORTED")
REDRIVE_FILTERS = ("REDRIVEN", "NOT_REDRIVEN")


DESCRIBE_EXECUTION = _response_patch(
    "describe_execution",
    _gap("describe_execution", "DescribeExecution has no redrive fields and no input/output details"),
    Gap(
        "DescribeExecution gives no stopDate for a TIMED_OUT execution",
        node(_GAP_TESTS, "test_without_the_patch_a_timed_out_execution_has_no_stop_date_described"),
    ),
)


def _execution_named(backend: Any, arn: Any) -> Any:
    """The execution an ARN names, found among its own state machine's executions, newest first
    (the ARN names the machine: a walk of every machine's executions made each description of a
    burst's thousands slower), or None."""
    if not isinstance(arn, str) or arn.count(":") < 7:
        return None
    machine_name = arn.split(":")[6]
    for machine in backend.state_machines:  # the machine, and its published versions, by name
        if machine.name == machine_name:
            found = next((x for x in reversed(machine.executions) if x.execution_arn == arn), None)
            if found is not None:
                return found
    return None


@DESCRIBE_EXECUTION.by
def _describe_execution(self: StepFunctionResponse) -> Any:
    answer = _with_stop_dates(self, DESCRIBE_EXECUTION.original(self), many=False)
    row: Any = answer.result if isinstance(answer, ActionResult) else None
    backend: Any = self.stepfunction_backend
    if not isinstance(row, dict) or not hasattr(backend, "_get_executions"):
        return answer
    arn = row.get("executionArn")
    execution = _execution_named(backend, arn)
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


STOP_EXECUTION = _response_patch(
    "stop_execution",
    Gap(
        "StopExecution drops the caller's error and cause",
        node(_TESTS, "test_without_the_patch_a_stop_drops_the_callers_error_and_cause"),
    ),
    _gap("stop_execution_response", "StopExecution takes an error or cause of any length"),
    key="stop_execution_response",
)


@STOP_EXECUTION.by
def _stop_execution_response(self: StepFunctionResponse) -> Any:
    """moto's StopExecution, with the error and cause the caller gave (they name why an
    operator aborted it, in the history and in the status-change event), refused when longer
    than AWS takes them."""
    refuse_overlong_stop(self)
    backend: Any = self.stepfunction_backend
    if not isinstance(backend, StepFunctionsParserBackend):
        return STOP_EXECUTION.original(self)  # a mock that does not run executions
    arn = self._get_param("executionArn")
    execution = _execution_named(backend, arn)
    if execution is None:
        return STOP_EXECUTION.original(self)  # moto's own "does not exist" error
    execution.stop(
        stop_date=utcnow(), error=self._get_param("error") or "", cause=self._get_param("cause") or ""
    )
    return ActionResult({"stopDate": execution.stop_date})


def _with_stop_dates(self: StepFunctionResponse, answer: Any, many: bool) -> Any:
    """The answer, with the stopDate of each TIMED_OUT execution in it (moto gives it only for
    SUCCEEDED, FAILED and ABORTED; AWS for every execution that ended)."""
    backend: Any = self.stepfunction_backend
    if not isinstance(backend, StepFunctionsParserBackend):
        return answer
    result: Any = answer.result if isinstance(answer, ActionResult) else None
    rows = (result or {}).get("executions", []) if many else [result]
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and str(row.get("status")) in ("TIMED_OUT", "ExecutionStatus.TIMED_OUT"):
            arn = row.get("executionArn")
            execution = _execution_named(backend, arn)
            if execution is not None and execution.stop_date is not None:
                row.setdefault("stopDate", execution.stop_date)
    return answer


_SYNC_HOST = r"https?://sync-states\.(.+)\.amazonaws.com"


def _test_state_response(self: StepFunctionResponse) -> Any:
    """TestState (`test_state.py`): moto's Step Functions answers NotImplemented."""
    names = (
        "definition",
        "roleArn",
        "input",
        "inspectionLevel",
        "stateName",
        "mock",
        "stateConfiguration",
        "variables",
        "context",
        "revealSecrets",
    )
    request = {name: self._get_param(name) for name in names}
    return ActionResult(test_state.test_state(request, self.stepfunction_backend, self.current_account))


def _start_sync_execution_response(self: StepFunctionResponse) -> Any:
    """StartSyncExecution (moto has none): start the Express execution, wait for it to end on the
    virtual clock (storage released meanwhile), answer its outcome. An execution that runs past
    the Express limit times out as every Express execution does (`stepfunctions_engine`)."""
    arn = self._get_param("stateMachineArn")
    backend = self.stepfunction_backend
    machine = backend.describe_state_machine(arn)
    if str(getattr(machine, "type", "")).upper() != "EXPRESS":  # moto's `sm_type` is always STANDARD
        raise InvalidArn(f"StartSyncExecution takes an EXPRESS state machine: {arn}")
    name = self._get_param("name") or uuid.uuid4().hex
    execution: Any = backend.start_execution(arn, name, self._get_param("input", if_none="{}"))
    wait_for_end(execution, EXPRESS_MAX_SECONDS + 1)
    status = str(getattr(execution.exec_status, "value", execution.exec_status))
    answer: dict[str, Any] = {
        "executionArn": execution.exec_arn,
        "stateMachineArn": arn,
        "name": name,
        "startDate": execution.start_date,
        "stopDate": execution.stop_date or datetime.now(UTC),
        "status": "SUCCEEDED"
        if status == "SUCCEEDED"
        else ("TIMED_OUT" if status == "TIMED_OUT" else "FAILED"),
        "input": json.dumps(execution.input_data, separators=(",", ":")),
    }
    output = execution.output
    if output is not None:
        answer["output"] = output if isinstance(output, str) else json.dumps(output)
    if execution.error:
        answer["error"] = execution.error
    if execution.cause:
        answer["cause"] = execution.cause
    answer["inputDetails"] = {"included": True}
    if "output" in answer:
        answer["outputDetails"] = {"included": True}
    answer["billingDetails"] = _express_billing(answer["startDate"], answer["stopDate"])
    return ActionResult(answer)


def _express_billing(started: Any, stopped: Any) -> dict[str, int]:
    """What AWS bills an Express execution: its duration rounded up to the next 100 ms (at least
    100) on the virtual clock, and memory in 64 MB steps (the runtime does not measure the
    state's memory: the first step)."""
    elapsed = max(0.0, (stopped - started).total_seconds()) if hasattr(stopped, "__sub__") else 0.0
    return {
        "billedMemoryUsedInMB": 64,
        "billedDurationInMilliseconds": max(100, math.ceil(round(elapsed * 1000, 3) / 100) * 100),
    }


def _redrive_execution_response(self: StepFunctionResponse) -> Any:
    """RedriveExecution (`redrive.py`): moto has none."""
    execution: Any = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
    now_live(execution)
    try:
        redrive_date = redrive.redrive(execution)
    except redrive.ExecutionNotRedrivable:
        no_longer_live(execution)
        raise
    return ActionResult({"redriveDate": redrive_date})


def _sync_host() -> Callable[[], None]:
    """TestState and StartSyncExecution go to the ``sync-states`` host (the API's host prefix)."""
    pattern = ("stepfunctions", re.compile(_SYNC_HOST))
    backend_index.backend_url_patterns.append(pattern)
    stepfunctions_urls.url_bases.append(_SYNC_HOST)

    def undo() -> None:
        backend_index.backend_url_patterns.remove(pattern)
        stepfunctions_urls.url_bases.remove(_SYNC_HOST)

    return undo


_NO_SUCH_OPERATION = "moto answers the operation with an error: it has none"
PATCHES: tuple[Patch, ...] = (
    HISTORY,
    LIST_EXECUTIONS,
    DESCRIBE_EXECUTION,
    SEND_TASK_SUCCESS,
    SEND_TASK_FAILURE,
    SEND_TASK_HEARTBEAT,
    STOP_EXECUTION,
    *TAGGING,
    MACHINE_FOR_EXECUTION,
    Add(
        "validate_state_machine_definition",
        SERVICE,
        StepFunctionResponse,
        "validate_state_machine_definition",
        _validate_state_machine_definition,
        (_gap("validate_state_machine_definition", "there is no ValidateStateMachineDefinition"),),
    ),
    Add(
        "test_state",
        SERVICE,
        StepFunctionResponse,
        "test_state",
        _test_state_response,
        (_gap("test_state", "there is no TestState"),),
    ),
    Add(
        "start_sync_execution",
        SERVICE,
        StepFunctionResponse,
        "start_sync_execution",
        _start_sync_execution_response,
        (_gap("start_sync_execution", "there is no StartSyncExecution"),),
    ),
    Add(
        "redrive_execution",
        SERVICE,
        StepFunctionResponse,
        "redrive_execution",
        _redrive_execution_response,
        (_gap("redrive_execution", "there is no RedriveExecution"),),
    ),
    Applied(
        "sync_host",
        SERVICE,
        _sync_host,
        (
            Gap(
                "the sync-states host (TestState, StartSyncExecution from the CLI) is not Step Functions",
                node(_GAP_TESTS, "test_without_the_patch_the_sync_host_is_not_step_functions"),
            ),
        ),
    ),
)
