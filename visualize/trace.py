"""An execution's history as a readable trace: the states entered, how long each took (on the
clock the execution ran on: virtual time locally, wall time on AWS), the retries, the errors
caught and where they went, and which states are on a failure path (reached only through a
Catch: compensations, parking, alerts).

    python -m visualize.trace EXECUTION_ARN [--endpoint-url URL] [--region REGION]

It reads the history with the Step Functions API (GetExecutionHistory, DescribeExecution,
DescribeStateMachine), so it works against AWS or any endpoint that answers them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

_FAILURE_EVENTS = {"TaskFailed", "LambdaFunctionFailed", "TaskTimedOut", "LambdaFunctionTimedOut"}
_ATTEMPT_EVENTS = {"TaskScheduled", "LambdaFunctionScheduled"}
_END_EVENTS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionAborted": "ABORTED",
    "ExecutionTimedOut": "TIMED_OUT",
}


def _successors(state: Mapping[str, Any]) -> list[str]:
    """Where a state goes on without failing: Next, Default and its Choices' Next."""
    targets = [state.get("Next"), state.get("Default"), *(c.get("Next") for c in state.get("Choices", []))]
    return [t for t in targets if t]


def _failure_path_of(states: Mapping[str, Any], start_at: str) -> set[str]:
    """One scope's failure path. The happy path is what StartAt reaches by Next, Default and
    Choices without entering a Catch's target; the rest is the failure path, and so is a state
    whose every way on leads into it (a Choice's default that names what was wrong)."""
    caught = {c["Next"] for state in states.values() for c in state.get("Catch", [])} - {start_at}
    normal: set[str] = set()
    pending = [start_at]
    while pending:
        name = pending.pop()
        if name not in normal:
            normal.add(name)
            pending += [t for t in _successors(states[name]) if t not in caught]
    failing = set(states) - normal
    grew = True
    while grew:
        joining = {
            name
            for name in normal - failing
            if _successors(states[name]) and set(_successors(states[name])) <= failing
        }
        failing |= joining
        grew = bool(joining)
    return failing


def failure_path_states(definition: Mapping[str, Any]) -> set[str]:
    """States that are the failure path: reached through a Catch, or leading only into one
    (nested Map/Parallel states included, each scope on its own)."""
    failing = _failure_path_of(definition["States"], definition["StartAt"])
    for state in definition["States"].values():
        for nested in [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]:
            if nested:
                failing |= failure_path_states(nested)
    return failing


@dataclass
class _Step:
    name: str
    kind: str
    entered: datetime
    exited: datetime | None = None
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    waited_for_token: bool = False
    last_failed: bool = False


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    return next((value for key, value in event.items() if key.endswith("EventDetails")), {})


def _steps(
    history: Iterable[Mapping[str, Any]],
) -> tuple[list[_Step], datetime | None, tuple[str, str | None] | None]:
    steps: list[_Step] = []
    open_steps: dict[str, _Step] = {}
    started: datetime | None = None
    ended: tuple[str, str | None] | None = None
    for event in history:
        kind: str = event["type"]
        details = _details(event)
        if kind == "ExecutionStarted":
            started = event["timestamp"]
        elif kind.endswith("StateEntered"):
            step = _Step(
                name=details["name"], kind=kind.removesuffix("StateEntered"), entered=event["timestamp"]
            )
            steps.append(step)
            open_steps[step.name] = step
        elif kind.endswith("StateExited"):
            name = str(details.get("name", ""))
            if name in open_steps:
                open_steps.pop(name).exited = event["timestamp"]
        elif kind in _ATTEMPT_EVENTS and steps:
            steps[-1].attempts += 1
            steps[-1].last_failed = False
        elif kind == "TaskSubmitted" and steps:
            steps[-1].waited_for_token = "waitForTaskToken" in str(details.get("resource", ""))
        elif kind in _FAILURE_EVENTS and steps:
            steps[-1].errors.append(
                str(details.get("error") or ("States.Timeout" if "TimedOut" in kind else "error"))
            )
            steps[-1].last_failed = True
        elif kind in _END_EVENTS:
            ended = (_END_EVENTS[kind], details.get("error"))
    return steps, started, ended


def trace_lines(
    history: Sequence[Mapping[str, Any]],
    definition: Mapping[str, Any] | None = None,
    title: str = "execution",
) -> list[str]:
    """The trace of one execution's history (oldest event first)."""
    steps, started, ended = _steps(history)
    failure_path = failure_path_states(definition) if definition else set()
    origin = started or (steps[0].entered if steps else None)
    lines: list[str] = []
    for index, step in enumerate(steps):
        offset = (step.entered - origin).total_seconds() if origin else 0.0
        took = f"{(step.exited - step.entered).total_seconds():.3f}s" if step.exited else "(running)"
        marker = "↩ " if step.name in failure_path else "  "
        notes: list[str] = []
        if step.kind not in ("Task", "Map", "Parallel"):
            notes.append(step.kind.lower())
        if step.waited_for_token:
            notes.append("waited for its task token")
        retried = step.errors[:-1] if step.last_failed else step.errors
        if retried:
            notes.append(f"retried {len(retried)}x after {', '.join(sorted(set(retried)))}")
        if step.last_failed and step.errors:
            following = steps[index + 1].name if index + 1 < len(steps) else None
            notes.append(
                f"✗ {step.errors[-1]}, caught -> {following}" if following else f"✗ {step.errors[-1]}"
            )
        at = f"+{offset:.3f}s"
        suffix = f"  [{'; '.join(notes)}]" if notes else ""
        lines.append(f"  {at:>11} {took:>10}  {marker}{step.name}{suffix}")
    if ended is not None:
        status, error = ended
        total = (history[-1]["timestamp"] - origin).total_seconds() if origin else 0.0
        lines.append(f"  {status}" + (f" ({error})" if error else "") + f" after {total:.3f}s")
    else:
        lines.append("  RUNNING")
    return [title, *lines]


def fetch(client: Any, execution_arn: str) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """History, definition and a title for an execution, read through the Step Functions API."""
    pages = client.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    history = [event for page in pages for event in page["events"]]
    described = client.describe_execution(executionArn=execution_arn)
    machine = client.describe_state_machine(stateMachineArn=described["stateMachineArn"])
    title = f"{machine['name']} / {described['name']}: {described['status']}"
    return history, json.loads(machine["definition"]), title


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a Step Functions execution as a readable trace.")
    parser.add_argument("execution_arn")
    parser.add_argument("--endpoint-url", help="a local endpoint instead of AWS")
    parser.add_argument("--region", help="the execution's region (default: from the ARN)")
    args = parser.parse_args(argv)
    parts = args.execution_arn.split(":")
    if len(parts) < 8 or parts[2] != "states" or parts[5] != "execution":
        print(f"not an execution ARN: {args.execution_arn}", file=sys.stderr)
        return 2
    client = boto3.client(
        "stepfunctions", region_name=args.region or parts[3], endpoint_url=args.endpoint_url
    )
    try:
        history, definition, title = fetch(client, args.execution_arn)
    except (ClientError, BotoCoreError) as error:
        print(f"cannot read {args.execution_arn}: {error}", file=sys.stderr)
        return 1
    print("\n".join(trace_lines(history, definition, title)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
