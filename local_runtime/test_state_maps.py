"""TestState of a Map or a Parallel state: with a mock, as AWS tests them.

AWS tests a Map or a Parallel state only with a mock: the mocked result is what the whole state
returned (the array of its iterations' or branches' results), a mocked errorOutput what it
raised (``stateConfiguration.errorCausedByState`` naming the state inside that raised it). The
state's own processing still runs: InputPath, ResultSelector, ResultPath, OutputPath, Assign,
Catch. Here the state is run as a Task whose call the mock answers, which applies exactly those
fields on the engine; the iteration fields are shown at DEBUG as AWS shows them (the items after
ItemsPath, each after ItemSelector, the batches after ItemBatcher, the tolerated failures and the
concurrency), computed on the engine with ``$$.Map.Item`` set per item.

``stateConfiguration.mapIterationFailureCount`` says how many iterations failed: beyond the
state's ToleratedFailureCount / ToleratedFailurePercentage (none tolerated by default) the Map
fails with States.ExceedToleratedFailureThreshold instead of returning the mocked result.
``mapItemReaderData`` is what an ItemReader read from its source (a JSON array, or JSON Lines
for ``InputType: JSONL``): the items come from it instead of ItemsPath.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

_ITERATION_FIELDS = (
    "ItemsPath",
    "ItemSelector",
    "ItemProcessor",
    "Iterator",
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "Label",
    "Branches",
    "Items",
    "Parameters",
    "Arguments",
)
MOCKED_RESOURCE = "arn:aws:states:::lambda:invoke"
EXCEEDED = "States.ExceedToleratedFailureThreshold"

Transform = Callable[..., Any]


class MapConfigurationError(ValueError):
    """A stateConfiguration that does not fit the state (TestState's ValidationException)."""


def as_mocked_task(state: Mapping[str, Any]) -> dict[str, Any]:
    """The state as a Task whose call the mock answers, with the state's own processing fields."""
    task = {key: value for key, value in state.items() if key not in _ITERATION_FIELDS}
    task["Type"] = "Task"
    task["Resource"] = MOCKED_RESOURCE
    arguments = {"FunctionName": "TestStateMocked"}
    task["Arguments" if state.get("QueryLanguage") == "JSONata" else "Parameters"] = arguments
    return task


def inner_states(state: Mapping[str, Any]) -> set[str]:
    """Every state name inside a Map's processor or a Parallel's branches, nested ones too."""
    found: set[str] = set()
    machines = [state.get("ItemProcessor") or state.get("Iterator") or {}, *state.get("Branches", [])]
    for machine in machines:
        for name, inner in (machine.get("States") or {}).items():
            found.add(name)
            found |= inner_states(inner)
    return found


def check_configuration(state: Mapping[str, Any], configuration: Mapping[str, Any]) -> None:
    caused_by = configuration.get("errorCausedByState")
    if caused_by is not None and caused_by not in inner_states(state):
        raise MapConfigurationError(f"errorCausedByState {caused_by!r} is no state of this {state['Type']}")
    for field in ("mapIterationFailureCount", "mapItemReaderData"):
        if configuration.get(field) is not None and state.get("Type") != "Map":
            raise MapConfigurationError(f"{field} applies to a Map state only")


def items(
    state: Mapping[str, Any], after_input: Any, configuration: Mapping[str, Any], transform: Transform
) -> list[Any]:
    """The items the Map iterates: what its ItemReader read, else its input after ItemsPath."""
    reader_data = configuration.get("mapItemReaderData")
    if reader_data is not None:
        reader = (state.get("ItemReader") or {}).get("ReaderConfig") or {}
        try:
            if reader.get("InputType") == "JSONL":
                return [json.loads(line) for line in str(reader_data).splitlines() if line.strip()]
            read = json.loads(reader_data)
        except ValueError as error:
            raise MapConfigurationError(
                f"mapItemReaderData is not what the ItemReader reads: {error}"
            ) from error
        return read if isinstance(read, list) else [read]
    if is_jsonata(state):
        found = transform(evaluated(state["Items"]), after_input) if "Items" in state else after_input
    elif "ItemsPath" in state:
        found = transform({"InputPath": state["ItemsPath"]}, after_input)
    else:
        found = after_input
    return found if isinstance(found, list) else []


def is_jsonata(state: Mapping[str, Any]) -> bool:
    """Whether the state's fields are JSONata (its own QueryLanguage, or its definition's)."""
    return state.get("QueryLanguage") == "JSONata"


def evaluated(template: Any) -> dict[str, Any]:
    """The fields of a JSONata Pass state whose output is ``template`` evaluated (an Arguments,
    Items or ItemSelector: what the state under test would evaluate, against the same input,
    variables and Context object)."""
    return {"QueryLanguage": "JSONata", "Output": template}


def exceeds_tolerance(state: Mapping[str, Any], count: int, failures: int) -> bool:
    """Whether ``failures`` of ``count`` iterations is beyond what the Map tolerates."""
    if failures <= 0:
        return False
    if failures <= int(state.get("ToleratedFailureCount", 0) or 0):
        return False
    percentage = float(state.get("ToleratedFailurePercentage", 0) or 0)
    return not (count and failures * 100 / count <= percentage)


def with_failures(
    state: Mapping[str, Any], mock: Mapping[str, Any], count: int, failures: int
) -> dict[str, Any]:
    """The mock, or the threshold error the failed iterations make the Map raise instead."""
    if state.get("Type") != "Map" or "result" not in mock or not exceeds_tolerance(state, count, failures):
        return dict(mock)
    cause = f"{failures} of {count} iterations failed, beyond the tolerated failures"
    return {"errorOutput": {"error": EXCEEDED, "cause": cause}}


def inspection(
    state: Mapping[str, Any], after_input: Any, found: list[Any], transform: Transform
) -> dict[str, Any]:
    """A Map's iteration fields at DEBUG (JSON text for the data, numbers for the settings)."""
    selector = state.get("ItemSelector", state.get("Parameters"))
    fields = evaluated(selector) if is_jsonata(state) else {"Parameters": selector}
    selected = [
        transform(fields, after_input, context={"Map": {"Item": {"Index": i, "Value": item}}})
        if selector is not None
        else item
        for i, item in enumerate(found)
    ]
    shown: dict[str, Any] = (
        {} if is_jsonata(state) else {"afterItemsPath": json.dumps(found, separators=(",", ":"))}
    )
    shown |= {
        "afterItemSelector": json.dumps(selected, separators=(",", ":")),
        "toleratedFailureCount": int(state.get("ToleratedFailureCount", 0) or 0),
        "toleratedFailurePercentage": float(state.get("ToleratedFailurePercentage", 0) or 0),
        "maxConcurrency": int(state.get("MaxConcurrency", 0) or 0),
    }
    batcher = state.get("ItemBatcher")
    if batcher is not None:
        size = int(batcher.get("MaxItemsPerBatch", 0) or 0) or len(selected) or 1
        batches = [{"Items": selected[i : i + size]} for i in range(0, len(selected), size)]
        if "BatchInput" in batcher:
            batches = [{**batch, "BatchInput": batcher["BatchInput"]} for batch in batches]
        shown["afterItemBatcher"] = json.dumps(batches, separators=(",", ":"))
    return shown
