"""ValidateStateMachineDefinition, locally: AWS's diagnostics for a definition, without running it.

moto does not implement the operation (the served endpoint answered HTTP 500 after the CLI's
retries). AWS answers ``result`` OK or FAIL with diagnostics, each a severity, a code from its
documented list, a message and, where it applies, a JSON Pointer ``location``. This module
checks what those codes name, in every scope (the top level, each Parallel branch, each Map's
item processor):

- ``MISSING_DESCRIPTION``: no definition; ``INVALID_JSON_DESCRIPTION``: not JSON;
- ``DUPLICATE_STATE_NAME``: a state name twice in one ``States`` (JSON allows it, AWS does not);
- ``SCHEMA_VALIDATION_FAILED``: ``StartAt``/``States`` missing, a state without a known ``Type``,
  a Task without ``Resource``, a state that neither ends nor goes on (or does both), a Choice
  without ``Choices``, and anything the engine's own grammar refuses;
- ``MISSING_TRANSITION_TARGET``: ``StartAt``, ``Next``, ``Default``, a choice's or a catcher's
  ``Next`` naming no state of its scope;
- ``MISSING_END_STATE``: a scope with no terminal state; ``INVALID_STATE_NAME``: a name over 80
  characters or with control characters;
- warnings ``NO_DOLLAR`` (a path or intrinsic as a plain value) and ``PASS_RESULT_IS_STATIC``.

As AWS advises, only ``result`` is a contract; codes and wording may differ from AWS's own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

STATE_TYPES = ("Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
_TERMINAL_TYPES = ("Succeed", "Fail")
_NEEDS_NEXT_OR_END = ("Task", "Pass", "Wait", "Parallel", "Map")
_MAX_NAME = 80
_LOOKS_DYNAMIC = re.compile(r"^(\$\.|\$\$\.|\$\[|States\.[A-Za-z]+\()")
_DATA_FIELDS = ("Parameters", "Arguments", "ResultSelector", "ItemSelector")


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    code: str
    message: str
    location: str | None = None

    def as_api(self) -> dict[str, str]:
        answer = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location is not None:
            answer["location"] = self.location
        return answer


class _Object(dict[str, Any]):
    """A JSON object that remembers a key it was given twice (JSON keeps the last; AWS refuses a
    state name given twice)."""

    duplicate: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    document = _Object(pairs)
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            document.duplicate = name
            break
        seen.add(name)
    return document


def diagnose(definition: str | None, *, parse: Callable[[str], Any] | None = None) -> list[Diagnostic]:
    """Every diagnostic of a definition (errors and warnings, in document order); ``parse`` is the
    engine's own parser, run when nothing else is wrong."""
    if definition is None or not definition.strip():
        return [Diagnostic("ERROR", "MISSING_DESCRIPTION", "The definition is empty.")]
    try:
        document = json.loads(definition, object_pairs_hook=_object)
    except ValueError as error:
        return [Diagnostic("ERROR", "INVALID_JSON_DESCRIPTION", f"Invalid JSON: {error}")]
    found = list(_scope(document, ""))
    if parse is not None and not any(d.severity == "ERROR" for d in found):
        try:
            parse(definition)
        except Exception as error:  # noqa: BLE001 - whatever the grammar refuses, said as AWS says it
            found.append(Diagnostic("ERROR", "SCHEMA_VALIDATION_FAILED", f"Invalid definition: {error}"))
    return found


def _scope(document: Any, at: str) -> Iterator[Diagnostic]:
    if not isinstance(document, dict):
        yield Diagnostic(
            "ERROR", "SCHEMA_VALIDATION_FAILED", "A state machine must be a JSON object.", at or "/"
        )
        return
    states = document.get("States")
    if not isinstance(states, dict) or not states:
        yield Diagnostic(
            "ERROR", "SCHEMA_VALIDATION_FAILED", "'States' must be a non-empty object.", f"{at}/States"
        )
        return
    if isinstance(states, _Object) and states.duplicate is not None:
        message = f"State name '{states.duplicate}' appears more than once."
        yield Diagnostic(
            "ERROR", "DUPLICATE_STATE_NAME", message, f"{at}/States/{_pointer(states.duplicate)}"
        )
    start = document.get("StartAt")
    if not isinstance(start, str):
        yield Diagnostic("ERROR", "SCHEMA_VALIDATION_FAILED", "'StartAt' is required.", f"{at}/StartAt")
    elif start not in states:
        yield Diagnostic(
            "ERROR", "MISSING_TRANSITION_TARGET", f"Missing 'StartAt' target: {start}", f"{at}/StartAt"
        )
    terminal = False
    for name, state in states.items():
        where = f"{at}/States/{_pointer(name)}"
        if len(name) > _MAX_NAME or any(ord(c) < 0x20 for c in name):
            yield Diagnostic(
                "ERROR", "INVALID_STATE_NAME", f"State name '{name[:_MAX_NAME]}' is invalid.", where
            )
        if not isinstance(state, dict) or state.get("Type") not in STATE_TYPES:
            yield Diagnostic(
                "ERROR", "SCHEMA_VALIDATION_FAILED", f"State '{name}' has no valid 'Type'.", where
            )
            continue
        terminal |= state["Type"] in _TERMINAL_TYPES or state.get("End") is True
        yield from _state(name, state, states, where)
    if not terminal:
        yield Diagnostic("ERROR", "MISSING_END_STATE", "The workflow has no terminal state.", at or "/")


def _state(name: str, state: dict[str, Any], states: dict[str, Any], where: str) -> Iterator[Diagnostic]:
    kind = state["Type"]
    if kind == "Task" and not isinstance(state.get("Resource"), str):
        yield Diagnostic("ERROR", "SCHEMA_VALIDATION_FAILED", f"Task '{name}' needs a 'Resource'.", where)
    if kind in _NEEDS_NEXT_OR_END:
        ends, goes_on = state.get("End") is True, "Next" in state
        if ends == goes_on:
            message = f"State '{name}' must have exactly one of 'Next' and 'End: true'."
            yield Diagnostic("ERROR", "SCHEMA_VALIDATION_FAILED", message, where)
    if kind == "Choice" and not (isinstance(state.get("Choices"), list) and state["Choices"]):
        yield Diagnostic("ERROR", "SCHEMA_VALIDATION_FAILED", f"Choice '{name}' needs 'Choices'.", where)
    for target, location in _targets(state, where):
        if target not in states:
            yield Diagnostic(
                "ERROR", "MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {target}", location
            )
    for index, branch in enumerate(state.get("Branches") or [] if kind == "Parallel" else []):
        yield from _scope(branch, f"{where}/Branches/{index}")
    if kind == "Map":
        field = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
        yield from _scope(state.get(field), f"{where}/{field}")
    if kind == "Pass" and isinstance(state.get("Result"), str) and _LOOKS_DYNAMIC.match(state["Result"]):
        message = f"Pass '{name}' returns its 'Result' as written: a path there is not evaluated."
        yield Diagnostic("WARNING", "PASS_RESULT_IS_STATIC", message, f"{where}/Result")
    for field in _DATA_FIELDS:
        yield from _no_dollar(state.get(field), f"{where}/{field}")


def _targets(state: dict[str, Any], where: str) -> Iterator[tuple[Any, str]]:
    if "Next" in state:
        yield state["Next"], f"{where}/Next"
    if "Default" in state:
        yield state["Default"], f"{where}/Default"
    for index, choice in enumerate(state.get("Choices") or []):
        if isinstance(choice, dict) and "Next" in choice:
            yield choice["Next"], f"{where}/Choices/{index}/Next"
    for index, catcher in enumerate(state.get("Catch") or []):
        if isinstance(catcher, dict) and "Next" in catcher:
            yield catcher["Next"], f"{where}/Catch/{index}/Next"


def _no_dollar(value: Any, where: str) -> Iterator[Diagnostic]:
    if isinstance(value, dict):
        for key, item in value.items():
            location = f"{where}/{_pointer(key)}"
            if isinstance(item, str) and not key.endswith(".$") and _LOOKS_DYNAMIC.match(item):
                message = f"'{key}' looks like a path or an intrinsic function but is not named '{key}.$'."
                yield Diagnostic("WARNING", "NO_DOLLAR", message, location)
            else:
                yield from _no_dollar(item, location)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _no_dollar(item, f"{where}/{index}")


def _pointer(name: str) -> str:
    """A JSON Pointer reference token (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")
