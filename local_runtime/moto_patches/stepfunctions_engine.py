"""Step Functions: the patches of moto's execution engine (moto.stepfunctions.parser).

The engine runs the real ASL; these make it run as Step Functions does on the runtime's virtual
clock: its threads, events and sleeps are the clock's, a task waiting for its token waits on a
CALLBACK timer, a definition is parsed once, an execution's start and end are seen by the runtime
(the clock's quiescence, the status-change event, the Express limit), and the gaps in its
answers (JSONata, mocked Throws, Distributed Map failures, StopExecution of a callback wait,
SDK service names) are closed. Each is declared with its gap in `PATCHES`.
"""

from __future__ import annotations

import contextvars
import importlib
import json
import pkgutil
import re
import threading
import uuid
from collections.abc import Callable
from types import ModuleType
from typing import Any

import jsonata
from moto.stepfunctions.exceptions import InvalidExecutionInput, InvalidName
from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    distributed_iteration_component as distributed_map,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.inline_item_processor_worker import (  # noqa: E501
    InlineItemProcessorWorker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task import mock_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service,
    state_task_service_aws_sdk,
    state_task_service_callback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_dynamodb as dynamodb_task,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
from moto.stepfunctions.parser.asl.eval.callback.callback import (
    CallbackEndpoint,
    CallbackPoolManager,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
from moto.stepfunctions.parser.asl.eval.states import ItemData, MapData
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path as engine_json_path
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from local_runtime import clock
from local_runtime.moto_patches import asl_extensions, mock_config
from local_runtime.moto_patches.declare import Applied, Entries, Gap, Patch, Replace, node

SERVICE = "stepfunctions"
_TESTS = "tests/local_runtime/test_moto_patches.py"
_MOCK_TESTS = "tests/local_runtime/test_mock_config.py"
_ASL_TESTS = "tests/local_runtime/test_asl_extensions.py"
_GAP_TESTS = "tests/local_runtime/test_patch_gaps.py"

# --- The engine on the virtual clock ------------------------------------------------------------


class _VirtualThreading(ModuleType):
    """The `threading` module as the engine's modules see it: threads and events on the clock."""

    Thread = clock.ManagedThread
    Event = clock.VirtualEvent

    def __getattr__(self, name: str) -> Any:
        return getattr(threading, name)


_ENGINE_PACKAGE = "moto.stepfunctions.parser"


def _engine_modules() -> list[ModuleType]:
    """Every module of moto's Step Functions engine (imported now, so none is missed; the few
    that cannot be imported, such as LocalStack's usage analytics, cannot run either)."""
    package = importlib.import_module(_ENGINE_PACKAGE)
    modules = [package]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{_ENGINE_PACKAGE}."):
        try:
            modules.append(importlib.import_module(info.name))
        except ImportError:
            continue
    return modules


def _in_every_engine_module(substitutes: dict[int, Any]) -> Callable[[], Callable[[], None]]:
    """A change that points every name bound, in any engine module, to one of moto's objects (by
    identity: the module, class or function itself) at its substitute; its undo points them back."""

    def apply() -> Callable[[], None]:
        replaced = []
        for module in _engine_modules():
            for attribute, value in list(vars(module).items()):
                substitute = substitutes.get(id(value))
                if substitute is not None:
                    replaced.append((module, attribute, value))
                    setattr(module, attribute, substitute)

        def undo() -> None:
            for module, attribute, value in replaced:
                setattr(module, attribute, value)

        return undo

    return apply


THREADS = Applied(
    "threads",
    SERVICE,
    _in_every_engine_module(
        {
            id(threading): _VirtualThreading("threading"),
            id(threading.Thread): clock.ManagedThread,
            id(threading.Event): clock.VirtualEvent,
        }
    ),
    (
        Gap(
            "a Wait state sleeps in real time",
            node(_TESTS, "test_without_the_patch_a_wait_state_sleeps_in_real_time"),
        ),
        Gap(
            "a Retry's interval sleeps in real time",
            node(_TESTS, "test_without_the_patch_a_retry_interval_sleeps_in_real_time"),
        ),
        Gap(
            "a task's TimeoutSeconds runs in real time",
            node(_TESTS, "test_without_the_patch_a_task_timeout_runs_in_real_time"),
        ),
    ),
)

_INDEFINITE_PATH = re.compile(r"\.\.|\[\s*\*\s*\]|\[\?|\[[^\]]*[,:][^\]]*\]")
"""A JSONPath that can select several nodes (a deep scan, a wildcard, a filter, a union or a
slice): its value is always a list, as Step Functions' JsonPath answers it."""

_shipped_extract_json = engine_json_path.extract_json


def _extract_json(path: str, data: Any) -> Any:
    """A JSONPath's value: a definite path (names and single indexes only) gives the one node it
    selects, ``$.lines[0].sku`` included, which moto turned into a one-element list because an
    index comes before the last name; an indefinite path is moto's own (always a list)."""
    if _INDEFINITE_PATH.search(path):
        return _shipped_extract_json(path, data)
    matches = engine_json_path.parse(path).find(data)
    if not matches:
        raise engine_json_path.NoSuchJsonPathError(json_path=path, data=data)
    return matches[0].value if len(matches) == 1 else [match.value for match in matches]


DEFINITE_PATHS = Applied(
    "extract_json",
    SERVICE,
    _in_every_engine_module({id(_shipped_extract_json): _extract_json}),
    (
        Gap(
            "a definite JSONPath through an index ($.lines[0].sku) gives a one-element list",
            node(_TESTS, "test_without_the_patch_a_definite_path_through_an_index_is_a_list"),
        ),
    ),
)

PARSE = Replace(
    "parse",
    SERVICE,
    AmazonStateLanguageParser,
    "parse",
    (
        Gap(
            "every execution parses its definition again (~0.15 s for the saga)",
            node(_GAP_TESTS, "test_without_the_patch_every_execution_parses_its_definition_again"),
        ),
        Gap(
            "an integer ToleratedFailurePercentage is a syntax error",
            node(_ASL_TESTS, "test_without_the_patch_an_integer_tolerated_percentage_is_a_syntax_error"),
        ),
        Gap(
            "ItemBatcher is a syntax error",
            node(_ASL_TESTS, "test_without_the_patch_an_item_batcher_is_a_syntax_error"),
        ),
        Gap(
            "a JSON Lines ItemReader is refused",
            node(_ASL_TESTS, "test_without_the_patch_a_json_lines_reader_is_refused"),
        ),
    ),
    wrap=staticmethod,
)
_parsed: dict[str, Any] = {}


@PARSE.by
def _parse_once(definition: str) -> Any:
    """The engine parses a definition (ANTLR, ~0.15 s for the saga) when it is created and again
    for every execution; the parsed program keeps no execution state (that lives in the
    execution's environment), so each definition is parsed once per process. The definition is
    first rewritten for the grammar where AWS accepts more than it (`asl_extensions`)."""
    if definition not in _parsed:
        text, extensions = asl_extensions.desugar(definition)
        parsed = PARSE.original(text)
        if extensions:
            asl_extensions.attach(parsed[0], extensions)
        _parsed[definition] = parsed
    return _parsed[definition]


CALLBACK_TIMERS = Replace(
    "evaluate_with_timeout",
    SERVICE,
    ExecutionState,
    "_evaluate_with_timeout",
    (
        Gap(
            "a callback task's timers are the engine's: draining the app runs its wait out",
            node(_GAP_TESTS, "test_without_the_patch_a_callback_wait_runs_out_while_the_app_drains"),
        ),
    ),
)


@CALLBACK_TIMERS.by
def _evaluate_with_timeout(self: ExecutionState, env: Any) -> None:
    """A task waiting for its token sets CALLBACK timers: only an outside party ends that wait."""
    resource = getattr(self, "resource", None)
    if getattr(resource, "condition", None) == ResourceCondition.WaitForTaskToken:
        with clock.timer_kind(clock.CALLBACK):
            CALLBACK_TIMERS.original(self, env)
    else:
        CALLBACK_TIMERS.original(self, env)


# --- Task tokens ----------------------------------------------------------------------------------

issued_tokens: set[str] = set()
"""Every task token the engine handed out in this process (a token is a UUID: never reused)."""


def _record_issued_tokens() -> Callable[[], None]:
    shipped = {name: getattr(CallbackPoolManager, name) for name in ("add", "add_activity_task")}

    def recording(name: str) -> Callable[..., Any]:
        def add(self: CallbackPoolManager, callback_id: str, *args: Any, **kwargs: Any) -> Any:
            issued_tokens.add(str(callback_id))
            return shipped[name](self, callback_id, *args, **kwargs)

        return add

    for name in shipped:
        setattr(CallbackPoolManager, name, recording(name))

    def undo() -> None:
        for name, original in shipped.items():
            setattr(CallbackPoolManager, name, original)

    return undo


ISSUED_TOKENS = Applied(
    "issued_tokens",
    SERVICE,
    _record_issued_tokens,
    (
        Gap(
            "SendTask* on the token of a task that is over is InvalidToken (AWS: TaskDoesNotExist)",
            node(_GAP_TESTS, "test_without_the_patch_an_answered_token_is_an_invalid_token"),
        ),
    ),
)

_Callback = state_task_service_callback.StateTaskServiceCallback

HEARTBEAT = Replace(
    "heartbeat_wait",
    SERVICE,
    _Callback,
    "_wait_for_task_token_heartbeat",
    (
        Gap(
            "a task token answered while its invocation still runs is lost; the state times out",
            node(_TESTS, "test_without_the_patch_an_early_answer_is_lost_and_the_heartbeat_times_out"),
        ),
    ),
)


@HEARTBEAT.by
def _wait_for_task_token_heartbeat(
    self: Any, env: Any, callback_endpoint: CallbackEndpoint, heartbeat_endpoint: Any
) -> Any:
    """moto's heartbeat wait, except that an answer given before the wait began is returned (on
    AWS the token is open from the moment the task starts)."""
    answered = callback_endpoint.get_outcome()
    if answered is not None:
        return answered
    return HEARTBEAT.original(
        self, env=env, callback_endpoint=callback_endpoint, heartbeat_endpoint=heartbeat_endpoint
    )


def awaiting_callback(execution: Execution) -> bool:
    """Whether an execution waits on a task token nobody has answered yet (the engine's callback
    pool holds an endpoint without an outcome).

    Read from the engine rather than the history: right after a SendTaskSuccess the history
    still ends in TaskSubmitted for a moment, while the pool already holds the answer.
    """
    worker = getattr(execution, "exec_worker", None)
    if worker is None or worker.env is None:
        return False
    pool = worker.env.callback_pool_manager._pool
    return any(endpoint.get_outcome() is None for endpoint in list(pool.values()))


def _interrupt_callback_waits(execution: Execution) -> None:
    worker = getattr(execution, "exec_worker", None)
    if worker is None or worker.env is None:
        return
    for endpoint in list(worker.env.callback_pool_manager._pool.values()):
        endpoint.interrupt_all()


# --- An execution's life ------------------------------------------------------------------------

STOP = Replace(
    "stop_execution",
    SERVICE,
    Execution,
    "stop",
    (
        Gap(
            "StopExecution leaves an execution waiting on a task token until its timeout",
            node(_TESTS, "test_without_the_patch_a_stopped_callback_waits_out_its_timeout"),
        ),
    ),
)


@STOP.by
def _stop_execution(self: Execution, stop_date: Any, error: str | None, cause: str | None) -> None:
    """moto's stop, then every callback wait of the execution is interrupted so it ends now."""
    STOP.original(self, stop_date, error, cause)
    _interrupt_callback_waits(self)


STOPPED_STAYS_STOPPED = Replace(
    "set_error",
    SERVICE,
    Environment,
    "set_error",
    (
        Gap(
            "an execution stopped while it waits on a task token ends FAILED instead of ABORTED",
            node(_TESTS, "test_without_the_patch_a_stopped_callback_ends_failed"),
        ),
    ),
)


@STOPPED_STAYS_STOPPED.by
def _set_error_unless_stopped(self: Environment, error: Any) -> None:
    """moto's set_error, except that an execution stopped by StopExecution stays ABORTED."""
    if isinstance(self.program_state(), ProgramStopped):
        return
    STOPPED_STAYS_STOPPED.original(self, error)


ExecutionListener = Callable[[Execution], None]
_listeners: list[ExecutionListener] = []
_live: dict[str, Execution] = {}
_ended: dict[str, clock.VirtualEvent] = {}
_express_limits: dict[str, clock.Timer] = {}

EXPRESS_MAX_SECONDS = 300.0
"""An Express execution's maximum duration: past it, it times out (States.Timeout)."""


def on_execution_end(listener: ExecutionListener) -> Callable[[], None]:
    """Call `listener(execution)` whenever an execution ends; returns a function that unregisters it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def live_executions() -> list[Execution]:
    """Executions started and not yet ended (read from the engine, not through the API)."""
    return list(_live.values())


def now_live(execution: Execution) -> None:
    """An execution that runs again (a redrive) is live until it ends."""
    _live[execution.exec_arn] = execution


def no_longer_live(execution: Execution) -> None:
    _live.pop(execution.exec_arn, None)


def is_express(execution: Execution) -> bool:
    """moto's `sm_type` is always STANDARD; the state machine's `type` is what was created."""
    return str(getattr(execution.state_machine, "type", "")).upper() == "EXPRESS"


def wait_for_end(execution: Execution, timeout: float | None = None) -> bool:
    """Wait (on the virtual clock, storage released) until the execution ends; True if it did
    within `timeout` virtual seconds."""
    ended = _ended.get(execution.exec_arn)
    if ended is None:
        return str(getattr(execution.exec_status, "value", execution.exec_status)) != "RUNNING"
    return ended.wait(timeout)


START = Replace(
    "start_execution",
    SERVICE,
    Execution,
    "start",
    (
        Gap(
            "an Express execution has no maximum duration (AWS: TIMED_OUT after 5 minutes)",
            node(_GAP_TESTS, "test_without_the_patch_an_express_execution_runs_past_five_minutes"),
        ),
        Gap(
            "nothing can wait on an execution's end on the virtual clock: StartSyncExecution answers early",
            node(_GAP_TESTS, "test_without_the_patch_a_sync_execution_is_answered_before_it_ends"),
        ),
    ),
)


@START.by
def _start_execution(self: Execution) -> None:
    _live[self.exec_arn] = self
    _ended[self.exec_arn] = clock.VirtualEvent()
    if is_express(self) and clock.CLOCK.running:
        _express_limits[self.exec_arn] = clock.CLOCK.call_later(
            EXPRESS_MAX_SECONDS, lambda: _express_timed_out(self), clock.ENGINE
        )
    START.original(self)


def _express_timed_out(execution: Execution) -> None:
    """An Express execution still running after 5 minutes times out, as on AWS: TIMED_OUT with
    States.Timeout, whatever state it is in (a callback wait or a Map's children included)."""
    worker = getattr(execution, "exec_worker", None)
    if worker is None or worker.env is None or execution.exec_arn not in _live:
        return
    execution.error = "States.Timeout"
    execution.cause = (
        f"The execution exceeded the Express maximum duration of {EXPRESS_MAX_SECONDS:.0f} seconds"
    )
    worker.env.set_timed_out()
    _interrupt_callback_waits(execution)


ENDS = Replace(
    "terminated",
    SERVICE,
    BaseExecutionWorkerCommunication,
    "terminated",
    (
        Gap(
            "no Execution Status Change event on the default bus when an execution ends",
            node(_TESTS, "test_without_the_patch_no_status_change_event_is_emitted"),
        ),
    ),
)


@ENDS.by
def _terminated_with_listeners(self: BaseExecutionWorkerCommunication) -> None:
    """moto's end of an execution, then every listener hears of it, in the execution's own thread
    (which the clock counts busy until the status-change event is out)."""
    ENDS.original(self)
    arn = self.execution.exec_arn
    _live.pop(arn, None)
    limit = _express_limits.pop(arn, None)
    if limit is not None:
        limit.cancel()
    for listener in list(_listeners):
        listener(self.execution)
    ended = _ended.pop(arn, None)
    if ended is not None:
        ended.set()


# --- Evaluation -----------------------------------------------------------------------------------

JSONATA = Replace(
    "jsonata",
    SERVICE,
    moto_jsonata,
    "_eval_jsonata",
    (
        Gap(
            "every JSONata state fails with States.Runtime (moto's JVM bridge is gone: no evaluator)",
            node(_GAP_TESTS, "test_without_the_patch_a_jsonata_state_fails"),
        ),
    ),
)


@JSONATA.by
def _eval_jsonata(expression: str) -> Any:
    """What moto's JVM bridge answered: the expression's value as JSON data (None when undefined),
    any failure a JSONataException the engine turns into States.QueryEvaluationError. Evaluated
    with jsonata-python, a pure Python port of the reference implementation."""
    try:
        value = jsonata.Jsonata(expression).evaluate(None)
        return json.loads(json.dumps(value))
    except Exception as error:
        raise moto_jsonata.JSONataException("UNKNOWN", str(error)) from error


SDK_SERVICES = Entries(
    "boto_overrides",
    SERVICE,
    state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES,  # type: ignore[arg-type]
    {"eventbridge": "events", "cognitoidentityprovider": "cognito-idp"},
    (
        Gap(
            "aws-sdk:eventbridge and aws-sdk:cognitoidentityprovider tasks name an unknown service",
            node(_TESTS, "test_without_the_patch_sdk_eventbridge_is_an_unknown_service"),
        ),
    ),
)

SDK_ERROR_PREFIXES = Entries(
    "error_names",
    SERVICE,
    state_task_service_aws_sdk._SERVICE_ERROR_NAMES,
    {"eventbridge": "EventBridge", "cognitoidentityprovider": "CognitoIdentityProvider"},
    (
        Gap(
            "SDK task errors of EventBridge and Cognito lack their service prefix (EventBridge.*)",
            node(_GAP_TESTS, "test_without_the_patch_an_eventbridge_error_lacks_its_prefix"),
        ),
    ),
)

MAP_RUN = Replace(
    "map_run",
    SERVICE,
    distributed_map.DistributedIterationComponent,
    "_map_run",
    (
        Gap(
            "a Distributed Map whose children failed succeeds, with null results",
            node(_TESTS, "test_without_the_patch_a_failed_child_is_a_null_result"),
        ),
    ),
)


@MAP_RUN.by
def _map_run_within_tolerance(
    self: distributed_map.DistributedIterationComponent, env: Environment, eval_input: Any
) -> None:
    """A Distributed Map whose children failed beyond ToleratedFailureCount/Percentage (0 by
    default) fails with States.ExceedToleratedFailureThreshold, as on AWS; moto reports the run
    as succeeded, with a null result for every failed child. With an ItemBatcher
    (`asl_extensions`) the items are batched first, one child per batch, and a failed child
    fails every item of its batch."""
    batcher = getattr(self, "_local_item_batcher", None)
    batches: list[asl_extensions.ItemBatch] | None = None
    if batcher is not None:
        batches = asl_extensions.batch_items(env.stack.pop(), batcher, env.states.get_input())
        env.stack.append(batches)
    MAP_RUN.original(self, env, eval_input)
    record = eval_input.map_run_record
    total = record.item_counter.total.get()
    failed = record.item_counter.failed.get() + record.item_counter.timed_out.get()
    if not failed:
        return
    if batches is not None:
        outputs = env.stack[-1]
        total = sum(len(batch) for batch in batches)
        failed = sum(len(batch) for batch, output in zip(batches, outputs, strict=False) if output is None)
    count = int(eval_input.tolerated_failure_count or 0)
    percentage = float(eval_input.tolerated_failure_percentage or 0.0)
    if (count and failed <= count) or (percentage and 100.0 * failed / max(total, 1) <= percentage):
        return
    cause = f"The specified tolerated failure threshold was exceeded: {failed} of {total} items failed"
    raise FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold),
            event_type=HistoryEventType.MapRunFailed,
            event_details=EventDetails(  # type: ignore[typeddict-item]  # a total TypedDict in moto's stubs
                mapRunFailedEventDetails=MapRunFailedEventDetails(
                    error=StatesErrorNameType.StatesExceedToleratedFailureThreshold.to_name(), cause=cause
                )
            ),
        )
    )


BATCHED_INPUT = Replace(
    "eval_item_input",
    SERVICE,
    InlineItemProcessorWorker,
    "_eval_input",
    (
        Gap(
            "a batched child's input is not AWS's {Items, BatchInput} document",
            node(_GAP_TESTS, "test_without_the_patch_a_batched_child_gets_no_items_document"),
        ),
    ),
)


@BATCHED_INPUT.by
def _eval_batched_input(self: Any, env_frame: Environment) -> None:
    """A batched child's input (ItemBatcher): the ItemSelector (or Parameters) shapes each item of
    the batch, with ``$$.Map.Item`` that item, and the child receives ``{"Items": [...],
    "BatchInput": ...}``. Any other child's input is moto's."""
    context: Any = env_frame.states.context_object.context_object_data
    batch = ((context.get("Map") or {}).get("Item") or {}).get("Value")
    if not isinstance(batch, asl_extensions.ItemBatch):
        BATCHED_INPUT.original(self, env_frame)
        return
    shaped = []
    depth = len(env_frame.stack)
    for offset, item in enumerate(batch):
        context["Map"] = MapData(Item=ItemData(Index=batch.first_index + offset, Value=item))
        if self._parameters or self._item_selector:
            BATCHED_INPUT.original(self, env_frame)
            shaped.append(env_frame.states.get_input())
            del env_frame.stack[depth:]
        else:
            shaped.append(item)
    document = asl_extensions.batch_document(shaped, batch.batch_input)
    context["Map"] = MapData(Item=ItemData(Index=batch.first_index, Value=document))
    if self._parameters or self._item_selector:
        env_frame.stack.append(document)
    env_frame.states.reset(input_value=document)


# --- Step Functions Local's mocked responses, and TestState's context ------------------------------

starting_test_case: contextvars.ContextVar[Any] = contextvars.ContextVar("starting_test_case", default=None)
"""The MockConfigFile test case the next execution runs (set for the length of its start)."""

starting_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "starting_context", default=None
)
"""A Context object to start the next execution with (TestState's ``context``): merged over the
one the engine builds, so ``$$`` reads what the caller gave (the engine still sets
``$$.State`` and ``$$.Task`` as each state runs, and ``$$.Map`` inside a Map)."""

TEST_CASE_START = Replace(
    "backend_start_execution",
    SERVICE,
    StepFunctionsParserBackend,
    "start_execution",
    (
        Gap(
            "StartExecution takes a name AWS refuses (whitespace, brackets, wildcards, ...: InvalidName)",
            node(_GAP_TESTS, "test_without_the_patch_any_execution_name_is_taken"),
        ),
        Gap(
            "StartExecution on <arn>#<TestCase> (Step Functions Local's mock cases) names no machine",
            node(_MOCK_TESTS, "test_without_the_patch_the_test_case_suffix_names_no_state_machine"),
        ),
    ),
)


@TEST_CASE_START.by
def _start_execution_with_test_case(
    self: StepFunctionsParserBackend,
    state_machine_arn: str,
    name: Any = None,
    execution_input: Any = None,
    trace_header: Any = None,
) -> Any:
    """StartExecution on ``<arn>#<TestCaseName>`` runs the test case of the mock configuration
    (Step Functions Local's contract); an unknown case, or one mocking states the definition
    lacks, is refused by name before anything runs. Input that is not JSON is refused as
    InvalidExecutionInput (moto's own refusal carries no error code), and an execution started
    without a name gets a UUID, as on AWS."""
    if execution_input is not None:
        try:
            json.loads(execution_input)
        except ValueError as error:
            raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{error}'") from error
    if not name:
        name = str(uuid.uuid4())  # AWS names an unnamed execution (moto's ARN would end in "None")
    self._validate_name(name)  # moto's own check, which its executing backend skips
    base, _, case = state_machine_arn.partition("#")
    if not case:
        return TEST_CASE_START.original(self, state_machine_arn, name, execution_input, trace_header)
    machine = self.describe_state_machine(base)
    try:
        test_case = mock_config.test_case_for(machine.name, case, machine.definition)
    except mock_config.MockConfigError as error:
        raise InvalidName(str(error)) from error
    token = starting_test_case.set(test_case)
    try:
        return TEST_CASE_START.original(self, base, name, execution_input, trace_header)
    finally:
        starting_test_case.reset(token)


def _merged(base: dict[str, Any], given: dict[str, Any]) -> None:
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merged(base[key], value)
        else:
            base[key] = value


TEST_CASE_WORKER = Replace(
    "execution_worker",
    SERVICE,
    Execution,
    "_get_start_execution_worker",
    (
        Gap(
            "a mock test case's responses never reach the execution's tasks (the real Lambda runs)",
            node(_MOCK_TESTS, "test_without_the_patch_a_test_case_runs_the_real_tasks"),
        ),
    ),
)


@TEST_CASE_WORKER.by
def _execution_worker_with_test_case(self: Execution) -> Any:
    worker = TEST_CASE_WORKER.original(self)
    test_case = starting_test_case.get()
    if test_case is not None:
        worker._mock_test_case = test_case  # read when the worker builds its environment
    given = starting_context.get()
    if given:
        build = worker._get_evaluation_environment

        def with_context() -> Any:
            env = build()
            _merged(env.states.context_object.context_object_data, given)
            return env

        worker._get_evaluation_environment = with_context
    return worker


DYNAMODB_MOCKED_ERROR = Replace(
    "dynamodb_from_error",
    SERVICE,
    dynamodb_task.StateTaskServiceDynamoDB,
    "_from_error",
    (
        Gap(
            "a mocked Throw on a DynamoDB task is renamed DynamoDB.AmazonDynamoDBException",
            node(_MOCK_TESTS, "test_without_the_patch_a_mocked_throw_on_a_dynamodb_task_is_renamed"),
        ),
    ),
)


@DYNAMODB_MOCKED_ERROR.by
def _dynamodb_error_keeping_mocked_failures(self: Any, env: Environment, ex: Exception) -> Any:
    """A mocked Throw on an optimized DynamoDB task keeps its error name (as for every other
    integration); moto's DynamoDB integration renamed it DynamoDB.AmazonDynamoDBException."""
    if isinstance(ex, FailureEventException):
        return ex.failure_event
    return DYNAMODB_MOCKED_ERROR.original(self, env, ex)


MOCKED_THROW = Replace(
    "mocked_throw",
    SERVICE,
    mock_eval_utils,
    "_eval_mocked_response_throw",
    (
        Gap(
            "a mocked Throw of a States error (States.Timeout) fails the state with States.Runtime",
            node(_MOCK_TESTS, "test_without_the_patch_a_mocked_throw_of_a_states_error_is_a_runtime_error"),
        ),
    ),
)


@MOCKED_THROW.by
def _mocked_throw(env: Environment, mocked_response: Any) -> None:
    """A mocked Throw: a States error by its enum (matched as Step Functions matches it), any
    other name as moto throws it."""
    if not str(mocked_response.error).startswith("States."):
        MOCKED_THROW.original(env, mocked_response)
        return
    try:
        error_name = StatesErrorName.from_name(mocked_response.error)
    except ValueError:
        MOCKED_THROW.original(env, mocked_response)  # an unknown States. name: moto's refusal
        return
    details = TaskFailedEventDetails(error=mocked_response.error, cause=mocked_response.cause)
    raise FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(taskFailedEventDetails=details),  # type: ignore[typeddict-item]  # total in the stubs
        )
    )


PATCHES: tuple[Patch, ...] = (
    THREADS,
    DEFINITE_PATHS,
    PARSE,
    CALLBACK_TIMERS,
    ISSUED_TOKENS,
    HEARTBEAT,
    STOP,
    STOPPED_STAYS_STOPPED,
    START,
    ENDS,
    JSONATA,
    SDK_SERVICES,
    SDK_ERROR_PREFIXES,
    MAP_RUN,
    BATCHED_INPUT,
    TEST_CASE_START,
    TEST_CASE_WORKER,
    DYNAMODB_MOCKED_ERROR,
    MOCKED_THROW,
)
