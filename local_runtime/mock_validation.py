"""TestState's ``mock.fieldValidationMode``: a mocked result checked against the service's API.

AWS checks a mocked service-integration result against the API model of the call the state
makes: STRICT (the default) wants every required field and every field to conform, PRESENT only
the fields present, NONE nothing. The models here are botocore's, the ones the SDKs and the CLI
are generated from. A result that does not conform is refused (``ValidationException`` naming
each field and why) before the state runs.

What has no API model is not checked: a callback (``.waitForTaskToken``: whatever the sender
answers), ``.sync`` (the described resource), an activity. Lambda's ``invoke`` is checked
against Lambda's Invoke response except ``Payload``, which Step Functions hands over as JSON, not
a blob, and the ``SdkHttpMetadata``/``SdkResponseMetadata`` every optimized integration adds.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import OperationNotFoundError, Shape

MODES = ("STRICT", "PRESENT", "NONE")
_SERVICES = {"eventbridge": "events", "states": "stepfunctions", "cognitoidentityprovider": "cognito-idp"}
_INTEGRATION_METADATA = frozenset({"SdkHttpMetadata", "SdkResponseMetadata"})
_MAX_PROBLEMS = 5
_NO_MODEL = (".sync", ".sync:2", ".waitForTaskToken")


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


def output_shape(resource: str) -> tuple[str, Shape | None]:
    """The operation a Task resource calls and its output shape (None when it has no model)."""
    if not resource.startswith("arn:aws:states:::") or resource.endswith(
        (".sync", ".sync:2", ".waitForTaskToken")
    ):
        return "", None
    parts = resource.removeprefix("arn:aws:states:::").split(":")
    if parts[0] == "aws-sdk" and len(parts) == 3:
        service, action = parts[1], parts[2]
    elif len(parts) == 2:
        service, action = parts
    else:
        return "", None
    operation = action[:1].upper() + action[1:]
    try:
        model = _session().get_service_model(_SERVICES.get(service, service))
        shape = model.operation_model(operation).output_shape
    except (UnknownServiceError, OperationNotFoundError):
        return "", None
    return f"{model.service_name}:{operation}", shape


def problems(resource: str, result: Any, mode: str) -> list[str]:
    """What in ``result`` does not conform to the output of the call ``resource`` makes."""
    if mode == "NONE":
        return []
    operation, shape = output_shape(resource)
    if shape is None:
        return []
    found = _conform(result, shape, "", strict=mode == "STRICT", invoke=operation == "lambda:Invoke")
    return [f"{operation}: {problem}" for problem in found]


_SCALARS: dict[str, tuple[tuple[type, ...], str]] = {
    "string": ((str,), "a string"),
    "integer": ((int,), "an integer"),
    "long": ((int,), "an integer"),
    "float": ((int, float), "a number"),
    "double": ((int, float), "a number"),
    "boolean": ((bool,), "a boolean"),
    "timestamp": ((str, int, float), "a timestamp"),
    "blob": ((str,), "a base64 string"),
}


def _conform(value: Any, shape: Shape, path: str, *, strict: bool, invoke: bool = False) -> list[str]:
    """What in ``value`` does not conform to ``shape`` (``invoke``: the top of Lambda's Invoke
    response, whose Payload Step Functions gives as JSON)."""
    where = path or "the result"
    kind = shape.type_name
    if kind == "structure":
        return _structure(value, shape, path, strict=strict, invoke=invoke)
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where} must be a list"]
        return [
            p
            for i, item in enumerate(value)
            for p in _conform(item, shape.member, f"{path}[{i}]", strict=strict)
        ]
    if kind == "map":
        if not isinstance(value, Mapping):
            return [f"{where} must be an object"]
        return [
            p for k, item in value.items() for p in _conform(item, shape.value, f"{path}.{k}", strict=strict)
        ]
    return _scalar(value, shape, where)


def _scalar(value: Any, shape: Shape, where: str) -> list[str]:
    types, named = _SCALARS.get(shape.type_name, ((object,), "a value"))
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        return [f"{where} must be {named}"]
    if shape.type_name == "string" and shape.enum and value not in shape.enum:
        return [f"{where} must be one of {', '.join(shape.enum)}"]
    return []


def _structure(value: Any, shape: Shape, path: str, *, strict: bool, invoke: bool) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{path or 'the result'} must be an object"]
    prefix = f"{path}." if path else ""
    members: Mapping[str, Shape] = shape.members
    found: list[str] = []
    for name, item in value.items():
        if not path and (name in _INTEGRATION_METADATA or (invoke and name == "Payload")):
            continue
        if name not in members:
            found.append(f"{prefix}{name} is not a field of {shape.name}")
        else:
            found += _conform(item, members[name], f"{prefix}{name}", strict=strict)
    if strict:
        found += [f"{prefix}{name} is required" for name in shape.required_members if name not in value]
    return found[:_MAX_PROBLEMS]
