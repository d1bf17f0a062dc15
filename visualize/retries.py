"""Each task's retry and catch policy as a Markdown table, generated from `asl/`.

The README's "Retries" section holds one table per state machine between markers; `make
diagrams` rewrites them with the diagrams, and a test fails when one differs from its ASL file.
So what an operator reads about retries is what the definitions do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_TRANSIENT_LAMBDA = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)


def _tasks(states: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        if state["Type"] == "Task":
            yield prefix + name, state
        nested = state.get("ItemProcessor") or state.get("Iterator")
        if nested:
            yield from _tasks(nested["States"], f"{prefix}{name} / ")
        for index, branch in enumerate(state.get("Branches", [])):
            yield from _tasks(branch["States"], f"{prefix}{name}[{index}] / ")


def _errors(names: list[str]) -> str:
    """An ErrorEquals list, Lambda's four transient errors written once as `Lambda.*transient`."""
    shown = list(names)
    if all(error in shown for error in _TRANSIENT_LAMBDA):
        first = shown.index(_TRANSIENT_LAMBDA[0])
        shown = [e for e in shown if e not in _TRANSIENT_LAMBDA]
        shown.insert(first, "Lambda.\\*transient")
    return ", ".join(f"`{e}`" if not e.startswith("Lambda.\\*") else e for e in shown)


def _retrier(retrier: dict[str, Any]) -> str:
    attempts = int(retrier.get("MaxAttempts", 3))
    if attempts == 0:
        return f"{_errors(retrier['ErrorEquals'])}: never"
    interval = retrier.get("IntervalSeconds", 1)
    backoff = retrier.get("BackoffRate", 2.0)
    details = [f"{attempts}x", f"{interval} s x{backoff:g}"]
    if "MaxDelaySeconds" in retrier:
        details.append(f"max {retrier['MaxDelaySeconds']} s")
    if retrier.get("JitterStrategy") == "FULL":
        details.append("full jitter")
    return f"{_errors(retrier['ErrorEquals'])}: {', '.join(details)}"


def _catcher(catcher: dict[str, Any]) -> str:
    return f"{_errors(catcher['ErrorEquals'])} → {catcher['Next']}"


def retry_table(definition: dict[str, Any]) -> str:
    """One row per Task: what it retries (how often, with what backoff) and what it catches."""
    rows = ["| task | retries | catches |", "|---|---|---|"]
    for name, state in _tasks(definition["States"]):
        retries = "<br>".join(_retrier(r) for r in state.get("Retry", [])) or "-"
        catches = "<br>".join(_catcher(c) for c in state.get("Catch", [])) or "-"
        rows.append(f"| {name} | {retries} | {catches} |")
    return "\n".join(rows)
