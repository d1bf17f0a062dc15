"""Every change the runtime makes to moto's Step Functions engine, in one place.

Each patch closes a gap between moto 5.2.5 and AWS that this project meets,
is pinned to that version (a different moto refuses to start rather than run
half-patched), can be removed again (`uninstall`), and has a test under
tests/local_runtime that fails without it.

* `aws-sdk:eventbridge:*` and `aws-sdk:cognitoidentityprovider:*` tasks fail with "Unknown
  service": map the SDK service names to boto3's `events` and `cognito-idp`, with AWS's error
  prefixes `EventBridge` and `CognitoIdentityProvider`.
* Every thread, event and sleep of the engine is replaced by the virtual clock's
  (`ManagedThread`, `VirtualEvent`; `time.sleep` is virtual while the clock runs), so
  Wait states, Retry intervals, TimeoutSeconds and HeartbeatSeconds are timers on the
  clock and the runtime knows when no execution can take a step. A task waiting for its
  task token sets its timers as `CALLBACK` timers: only an outside party can end that wait.
* EventBridge rules: a scheduled rule (no pattern) matches every event put on
  its bus, and a Step Functions target raises NotImplementedError; a target's
  `Input` / `InputPath` are ignored. Scheduled rules now match no event, state
  machine targets start a (named) execution, and `Input` / `InputPath` choose
  what a state machine or SQS target receives.
* Nothing tells a poller that a queue or a stream received a record: every write is
  reported to the listeners registered with `on_source_write` (the pipe runner marks
  the pipe reading that source as having work, and the clock as having activity).
* DynamoDB TransactWriteItems deep-copies every table it touches (all items and the
  whole stream) before it starts, to roll back on failure: each transaction costs as
  much as the table is big, and the restore deletes whatever another request wrote
  meanwhile. It now snapshots only the items it touches and restores exactly those on
  failure; its stream records are appended only when it commits.
* A task token answered while its task's Lambda still runs (a retried payment request
  answering its own new token with the answer already on record) is lost when the task
  has HeartbeatSeconds: the heartbeat wait starts after the invocation, clears its event
  and waits for the next heartbeat, so the task times out with the answer in hand. On AWS
  the token is open from the moment the task starts. The wait now returns an outcome that
  is already there.
* Every Cognito user pool builds the same RSA signing key from moto's resource file (~70 ms
  per pool, a fifth of an app's start): the key is built once per process.
* StartExecution never reads the `#TestCaseName` suffix Step Functions Local takes, and the
  engine's mock-configuration loader loads nothing: the suffix now selects a test case of the
  MockConfigFile (`mock_config.py`), whose mocked states the execution's worker answers.
* A Distributed Map run whose children fail is reported SUCCEEDED, with a null result per
  failed child: it now fails with States.ExceedToleratedFailureThreshold beyond the tolerated
  failures (none by default), as on AWS, and the Map's Catch takes over.
* A mocked Throw on an optimized DynamoDB task loses its error name (the integration renames
  every non-AWS exception): it keeps it, as for the other integrations.
* There is no StartSyncExecution (moto's engine has none): it starts the Express execution and
  answers its outcome once it ended.
* There is no RedriveExecution: `redrive.py` runs a FAILED / TIMED_OUT / ABORTED Standard
  execution again from the state it did not get through, its history going on.
* There is no TestState: `test_state.py` answers it, running the one state on the engine.
* A mocked Throw (MockConfigFile, TestState's errorOutput) of a ``States.`` error such as
  States.Timeout or States.TaskFailed fails with States.Runtime ("Custom Error Names MUST NOT
  begin with the prefix 'States.'"): Step Functions Local throws it as the named States error,
  so Retry and Catch on it match. An unknown ``States.`` name stays refused.
* JSONata has no evaluator (moto dropped the JVM bridge it was written for), so every JSONata
  state and every variable reference, JSONPath's ``$name`` included, fails with States.Runtime
  ("'NoneType' object is not callable"): the engine evaluates with jsonata-python, a pure
  Python port of the reference implementation (pinned in requirements.lock).
* SendTaskFailure drops its `cause` (the response handler passes only the error), so a
  Catch sees `Cause: null` where AWS gives the sender's cause. It is passed on.
* StopExecution drops the caller's error and cause (they are passed on), and it stops the
  program but not a task waiting for its token: the execution
  ends only when the wait's heartbeat or timeout expires (its status-change event, which
  parks its input, that late), and the wait's expiry then turns it FAILED (States.Timeout).
  Stopping now interrupts the execution's callback waits, and a stopped program stays
  stopped (a failure raised by its interrupted task no longer overrides it): ABORTED at once,
  as on AWS.
* An SQS message is visible again only once the clock has moved *past* its visibility
  deadline: on a wall clock that is a millisecond later, on the virtual clock (which stands
  still while anything can run) never, so a message given back with ChangeMessageVisibility 0
  stayed hidden. It is visible from its deadline on.
* A long poll (ReceiveMessage with WaitTimeSeconds) waits inside the request on a real
  condition until the clock passes its deadline: on a still clock, for ever, holding storage.
  It now waits on the virtual clock, storage released, and answers when a message arrives,
  one becomes visible again, or the wait has passed.
* An Express execution has no maximum duration: it now times out at 5 virtual minutes
  (TIMED_OUT, States.Timeout), whatever it waits on; DescribeExecution and ListExecutions give
  a TIMED_OUT execution its stopDate, as AWS does.
* The grammar refuses ItemBatcher, JSONL item readers and an integer
  ToleratedFailurePercentage, which AWS accepts: `asl_extensions.py` rewrites a definition
  for the parser and gives the parsed program back what it took out; items are batched here.
* There is no HTTP Task (``arn:aws:states:::http:invoke`` is an unknown service) and its error
  names (States.Http.*) fail a definition: `http_task.py` calls the endpoint with the task's
  EventBridge connection, as AWS does.
* A definite JSONPath with an index before its last name (``$.lines[0].sku``) gives a
  one-element list (moto reads any index in the path as a wildcard): it gives the node, as
  Step Functions does; paths that can select several nodes stay lists.
* Two per-request costs (the response serializer's alias lookups, the engine's JSONPath
  parses) are paid once per process: `moto_speedups.py`, which changes no answer.
* No "Step Functions Execution Status Change" event when an execution ends:
  every end is reported to the listeners registered with `on_execution_end`
  (the runtime puts the event on the default bus) in the execution's own
  thread, which the clock counts busy until the event is out.
"""

from __future__ import annotations

import contextvars
import copy
import importlib
import inspect
import json
import math
import pkgutil
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, ClassVar, cast

import boto3
import jsonata
import moto
import moto.cognitoidp.models as cognito_models
import moto.stepfunctions.urls as stepfunctions_urls
from moto import backend_index
from moto.core.models import botocore_stubber
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import unix_time_millis, utcnow
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard, Table
from moto.events.models import EventTemplateParser, Rule
from moto.sqs.models import Message, Queue, SQSBackend, sqs_backends
from moto.stepfunctions.exceptions import InvalidArn, InvalidExecutionInput, InvalidName
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
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
from moto.stepfunctions.parser.asl.eval.states import ItemData, MapData
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client as engine_boto_client
from moto.stepfunctions.parser.asl.utils import json_path as engine_json_path
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from local_runtime import (
    asl_extensions,
    clock,
    http_task,
    mock_config,
    moto_speedups,
    redrive,
    sfn_api,
    test_state,
)

PINNED_MOTO_VERSION = "5.2.5"


class UnsupportedMotoVersion(RuntimeError):
    """The patches were written against another moto; re-check each gap before moving the pin."""


class _VirtualThreading(ModuleType):
    """The `threading` module as the engine's modules see it: threads and events on the clock."""

    Thread = clock.ManagedThread
    Event = clock.VirtualEvent

    def __getattr__(self, name: str) -> Any:
        return getattr(threading, name)


def _shared_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    """The engine's client for a service: made once per boto3 default session (one per app: the
    mock gives each its own), where moto makes a new one for every task it runs (~2 ms each, a
    tenth of the engine's own time). botocore clients are safe to share between threads, and
    these are made with the same configuration as moto's (no retries, moto's timeouts).

    The cache hangs on the session, so it dies with it: a process-wide cache kept every app's
    clients, their hooks and through them every sandbox's modules alive (the suite's heap grew
    by ~100,000 objects per app, and each full collection took longer)."""
    session = boto3._get_default_session()
    clients: dict[tuple[bool, str, str], Any] = session.__dict__.setdefault(
        "_local_runtime_engine_clients", {}
    )
    key = (botocore_stubber.enabled, region, service)
    client = clients.get(key)
    if client is None:
        client = clients[key] = _originals["boto_client_for"](
            region=region, service=service, state_credentials=state_credentials
        )
    return client


_INDEFINITE_PATH = re.compile(r"\.\.|\[\s*\*\s*\]|\[\?|\[[^\]]*[,:][^\]]*\]")
"""A JSONPath that can select several nodes (a deep scan, a wildcard, a filter, a union or a
slice): its value is always a list, as Step Functions' JsonPath answers it."""


def _extract_json(path: str, data: Any) -> Any:
    """A JSONPath's value: a definite path (names and single indexes only) gives the one node it
    selects, ``$.lines[0].sku`` included, which moto turned into a one-element list because an
    index comes before the last name; an indefinite path is moto's own (always a list)."""
    if _INDEFINITE_PATH.search(path):
        return _originals["extract_json"](path, data)
    matches = engine_json_path.parse(path).find(data)
    if not matches:
        raise engine_json_path.NoSuchJsonPathError(json_path=path, data=data)
    return matches[0].value if len(matches) == 1 else [match.value for match in matches]


_VIRTUAL_THREADING = _VirtualThreading("threading")
_ENGINE_PACKAGE = "moto.stepfunctions.parser"
_REPLACEMENTS: dict[int, Any] = {
    id(threading): _VIRTUAL_THREADING,
    id(threading.Thread): clock.ManagedThread,
    id(threading.Event): clock.VirtualEvent,
    id(engine_boto_client.boto_client_for): _shared_boto_client_for,
    id(engine_json_path.extract_json): _extract_json,
}


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


def _virtualize_engine() -> list[tuple[ModuleType, str, Any]]:
    """Point each engine module's `threading` / `Thread` / `Event` at the clock's; returns what
    was replaced, so `uninstall` can put it back."""
    replaced = []
    for module in _engine_modules():
        for attribute, value in list(vars(module).items()):
            substitute = _REPLACEMENTS.get(id(value))
            if substitute is not None:
                replaced.append((module, attribute, value))
                setattr(module, attribute, substitute)
    return replaced


_parsed: dict[str, Any] = {}


def _parse_once(definition: str) -> Any:
    """The engine parses a definition (ANTLR, ~0.15 s for the saga) when it is created and again
    for every execution; the parsed program keeps no execution state (that lives in the
    execution's environment), so each definition is parsed once per process."""
    if definition not in _parsed:
        text, extensions = asl_extensions.desugar(definition)
        parsed = _originals["parse"](text)
        if extensions:
            asl_extensions.attach(parsed[0], extensions)
        _parsed[definition] = parsed
    return _parsed[definition]


def _evaluate_with_timeout(self: ExecutionState, env: Any) -> None:
    """A task waiting for its token sets CALLBACK timers: only an outside party ends that wait."""
    resource = getattr(self, "resource", None)
    if getattr(resource, "condition", None) == ResourceCondition.WaitForTaskToken:
        with clock.timer_kind(clock.CALLBACK):
            _originals["evaluate_with_timeout"](self, env)
    else:
        _originals["evaluate_with_timeout"](self, env)


ExecutionListener = Callable[[Execution], None]
_listeners: list[ExecutionListener] = []


def on_execution_end(listener: ExecutionListener) -> Callable[[], None]:
    """Call `listener(execution)` whenever an execution ends; returns a function that unregisters it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


SourceListener = Callable[[str], None]
_source_listeners: list[SourceListener] = []


def on_source_write(listener: SourceListener) -> Callable[[], None]:
    """Call `listener(source)` whenever a queue (its name) or a table's stream (the table's name)
    receives a record; returns a function that unregisters it."""
    _source_listeners.append(listener)
    return lambda: _source_listeners.remove(listener) if listener in _source_listeners else None


def _report_write(source: str) -> None:
    for listener in list(_source_listeners):
        listener(source)


_arrivals: dict[int, list[clock.VirtualEvent]] = {}


def _add_message(self: Queue, message: Any) -> None:
    _originals["add_message"](self, message)
    _report_write(self.name)
    for arrived in _arrivals.pop(id(self), []):
        arrived.set()


def _receive_message(
    self: Any,
    queue_name: str,
    count: int,
    wait_seconds_timeout: int,
    visibility_timeout: int,
    message_attribute_names: list[str] | None = None,
) -> list[Message]:
    """ReceiveMessage with WaitTimeSeconds (a long poll) on the virtual clock: it answers as soon
    as a message is there (one arriving, one becoming visible again) or when the wait has passed,
    and lets go of storage while it waits. moto polls inside the request on a real condition and
    ends when the clock passes the deadline: on a still clock, never, holding storage meanwhile."""
    receive = _originals["receive_message"]
    if not wait_seconds_timeout or not clock.CLOCK.running:
        return list(
            receive(
                self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names
            )
        )
    deadline = clock.CLOCK.timestamp() + wait_seconds_timeout
    while True:
        received = list(receive(self, queue_name, count, 0, visibility_timeout, message_attribute_names))
        now = clock.CLOCK.timestamp()
        if received or now >= deadline:
            return received
        queue = self.get_queue(queue_name)
        visible_again = [m.visible_at / 1000 for m in list(queue._messages) if not m.visible]
        wake = min([deadline, *[t for t in visible_again if t > now]])
        arrived = clock.VirtualEvent()
        waiting = _arrivals.setdefault(id(queue), [])
        waiting.append(arrived)
        try:
            arrived.wait(wake - now)
        finally:
            if arrived in waiting:
                waiting.remove(arrived)


def _with_stop_date(original: str) -> Callable[[StepFunctionResponse], Any]:
    """DescribeExecution / ListExecutions, with the stopDate of a TIMED_OUT execution (moto gives
    it only for SUCCEEDED, FAILED and ABORTED; AWS for every execution that ended)."""

    def respond(self: StepFunctionResponse) -> Any:
        answer = _originals[original](self)
        backend: Any = self.stepfunction_backend
        if not isinstance(backend, StepFunctionsParserBackend):
            return answer
        result: Any = answer.result if isinstance(answer, ActionResult) else None
        rows = [result] if original == "describe_execution" else (result or {}).get("executions", [])
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and str(row.get("status")) in ("TIMED_OUT", "ExecutionStatus.TIMED_OUT"):
                arn = row.get("executionArn")
                execution = next((x for x in backend._get_executions() if x.execution_arn == arn), None)
                if execution is not None and execution.stop_date is not None:
                    row.setdefault("stopDate", execution.stop_date)
        return answer

    return respond


def _add_stream_record(self: StreamShard, old: Any, new: Any) -> Any:
    pending: list[tuple[StreamShard, Any, Any]] | None = getattr(_transaction, "stream_records", None)
    if pending is not None:
        pending.append((self, old, new))  # a transaction's records appear when it commits
        return None
    result = _originals["add_stream_record"](self, old, new)
    _report_write(self.table.name)
    return result


_transaction = threading.local()


def _table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
    """Inside a patched transaction a table's "backup" is the table itself (the transaction keeps
    its own, narrower snapshot); anywhere else, a deep copy as before."""
    if getattr(_transaction, "active", False):
        return self
    clone = cast(Table, self.__class__.__new__(self.__class__))
    memo[id(self)] = clone
    for name, value in self.__dict__.items():
        setattr(clone, name, copy.deepcopy(value, memo))
    return clone


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """TransactWriteItems that rolls back exactly what it wrote. moto deep-copies every table it
    touches (items and the whole stream) and restores the copies on failure: a cost as big as the
    tables, and a write another request made meanwhile (a stream record appended by another
    thread) vanishes with the restore. Here the transaction snapshots only the items it names and
    restores those; its stream records are held back and appended when it commits, in order, so
    a failed transaction leaves no record and never touches another request's."""
    snapshots: list[tuple[Table, Any, Any, Any]] = []
    for entry in transact_items:
        op: dict[str, Any] = next(iter(entry.values()), {}) if isinstance(entry, dict) else {}
        table = self.tables.get(str(op.get("TableName"))) if isinstance(op, dict) else None
        if table is None:
            continue
        try:
            keys = op.get("Key") or {
                name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name
            }
            hash_key, range_key = self.get_keys_value(table, keys)
            current = table.get_item(hash_key, range_key)
        except Exception:  # noqa: BLE001 - an invalid request: the original raises the right error
            continue
        snapshots.append((table, hash_key, range_key, copy.deepcopy(current)))
    _transaction.active = True
    _transaction.stream_records = []
    try:
        _originals["transact_write_items"](self, transact_items)
    except Exception:
        for table, hash_key, range_key, before in reversed(snapshots):
            if before is None:
                (table.items[hash_key] if range_key else table.items).pop(range_key or hash_key, None)
            elif range_key:
                table.items[hash_key][range_key] = before
            else:
                table.items[hash_key] = before
        raise
    else:
        committed = _transaction.stream_records
        _transaction.stream_records = None
        for shard, old, new in committed:
            _add_stream_record(shard, old, new)
    finally:
        _transaction.active = False
        _transaction.stream_records = None


_live: dict[str, Execution] = {}
_ended: dict[str, clock.VirtualEvent] = {}
_express_limits: dict[str, clock.Timer] = {}

EXPRESS_MAX_SECONDS = 300.0
"""An Express execution's maximum duration: past it, it times out (States.Timeout)."""


def live_executions() -> list[Execution]:
    """Executions started and not yet ended (read from the engine, not through the API)."""
    return list(_live.values())


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


def _start_execution(self: Execution) -> None:
    _live[self.exec_arn] = self
    _ended[self.exec_arn] = clock.VirtualEvent()
    if is_express(self) and clock.CLOCK.running:
        _express_limits[self.exec_arn] = clock.CLOCK.call_later(
            EXPRESS_MAX_SECONDS, lambda: _express_timed_out(self), clock.ENGINE
        )
    _originals["start_execution"](self)


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
    for endpoint in list(worker.env.callback_pool_manager._pool.values()):
        endpoint.interrupt_all()


def _terminated_with_listeners(self: BaseExecutionWorkerCommunication) -> None:
    _originals["terminated"](self)
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


def _wait_for_task_token_heartbeat(
    self: Any, env: Any, callback_endpoint: Any, heartbeat_endpoint: Any
) -> Any:
    """moto's heartbeat wait, except that an answer given before the wait began is returned."""
    answered = callback_endpoint.get_outcome()
    if answered is not None:
        return answered
    return _originals["heartbeat_wait"](
        self, env=env, callback_endpoint=callback_endpoint, heartbeat_endpoint=heartbeat_endpoint
    )


_Callback = state_task_service_callback.StateTaskServiceCallback


def _send_task_failure(self: StepFunctionResponse) -> Any:
    """moto's SendTaskFailure, with the cause the caller sent."""
    backend: Any = self.stepfunction_backend
    if not isinstance(backend, StepFunctionsParserBackend):
        # moto's plain backend (a mock without execute_state_machine) has no cause to pass on
        return _originals["send_task_failure"](self)
    backend.send_task_failure(
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return EmptyResult()


def _visible_from_deadline(self: Message) -> bool:
    return bool(unix_time_millis() >= self.visible_at)


def _set_error_unless_stopped(self: Environment, error: Any) -> None:
    """moto's set_error, except that an execution stopped by StopExecution stays ABORTED."""
    if isinstance(self.program_state(), ProgramStopped):
        return
    _originals["set_error"](self, error)


def _stop_execution_response(self: StepFunctionResponse) -> Any:
    """moto's StopExecution, with the error and cause the caller gave (they name why an
    operator aborted it, in the history and in the status-change event), refused when longer
    than AWS takes them."""
    sfn_api.refuse_overlong_stop(self)
    backend: Any = self.stepfunction_backend
    if not isinstance(backend, StepFunctionsParserBackend):
        return _originals["stop_execution_response"](self)  # a mock that does not run executions
    arn = self._get_param("executionArn")
    execution = next((x for x in backend._get_executions() if x.execution_arn == arn), None)
    if execution is None:
        return _originals["stop_execution_response"](self)  # moto's own "does not exist" error
    execution.stop(
        stop_date=utcnow(), error=self._get_param("error") or "", cause=self._get_param("cause") or ""
    )
    return ActionResult({"stopDate": execution.stop_date})


def _stop_execution(self: Execution, stop_date: Any, error: str | None, cause: str | None) -> None:
    """moto's stop, then every callback wait of the execution is interrupted so it ends now."""
    _originals["stop_execution"](self, stop_date, error, cause)
    worker = getattr(self, "exec_worker", None)
    if worker is None or worker.env is None:
        return
    for endpoint in list(worker.env.callback_pool_manager._pool.values()):
        endpoint.interrupt_all()


_lock = threading.Lock()
_originals: dict[str, Any] = {}


class _CachedJwk:
    """moto's `joserfc.jwk` as its user pools use it, with the pool's RSA key built once per
    process: every pool imports the same private key from a resource file, and building it
    (~70 ms of RSA arithmetic) was a fifth of an app's start."""

    class RSAKey:
        _keys: ClassVar[dict[str, Any]] = {}

        @classmethod
        def import_key(cls, data: Any) -> Any:
            marker = json.dumps(data, sort_keys=True, default=str)
            if marker not in cls._keys:
                cls._keys[marker] = _originals["cognito_jwk"].RSAKey.import_key(data)
            return cls._keys[marker]


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
    _originals["map_run"](self, env, eval_input)
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


_starting_test_case: contextvars.ContextVar[Any] = contextvars.ContextVar("starting_test_case", default=None)


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
    base, _, case = state_machine_arn.partition("#")
    if not case:
        return _originals["backend_start_execution"](
            self, state_machine_arn, name, execution_input, trace_header
        )
    machine = self.describe_state_machine(base)
    try:
        test_case = mock_config.test_case_for(machine.name, case, machine.definition)
    except mock_config.MockConfigError as error:
        raise InvalidName(str(error)) from error
    token = _starting_test_case.set(test_case)
    try:
        return _originals["backend_start_execution"](self, base, name, execution_input, trace_header)
    finally:
        _starting_test_case.reset(token)


_starting_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "starting_context", default=None
)
"""A Context object to start the next execution with (TestState's ``context``): merged over the
one the engine builds, so ``$$`` reads what the caller gave (the engine still sets
``$$.State`` and ``$$.Task`` as each state runs, and ``$$.Map`` inside a Map)."""


def _merged(base: dict[str, Any], given: dict[str, Any]) -> None:
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merged(base[key], value)
        else:
            base[key] = value


def _execution_worker_with_test_case(self: Execution) -> Any:
    worker = _originals["execution_worker"](self)
    test_case = _starting_test_case.get()
    if test_case is not None:
        worker._mock_test_case = test_case  # read when the worker builds its environment
    given = _starting_context.get()
    if given:
        build = worker._get_evaluation_environment

        def with_context() -> Any:
            env = build()
            _merged(env.states.context_object.context_object_data, given)
            return env

        worker._get_evaluation_environment = with_context
    return worker


def _eval_batched_input(self: Any, env_frame: Environment) -> None:
    """A batched child's input (ItemBatcher): the ItemSelector (or Parameters) shapes each item of
    the batch, with ``$$.Map.Item`` that item, and the child receives ``{"Items": [...],
    "BatchInput": ...}``. Any other child's input is moto's."""
    context: Any = env_frame.states.context_object.context_object_data
    batch = ((context.get("Map") or {}).get("Item") or {}).get("Value")
    if not isinstance(batch, asl_extensions.ItemBatch):
        _originals["eval_item_input"](self, env_frame)
        return
    shaped = []
    depth = len(env_frame.stack)
    for offset, item in enumerate(batch):
        context["Map"] = MapData(Item=ItemData(Index=batch.first_index + offset, Value=item))
        if self._parameters or self._item_selector:
            _originals["eval_item_input"](self, env_frame)
            shaped.append(env_frame.states.get_input())
            del env_frame.stack[depth:]
        else:
            shaped.append(item)
    document = asl_extensions.batch_document(shaped, batch.batch_input)
    context["Map"] = MapData(Item=ItemData(Index=batch.first_index, Value=document))
    if self._parameters or self._item_selector:
        env_frame.stack.append(document)
    env_frame.states.reset(input_value=document)


def _dynamodb_error_keeping_mocked_failures(self: Any, env: Environment, ex: Exception) -> Any:
    """A mocked Throw on an optimized DynamoDB task keeps its error name (as for every other
    integration); moto's DynamoDB integration renamed it DynamoDB.AmazonDynamoDBException."""
    if isinstance(ex, FailureEventException):
        return ex.failure_event
    return _originals["dynamodb_from_error"](self, env, ex)


def _mocked_throw(env: Environment, mocked_response: Any) -> None:
    """A mocked Throw: a States error by its enum (matched as Step Functions matches it), any
    other name as moto throws it."""
    if not str(mocked_response.error).startswith("States."):
        _originals["mocked_throw"](env, mocked_response)
        return
    try:
        error_name = StatesErrorName.from_name(mocked_response.error)
    except ValueError:
        _originals["mocked_throw"](env, mocked_response)  # an unknown States. name: moto's refusal
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


def _eval_jsonata(expression: str) -> Any:
    """What moto's JVM bridge answered: the expression's value as JSON data (None when undefined),
    any failure a JSONataException the engine turns into States.QueryEvaluationError."""
    try:
        value = jsonata.Jsonata(expression).evaluate(None)
        return json.loads(json.dumps(value))
    except Exception as error:
        raise moto_jsonata.JSONataException("UNKNOWN", str(error)) from error


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
    the Express limit times out as every Express execution does (`_express_timed_out`)."""
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
        "stopDate": execution.stop_date or utcnow(),
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
    _live[execution.exec_arn] = execution
    try:
        redrive_date = redrive.redrive(execution)
    except redrive.ExecutionNotRedrivable:
        _live.pop(execution.exec_arn, None)
        raise
    return ActionResult({"redriveDate": redrive_date})


_EVENT_AS_DELIVERED = (
    '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>",'
    ' "account": "<account>", "time": <time>, "region": "<region>", "resources": <resources>,'
    ' "detail": <detail>}'
)
"""The whole event EventBridge delivers to a target with no input of its own. moto's default
template leaves out ``account``, which every event AWS delivers carries (and which a consumer
reading the event with Powertools' EventBridgeModel requires)."""


def _install_later_patches() -> None:
    """The user pool key, Distributed Map failures, mock test cases, the APIs moto lacks and the
    speedups (under the install lock)."""
    _originals["cognito_jwk"] = cognito_models.jwk
    cognito_models.jwk = _CachedJwk  # type: ignore[assignment]
    _originals["event_template"] = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = _EVENT_AS_DELIVERED
    component = distributed_map.DistributedIterationComponent
    _originals["map_run"] = component._map_run
    component._map_run = _map_run_within_tolerance  # type: ignore[method-assign]
    _originals["eval_item_input"] = InlineItemProcessorWorker._eval_input
    InlineItemProcessorWorker._eval_input = _eval_batched_input  # type: ignore[method-assign]
    _originals["backend_start_execution"] = StepFunctionsParserBackend.start_execution
    StepFunctionsParserBackend.start_execution = _start_execution_with_test_case  # type: ignore[method-assign,assignment]
    _originals["execution_worker"] = Execution._get_start_execution_worker
    Execution._get_start_execution_worker = _execution_worker_with_test_case  # type: ignore[method-assign]
    StepFunctionResponse.test_state = _test_state_response  # type: ignore[attr-defined]
    StepFunctionResponse.start_sync_execution = _start_sync_execution_response  # type: ignore[attr-defined]
    StepFunctionResponse.redrive_execution = _redrive_execution_response  # type: ignore[attr-defined]
    _originals["dynamodb_from_error"] = dynamodb_task.StateTaskServiceDynamoDB._from_error
    dynamodb_task.StateTaskServiceDynamoDB._from_error = _dynamodb_error_keeping_mocked_failures  # type: ignore[method-assign]
    # TestState and StartSyncExecution go to the `sync-states` host (the API's host prefix)
    backend_index.backend_url_patterns.append(("stepfunctions", re.compile(_SYNC_HOST)))
    stepfunctions_urls.url_bases.append(_SYNC_HOST)
    sfn_api.install()  # wraps list_executions as patched above: removed first by uninstall
    moto_speedups.install()
    http_task.install()


def _uninstall_later_patches() -> None:
    cognito_models.jwk = _originals["cognito_jwk"]
    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = _originals["event_template"]
    distributed_map.DistributedIterationComponent._map_run = _originals["map_run"]  # type: ignore[method-assign]
    InlineItemProcessorWorker._eval_input = _originals["eval_item_input"]  # type: ignore[method-assign]
    StepFunctionsParserBackend.start_execution = _originals["backend_start_execution"]  # type: ignore[method-assign]
    Execution._get_start_execution_worker = _originals["execution_worker"]  # type: ignore[method-assign]
    del StepFunctionResponse.test_state  # type: ignore[attr-defined]
    del StepFunctionResponse.start_sync_execution  # type: ignore[attr-defined]
    del StepFunctionResponse.redrive_execution  # type: ignore[attr-defined]
    dynamodb_task.StateTaskServiceDynamoDB._from_error = _originals["dynamodb_from_error"]  # type: ignore[method-assign]
    backend_index.backend_url_patterns.remove(("stepfunctions", re.compile(_SYNC_HOST)))
    stepfunctions_urls.url_bases.remove(_SYNC_HOST)


def _install_evaluators() -> None:
    """JSONata's evaluator, and mocked Throws of States errors (JSONPath's evaluation is replaced
    in every engine module with the threads, `_REPLACEMENTS`)."""
    _originals["extract_json"] = engine_json_path.extract_json
    moto_jsonata._eval_jsonata = _eval_jsonata
    _originals["mocked_throw"] = mock_eval_utils._eval_mocked_response_throw
    mock_eval_utils._eval_mocked_response_throw = _mocked_throw


def _uninstall_evaluators() -> None:
    moto_jsonata._eval_jsonata = None
    mock_eval_utils._eval_mocked_response_throw = _originals["mocked_throw"]


def install() -> None:
    """Apply every patch (idempotent)."""
    if moto.__version__ != PINNED_MOTO_VERSION:
        raise UnsupportedMotoVersion(
            f"local_runtime patches target moto {PINNED_MOTO_VERSION}, found {moto.__version__}"
        )
    with _lock:
        if _originals:
            return
        _originals["boto_client_for"] = engine_boto_client.boto_client_for
        _install_evaluators()
        overrides = state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES
        _originals["boto_overrides"] = dict(overrides)
        overrides["eventbridge"] = "events"  # type: ignore[index]
        overrides["cognitoidentityprovider"] = "cognito-idp"  # type: ignore[index]
        error_names = state_task_service_aws_sdk._SERVICE_ERROR_NAMES
        _originals["error_names"] = dict(error_names)
        error_names["eventbridge"] = "EventBridge"
        error_names["cognitoidentityprovider"] = "CognitoIdentityProvider"
        _originals["virtualized"] = _virtualize_engine()
        _originals["parse"] = AmazonStateLanguageParser.parse
        AmazonStateLanguageParser.parse = staticmethod(_parse_once)  # type: ignore[method-assign,assignment]
        _originals["evaluate_with_timeout"] = ExecutionState._evaluate_with_timeout
        ExecutionState._evaluate_with_timeout = _evaluate_with_timeout  # type: ignore[method-assign]
        _originals["send_to_targets"] = Rule.send_to_targets
        Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign,assignment]
        _originals["transact_write_items"] = DynamoDBBackend.transact_write_items
        DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
        Table.__deepcopy__ = _table_deepcopy  # type: ignore[attr-defined]
        _originals["add_message"] = Queue.add_message
        Queue.add_message = _add_message  # type: ignore[method-assign]
        _originals["receive_message"] = SQSBackend.receive_message
        SQSBackend.receive_message = _receive_message  # type: ignore[method-assign]
        for operation in ("describe_execution", "list_executions"):
            _originals[operation] = getattr(StepFunctionResponse, operation)
            setattr(StepFunctionResponse, operation, _with_stop_date(operation))
        _originals["add_stream_record"] = StreamShard.add
        StreamShard.add = _add_stream_record  # type: ignore[method-assign]
        _originals["start_execution"] = Execution.start
        Execution.start = _start_execution  # type: ignore[method-assign]
        _originals["send_task_failure"] = StepFunctionResponse.send_task_failure
        StepFunctionResponse.send_task_failure = _send_task_failure  # type: ignore[method-assign]
        _originals["stop_execution_response"] = StepFunctionResponse.stop_execution
        StepFunctionResponse.stop_execution = _stop_execution_response  # type: ignore[method-assign]
        _originals["stop_execution"] = Execution.stop
        Execution.stop = _stop_execution  # type: ignore[method-assign]
        _originals["message_visible"] = Message.visible
        Message.visible = property(_visible_from_deadline)  # type: ignore[method-assign,assignment]
        _originals["set_error"] = Environment.set_error
        Environment.set_error = _set_error_unless_stopped  # type: ignore[method-assign]
        _originals["heartbeat_wait"] = _Callback._wait_for_task_token_heartbeat
        _Callback._wait_for_task_token_heartbeat = _wait_for_task_token_heartbeat  # type: ignore[method-assign]
        _originals["terminated"] = BaseExecutionWorkerCommunication.terminated
        BaseExecutionWorkerCommunication.terminated = _terminated_with_listeners  # type: ignore[method-assign]
        _install_later_patches()


def _switches() -> dict[str, tuple[Any, str]]:
    """The patches that replace one attribute of moto, by their key: what `without` restores."""
    return {
        "send_task_failure": (StepFunctionResponse, "send_task_failure"),
        "stop_execution_response": (StepFunctionResponse, "stop_execution"),
        "set_error": (Environment, "set_error"),
        "send_to_targets": (Rule, "send_to_targets"),
        "event_template": (EventTemplateParser, "DEFAULT_EVENT_INPUT_TEMPLATE"),
        "dynamodb_from_error": (dynamodb_task.StateTaskServiceDynamoDB, "_from_error"),
        "mocked_throw": (mock_eval_utils, "_eval_mocked_response_throw"),
    }


def switchable() -> frozenset[str]:
    """The keys of the patches `without` can switch off one at a time."""
    return frozenset(_switches())


@contextmanager
def without(key: str) -> Iterator[None]:
    """Moto as shipped for one patch, every other patch still on (a gap test of a patch that the
    clock or the storage lock depend on cannot uninstall them all)."""
    owner, attribute = _switches()[key]
    with _lock:
        patched = inspect.getattr_static(owner, attribute)
        setattr(owner, attribute, _originals[key])
    try:
        yield
    finally:
        with _lock:
            setattr(owner, attribute, patched)


def uninstall() -> None:
    """Restore moto as shipped (used by the tests that prove each patch is needed)."""
    with _lock:
        if not _originals:
            return
        sfn_api.uninstall()
        moto_speedups.uninstall()
        http_task.uninstall()
        _uninstall_evaluators()
        overrides = state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES
        overrides.clear()  # type: ignore[attr-defined]
        overrides.update(_originals["boto_overrides"])  # type: ignore[attr-defined]
        error_names = state_task_service_aws_sdk._SERVICE_ERROR_NAMES
        error_names.clear()
        error_names.update(_originals["error_names"])
        for module, attribute, value in _originals["virtualized"]:
            setattr(module, attribute, value)
        ExecutionState._evaluate_with_timeout = _originals["evaluate_with_timeout"]  # type: ignore[method-assign]
        AmazonStateLanguageParser.parse = staticmethod(_originals["parse"])  # type: ignore[method-assign]
        _parsed.clear()
        BaseExecutionWorkerCommunication.terminated = _originals["terminated"]  # type: ignore[method-assign]
        Queue.add_message = _originals["add_message"]  # type: ignore[method-assign]
        SQSBackend.receive_message = _originals["receive_message"]  # type: ignore[method-assign]
        for operation in ("describe_execution", "list_executions"):
            setattr(StepFunctionResponse, operation, _originals[operation])
        DynamoDBBackend.transact_write_items = _originals["transact_write_items"]  # type: ignore[method-assign]
        del Table.__deepcopy__  # type: ignore[attr-defined]
        StreamShard.add = _originals["add_stream_record"]  # type: ignore[method-assign]
        Execution.start = _originals["start_execution"]  # type: ignore[method-assign]
        _Callback._wait_for_task_token_heartbeat = _originals["heartbeat_wait"]  # type: ignore[method-assign]
        StepFunctionResponse.send_task_failure = _originals["send_task_failure"]  # type: ignore[method-assign]
        Execution.stop = _originals["stop_execution"]  # type: ignore[method-assign]
        _uninstall_later_patches()
        StepFunctionResponse.stop_execution = _originals["stop_execution_response"]  # type: ignore[method-assign]
        Environment.set_error = _originals["set_error"]  # type: ignore[method-assign]
        Message.visible = _originals["message_visible"]  # type: ignore[method-assign]
        Rule.send_to_targets = _originals["send_to_targets"]  # type: ignore[method-assign]
        _originals.clear()
