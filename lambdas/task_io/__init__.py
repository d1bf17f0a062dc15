"""A workflow task's input and output, read and written the same way by every task package:
the input parsed against its model, the output dumped in wire names (``task_io.models``: the
camelCase wire format), the function's settings read from its environment
(``task_io.settings``).

Each package names its own contract error (``InvalidSagaInput``, ``InvalidOutboxInput``...):
the state machine catches it by that name and never retries it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError


def parse[RequestT: BaseModel](model: type[RequestT], event: Any, invalid: type[Exception]) -> RequestT:
    """Validate a task's event; a contract mismatch raises ``invalid`` naming the model and why."""
    try:
        return model.model_validate(event)
    except ValidationError as error:
        raise invalid(f"{model.__name__}: {error}") from error


def task_output(result: BaseModel) -> dict[str, Any]:
    """The JSON-able dict a handler returns (wire names, no Python objects)."""
    return result.model_dump(mode="json")
