"""The HTTP Task on moto's engine: moto has none, and refuses the error names it fails with.

* ``arn:aws:states:::http:invoke`` is an "Unknown service 'http'" to moto's parser, so a
  definition calling a third-party API cannot even be created. It now calls the endpoint as the
  Step Functions developer guide describes (`http_requests.py`), with the EventBridge connection
  the task names (read from moto's EventBridge; its authorization and parameters are added as
  AWS adds them), through urllib: while an app runs, the outside service registered for the URL
  answers (`LocalApp.serve_outside`), as for every other outbound call.
* ``States.Http.StatusCode.<code>`` and ``States.Http.Socket`` in a Retry or Catch fail the whole
  definition ("Custom Error Names MUST NOT begin with the prefix 'States.'"): they are accepted
  as the States errors AWS names them, and the task fails with them.
* TestState shows an HTTP Task's request and response at TRACE: every call made by a state
  machine created for TestState is kept for it (`watching`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from moto.events.models import events_backends
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceRuntimePart
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

from local_runtime import http_requests
from local_runtime.moto_patches.declare import Gap, Patch, Replace, node

_PARAMETERS: Final = frozenset(
    {
        "ApiEndpoint",
        "Method",
        "Authentication",
        "InvocationConfig",
        "Headers",
        "QueryParameters",
        "RequestBody",
        "Transform",
    }
)
_HTTP_ERRORS = "States.Http."


class HttpErrorName(ErrorName):
    """``States.Http.Socket`` or ``States.Http.StatusCode.<code>``: States errors moto's grammar
    has no token for. Matched by name, and by States.TaskFailed and States.ALL (it is not one of
    the engine's own States errors), as on AWS."""


class StateTaskServiceHttp(state_task_service_callback.StateTaskServiceCallback):
    """``arn:aws:states:::http:invoke`` (request-response only, as on AWS)."""

    def __init__(self) -> None:
        super().__init__(supported_integration_patterns=set())

    def _get_supported_parameters(self) -> set[str] | None:
        return set(_PARAMETERS) if self.resource.api_action.lower() == "invoke" else None

    def _from_error(self, env: Environment, ex: Exception) -> FailureEvent:
        if not isinstance(ex, http_requests.HttpTaskFailed):
            return super()._from_error(env=env, ex=ex)
        name: ErrorName = HttpErrorName(ex.error) if ex.error.startswith(_HTTP_ERRORS) else _named(ex.error)
        details = TaskFailedEventDetails(
            error=ex.error,
            cause=ex.cause,
            resource=self._get_sfn_resource(),
            resourceType=self._get_sfn_resource_type(),
        )
        return FailureEvent(
            env=env,
            error_name=name,
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(taskFailedEventDetails=details),  # type: ignore[typeddict-item]  # total in the stubs
        )

    def _eval_service_task(
        self,
        env: Environment,
        resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict[str, Any],
        state_credentials: StateCredentials,
    ) -> None:
        connection = _connection(http_requests.connection_arn(normalised_parameters))
        exchange = http_requests.prepare(
            normalised_parameters, connection, resource_runtime_part.region, http_requests.oauth_token
        )
        machine = env.states.context_object.context_object_data["StateMachine"]["Id"]
        with _lock:
            kept = _watched.get(machine)
            if kept is not None:
                kept.append(exchange)
        env.stack.append(http_requests.send(exchange))


def _named(error: str) -> ErrorName:
    """A non-HTTP failure's name: States.Runtime is the engine's own; the connection's errors
    (Events.ConnectionResource.*) are custom names."""
    if error.startswith("States."):
        return StatesErrorName.from_name(error)
    return CustomErrorName(error)


def _connection(arn: str) -> http_requests.Connection:
    """The EventBridge connection named by ``arn``, from moto's EventBridge."""
    parts = arn.split(":", 5)
    found = None
    if len(parts) == 6 and parts[5].startswith("connection/"):
        name = parts[5].split("/")[1]
        found = events_backends[parts[4]][parts[3]].connections.get(name)
    if found is None or found.arn != arn:
        raise http_requests.HttpTaskFailed(
            "Events.ConnectionResource.ResourceNotFound", f"the connection {arn} does not exist"
        )
    return http_requests.Connection(
        arn=found.arn,
        state=found.state,
        authorization_type=found.authorization_type,
        auth_parameters=found.auth_parameters,
    )


_lock = threading.Lock()
_watched: dict[str, list[http_requests.Exchange]] = {}


@contextmanager
def watching(state_machine_arn: str) -> Iterator[list[http_requests.Exchange]]:
    """Keep every call the executions of this state machine make (TestState's TRACE)."""
    kept: list[http_requests.Exchange] = []
    with _lock:
        _watched[state_machine_arn] = kept
    try:
        yield kept
    finally:
        with _lock:
            _watched.pop(state_machine_arn, None)


def _service_for(original: Callable[[str], StateTaskService]) -> Callable[[str], StateTaskService]:
    def state_task_service_for(service_name: str) -> StateTaskService:
        return StateTaskServiceHttp() if service_name == "http" else original(service_name)

    return state_task_service_for


def _error_name(
    original: Callable[[Preprocessor, Any], ErrorName],
) -> Callable[[Preprocessor, Any], ErrorName]:
    def visit_error_name(self: Preprocessor, ctx: Any) -> ErrorName:
        literal = ctx.string_literal() if hasattr(ctx, "string_literal") else None
        text = self._inner_string_of(parser_rule_context=literal) if literal is not None else None
        if isinstance(text, str) and text.startswith(_HTTP_ERRORS):
            return HttpErrorName(text)
        return original(self, ctx)

    return visit_error_name


_TESTS = "tests/local_runtime/test_http_task.py"

SERVICE_FOR = Replace(
    "http_task_service",
    "stepfunctions",
    state_task_factory,
    "state_task_service_for",
    (
        Gap(
            "an HTTP Task (arn:aws:states:::http:invoke) cannot be created",
            node(_TESTS, "test_without_the_patch_an_http_task_cannot_be_created"),
        ),
    ),
)
SERVICE_FOR.by(_service_for(SERVICE_FOR.original))

ERROR_NAMES = Replace(
    "http_error_names",
    "stepfunctions",
    Preprocessor,
    "visitError_name",
    (
        Gap(
            "States.Http.* in a Retry or Catch fails the whole definition",
            node(_TESTS, "test_without_the_patch_states_http_error_names_fail_the_definition"),
        ),
    ),
)
ERROR_NAMES.by(_error_name(ERROR_NAMES.original))

PATCHES: tuple[Patch, ...] = (SERVICE_FOR, ERROR_NAMES)
