"""ASL that AWS accepts and moto 5.2.5's grammar does not: accepted, and run as AWS runs it.

The engine must not shape the definitions: what is deployed is what the product wants, and the
runtime runs it. moto's interpreter is an ANTLR grammar generated ahead of time (regenerating it
needs the ANTLR tool of the same version as its runtime, which cannot be had offline here), so
the gaps are closed around the parser instead: a definition is rewritten into what the grammar
parses (`desugar`), parsed, and the parsed program is given back what the rewrite took out
(`attach`). The definition stored, described and deployed is never changed.

Distributed Map fields, what moto 5.2.5 does with them, and what happens here:

* ``ToleratedFailurePercentage`` as an integer (``5``): a syntax error (its grammar takes only a
  decimal); here parsed as the number it is.
* ``ToleratedFailurePercentage`` / ``ToleratedFailureCount``: parsed with "no effect on the
  program evaluation"; here a run failing beyond them fails with
  ``States.ExceedToleratedFailureThreshold`` (`moto_patches`).
* ``ItemBatcher`` (``MaxItemsPerBatch``, ``MaxInputBytesPerBatch``, their ``...Path`` forms,
  ``BatchInput``): a syntax error; here each child gets ``{"Items": [...], "BatchInput": ...}``,
  an ``ItemSelector`` shaping each item first.
* ``ItemReader`` with ``ReaderConfig.InputType`` ``JSONL``: "not a valid InputTypeValue"; here
  one item per non-blank line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_output_transformer.transformer import (  # noqa: E501
    ResourceOutputTransformer,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

MAX_BATCH_BYTES = 256 * 1024
"""A batch's input is at most 256 KiB (the Step Functions payload limit), whatever is configured."""

StatePath = tuple[str, ...]


@dataclass(frozen=True)
class ItemBatcherConfig:
    max_items: int | None = None
    max_items_path: str | None = None
    max_bytes: int | None = None
    max_bytes_path: str | None = None
    batch_input: Any = None


@dataclass
class Extensions:
    """What `desugar` took out of a definition, by the path of state names to each Map."""

    batchers: dict[StatePath, ItemBatcherConfig] = field(default_factory=dict)
    json_lines: set[StatePath] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.batchers or self.json_lines)


def desugar(definition: str) -> tuple[str, Extensions]:
    """The definition as moto's grammar parses it, and what had to be taken out for that."""
    try:
        document = json.loads(definition)
    except ValueError:
        return definition, Extensions()  # the parser reports it
    if not isinstance(document, dict):
        return definition, Extensions()
    extensions = Extensions()
    changed = _desugar_states(document.get("States"), (), extensions)
    return (json.dumps(document) if changed else definition), extensions


def _desugar_states(states: Any, path: StatePath, extensions: Extensions) -> bool:
    if not isinstance(states, dict):
        return False
    changed = False
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        here = (*path, name)
        if state.get("Type") == "Map":
            changed |= _desugar_map(state, here, extensions)
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            changed |= _desugar_states(processor.get("States"), here, extensions)
        elif state.get("Type") == "Parallel":
            for index, branch in enumerate(state.get("Branches") or []):
                if isinstance(branch, dict):
                    changed |= _desugar_states(branch.get("States"), (*here, str(index)), extensions)
    return changed


def _desugar_map(state: dict[str, Any], path: StatePath, extensions: Extensions) -> bool:
    changed = False
    percentage = state.get("ToleratedFailurePercentage")
    if isinstance(percentage, int) and not isinstance(percentage, bool):
        state["ToleratedFailurePercentage"] = float(percentage)  # the grammar's NUMBER token
        changed = True
    batcher = state.pop("ItemBatcher", None)
    if isinstance(batcher, dict):
        extensions.batchers[path] = ItemBatcherConfig(
            max_items=_int_or_none(batcher.get("MaxItemsPerBatch")),
            max_items_path=batcher.get("MaxItemsPerBatchPath"),
            max_bytes=_int_or_none(batcher.get("MaxInputBytesPerBatch")),
            max_bytes_path=batcher.get("MaxInputBytesPerBatchPath"),
            batch_input=batcher.get("BatchInput"),
        )
        changed = True
    config = (state.get("ItemReader") or {}).get("ReaderConfig") or {}
    if isinstance(config, dict) and config.get("InputType") == "JSONL":
        config["InputType"] = "JSON"
        extensions.json_lines.add(path)
        changed = True
    return changed


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def attach(program: Any, extensions: Extensions) -> None:
    """Give the parsed program what `desugar` took out: batchers on the Map states' iteration
    components, a JSON Lines reader on their item readers."""
    for path, batcher in extensions.batchers.items():
        _map_state(program, path).iteration_component._local_item_batcher = batcher
    for path in extensions.json_lines:
        reader = _map_state(program, path).item_reader
        reader.resource_output_transformer = JsonLinesTransformer()


def _map_state(program: Any, path: StatePath) -> Any:
    states = program.states.states
    state: Any = None
    parts = list(path)
    while parts:
        state = states[parts.pop(0)]
        if parts and hasattr(state, "branches"):
            states = state.branches.programs[int(parts.pop(0))].states.states
        elif parts:
            states = state.iteration_component._states.states
    return state


class JsonLinesTransformer(ResourceOutputTransformer):
    """ItemReader ``InputType: JSONL``: one item per non-blank line, each a JSON value."""

    def _eval_body(self, env: Environment) -> None:
        reader_config = env.stack.pop()
        resource_value: str = env.stack.pop()
        items = []
        for number, line in enumerate(str(resource_value).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except ValueError as error:
                raise _item_reader_failed(env, f"line {number} is not JSON: {error}") from error
        env.stack.append(items[: reader_config["MaxItemsValue"]])


def _item_reader_failed(env: Environment, cause: str) -> FailureEventException:
    error_name = StatesErrorName(typ=StatesErrorNameType.StatesItemReaderFailed)
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(  # type: ignore[typeddict-item]  # a total TypedDict in moto's stubs
                mapRunFailedEventDetails=MapRunFailedEventDetails(error=error_name.error_name, cause=cause)
            ),
        )
    )


class ItemBatch(list[Any]):
    """A child's items, batched (a list, so the engine treats it as any job input)."""

    def __init__(self, items: list[Any], first_index: int, batch_input: Any) -> None:
        super().__init__(items)
        self.first_index = first_index
        self.batch_input = batch_input


def batch_items(items: list[Any], batcher: ItemBatcherConfig, state_input: Any) -> list[ItemBatch]:
    """Group items as ItemBatcher does: at most MaxItemsPerBatch items and MaxInputBytesPerBatch
    bytes (of the batch as its child receives it, never over 256 KiB) per batch, in order."""
    max_items = batcher.max_items or _from_path(state_input, batcher.max_items_path)
    max_bytes = min(
        batcher.max_bytes or _from_path(state_input, batcher.max_bytes_path) or MAX_BATCH_BYTES,
        MAX_BATCH_BYTES,
    )
    batch_input = _resolve(batcher.batch_input, state_input)
    batches: list[ItemBatch] = []
    current: list[Any] = []
    first = 0
    for index, item in enumerate(items):
        candidate = [*current, item]
        too_many = max_items is not None and len(candidate) > max_items
        too_big = _batch_bytes(candidate, batch_input) > max_bytes
        if current and (too_many or too_big):
            batches.append(ItemBatch(current, first, batch_input))
            current, first = [item], index
        else:
            current = candidate
    if current:
        batches.append(ItemBatch(current, first, batch_input))
    return batches


def batch_document(items: list[Any], batch_input: Any) -> dict[str, Any]:
    """What a batched child receives."""
    document: dict[str, Any] = {"Items": items}
    if batch_input is not None:
        document["BatchInput"] = batch_input
    return document


def _batch_bytes(items: list[Any], batch_input: Any) -> int:
    return len(json.dumps(batch_document(items, batch_input), separators=(",", ":")).encode())


def _from_path(document: Any, path: str | None) -> int | None:
    if not path:
        return None
    value = _lookup(document, path)
    return int(value) if isinstance(value, int | float) else None


def _lookup(document: Any, path: str) -> Any:
    value = document
    for part in path.removeprefix("$").strip(".").split("."):
        if part:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def _resolve(template: Any, state_input: Any) -> Any:
    """BatchInput with JSONPath fields (``"key.$": "$.path"``) filled from the state's input."""
    if isinstance(template, dict):
        resolved: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                resolved[key[:-2]] = _lookup(state_input, value)
            else:
                resolved[key] = _resolve(value, state_input)
        return resolved
    if isinstance(template, list):
        return [_resolve(value, state_input) for value in template]
    return template
