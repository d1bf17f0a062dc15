"""RedriveExecution, which moto's engine lacks: a Standard execution that FAILED, TIMED_OUT or was
ABORTED runs again from the state it did not get through, with that state's input, under the
same execution ARN; its history goes on (an ExecutionRedriven event, then the new steps) and its
redrive count grows. What completed before is not run again, as on AWS.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from moto.core.exceptions import AWSError
from moto.stepfunctions.parser.api import ExecutionStatus, HistoryEventType
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

REDRIVABLE = ("FAILED", "TIMED_OUT", "ABORTED")


class ExecutionNotRedrivable(AWSError):
    TYPE = "ExecutionNotRedrivable"
    STATUS = 400


def _status(execution: Any) -> str:
    return str(getattr(execution.exec_status, "value", execution.exec_status))


def restart_point(execution: Any) -> tuple[str, Any]:
    """The top-level state the execution did not get through, and the input it had."""
    definition = json.loads(execution.state_machine.definition)
    top_level = set(definition["States"])
    entered: dict[str, Any] = {}
    for event in execution.exec_worker.env.event_manager.get_event_history():
        details = event.get("stateEnteredEventDetails")
        if details and details.get("name") in top_level:
            entered = {"name": details["name"], "input": details.get("input")}
        exited = event.get("stateExitedEventDetails")
        if exited and entered and exited.get("name") == entered.get("name"):
            entered = {}
    if not entered:
        raise ExecutionNotRedrivable(f"Execution {execution.exec_arn} has no state to redrive from")
    raw = entered["input"]
    return entered["name"], json.loads(raw) if isinstance(raw, str) else raw


class _RedriveWorker(ExecutionWorker):
    """Runs the definition from the restart state, after the events of the earlier runs."""

    def __init__(
        self, *args: Any, previous: list[Any], state_input: Any, redrive_count: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._previous = previous
        self._state_input = state_input
        self._redrive_count = redrive_count

    def _execution_logic(self) -> None:
        program = self._get_evaluation_entrypoint()
        self.env = self._get_evaluation_environment()
        manager = self.env.event_manager
        manager._history_event_list.extend(copy.deepcopy(self._previous))
        manager._event_id_gen._next_id = len(self._previous) + 1
        manager.add_event(
            context=self.env.event_history_context,
            event_type=HistoryEventType.ExecutionRedriven,
            event_details=EventDetails(executionRedrivenEventDetails={"redriveCount": self._redrive_count}),  # type: ignore[typeddict-item]
            update_source_event_id=False,
        )
        self.env.states.reset(input_value=self._state_input)
        program.eval(self.env)
        self._execution_communication.terminated()


def redrive(execution: Any) -> datetime:
    """Redrive ``execution`` (moto's parser Execution); the redrive date."""
    if (
        str(execution.sm_type) not in ("STANDARD", "StateMachineType.STANDARD")
        and "STANDARD" not in str(getattr(execution.state_machine, "type", "STANDARD")).upper()
    ):
        raise ExecutionNotRedrivable("Only Standard executions can be redriven")
    if _status(execution) not in REDRIVABLE:
        raise ExecutionNotRedrivable(
            f"Execution {execution.exec_arn} is {_status(execution)}: nothing to redrive"
        )
    state_name, state_input = restart_point(execution)
    previous = execution.exec_worker.env.event_manager.get_event_history()
    definition = json.loads(execution.state_machine.definition)
    definition["StartAt"] = state_name
    redriven = copy.copy(execution.state_machine)
    redriven.definition = json.dumps(definition)
    count = int(getattr(execution, "redrive_count", 0)) + 1
    original = execution.state_machine
    execution.state_machine = redriven
    try:
        details = execution._get_start_execution_worker()
    finally:
        execution.state_machine = original
    worker = _RedriveWorker(
        evaluation_details=details._evaluation_details,
        exec_comm=execution._get_start_execution_worker_comm(),
        cloud_watch_logging_session=None,
        activity_store=execution._activity_store,
        previous=previous,
        state_input=state_input,
        redrive_count=count,
    )
    execution.redrive_count = count
    execution.redrive_date = datetime.now(UTC)
    execution.stop_date = None
    execution.output = None
    execution.error = None
    execution.cause = None
    execution.exec_worker = worker
    execution.exec_status = ExecutionStatus.RUNNING
    worker.start()
    return execution.redrive_date
