"""Failing one AWS call of a function, before or after its effect.

Injecting a failure into a whole Lambda invocation cannot reach the code paths that matter
most to a saga or an outbox: the write committed, then the *next* call was throttled, or the
response of the write itself was lost. `CallFaults` fails chosen AWS SDK calls by service,
operation, target (table, bus, queue, topic...) and caller (the function whose handler makes
the call, or any caller, the engine's own service integrations included), counting matching
calls so "the 2nd PutEvents" can be named.

It hooks botocore's event system on boto3's default session, where every client of the
handlers and of the engine is created: `before-parameter-build` sees the request and decides;
a fault *before the effect* answers `before-call` with the service's error (the request is
never sent); a fault *after the effect* lets the call go through and raises from `after-call`
(the write is done, the caller sees an error). Errors come out as botocore raises them after
its own retries, so the caller's error mapping (SagaStoreUnavailable...) is exercised as is.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.errorfactory import ClientExceptionsFactory
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

NETWORK_ERRORS: Mapping[str, type[BotoCoreError]] = {
    "ReadTimeoutError": ReadTimeoutError,
    "ConnectTimeoutError": ConnectTimeoutError,
    "EndpointConnectionError": EndpointConnectionError,
    "ConnectionClosedError": ConnectionClosedError,
}
"""Errors the SDK raises without an HTTP answer, by class name."""

_TARGET_KEYS = (
    "TableName",
    "EventBusName",
    "QueueUrl",
    "TopicArn",
    "Bucket",
    "FunctionName",
    "stateMachineArn",
)
_CONTEXT_KEY = "local_runtime_call_fault"
_UNIQUE = "local-runtime-call-faults"


@dataclass
class CallFault:
    """One rule. `nth` is the first matching call that fails (1-based), `times` how many in a
    row from there fail; `function` None matches every caller, `target` None every target."""

    service: str
    operation: str
    error: str
    message: str
    function: str | None
    target: str | None
    after_effect: bool
    nth: int
    times: int
    matched: int = 0
    fired: int = 0

    def take(self) -> bool:
        """Count one matching call; True when this one fails."""
        self.matched += 1
        if self.matched >= self.nth and self.fired < self.times:
            self.fired += 1
            return True
        return False


def call_targets(params: Mapping[str, Any]) -> Iterator[str]:
    """The resource names a request names: top-level target parameters, and those of each item
    of a DynamoDB transaction or batch and of each PutEvents entry."""
    for key in _TARGET_KEYS:
        value = params.get(key)
        if isinstance(value, str):
            yield value
    for item in params.get("TransactItems", []) or []:
        for action in item.values():
            if isinstance(action, Mapping) and isinstance(action.get("TableName"), str):
                yield action["TableName"]
    yield from params.get("RequestItems") or {}
    for entry in params.get("Entries", []) or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("EventBusName"), str):
            yield entry["EventBusName"]


class CallFaults:
    """The AWS-call faults of one local app."""

    def __init__(self) -> None:
        self._rules: list[CallFault] = []
        self._lock = threading.Lock()
        self._hooked: list[Any] = []

    def fail(
        self,
        service: str,
        operation: str,
        *,
        error: str = "ThrottlingException",
        message: str = "injected by the local runtime",
        function: str | None = None,
        target: str | None = None,
        after_effect: bool = False,
        nth: int = 1,
        times: int = 1,
    ) -> CallFault:
        """Fail matching calls of `service` (botocore's name: "dynamodb", "events", "sns"...)
        `operation` (API name: "UpdateItem", "PutEvents"...).

        `function` is a function name as the template names it (the caller whose handler makes
        the call); `target` is matched against the table / bus / queue / topic names the
        request carries (exactly, or as the tail of an ARN or URL). `error` is an error code
        of the service (a `ClientError` with that code) or a network error's class name
        (`ReadTimeoutError`...). Returns the rule, whose `fired` counts the failures.
        """
        if nth < 1 or times < 0:
            raise ValueError("nth is 1-based and times is not negative")
        rule = CallFault(service, operation, error, message, function, target, after_effect, nth, times)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    # -- botocore hooks ---------------------------------------------------------------------
    def install(self, session: Any) -> None:
        """Hook the event system of a session, or of a client (``client.meta``): a client copies
        its session's hooks when it is created, so a client made earlier is hooked itself."""
        self._hooked.append(session)
        session.events.register("before-parameter-build", self._decide, unique_id=f"{_UNIQUE}-decide")
        session.events.register("before-call", self._before_call, unique_id=f"{_UNIQUE}-before")
        session.events.register("after-call", self._after_call, unique_id=f"{_UNIQUE}-after")

    def uninstall(self) -> None:
        for hooked in self._hooked:
            for event, suffix in (
                ("before-parameter-build", "decide"),
                ("before-call", "before"),
                ("after-call", "after"),
            ):
                hooked.events.unregister(event, unique_id=f"{_UNIQUE}-{suffix}")
        self._hooked = []

    def _decide(self, params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self._rules:
            return
        service = model.service_model.service_name
        operation = model.name
        caller = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        with self._lock:
            for rule in self._rules:
                if rule.service != service or rule.operation != operation:
                    continue
                if rule.function is not None and rule.function != caller:
                    continue
                if rule.target is not None and not any(
                    target_named(rule.target, target) for target in call_targets(params)
                ):
                    continue
                if rule.take():
                    context[_CONTEXT_KEY] = rule
                    return

    def _before_call(
        self, model: Any, context: dict[str, Any], **_: Any
    ) -> tuple[Any, dict[str, Any]] | None:
        rule: CallFault | None = context.get(_CONTEXT_KEY)
        if rule is None or rule.after_effect:
            return None
        if rule.error in NETWORK_ERRORS:
            raise _network_error(rule)
        return _http(400), _error_response(rule)

    def _after_call(self, http_response: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
        rule: CallFault | None = context.pop(_CONTEXT_KEY, None)
        if rule is None or not rule.after_effect or http_response.status_code >= 300:
            return
        if rule.error in NETWORK_ERRORS:
            raise _network_error(rule)
        raise _modeled_error(model.service_model, rule.error)(_error_response(rule), model.name)


_EXCEPTIONS = ClientExceptionsFactory()


def _modeled_error(service_model: Any, code: str) -> type[ClientError]:
    """The exception class botocore raises for ``code`` (its modeled one, else ClientError), so
    an error after the effect looks exactly like one before it (the engine names aws-sdk task
    errors after the class: ``EventBridge.ThrottlingException``)."""
    error: type[ClientError] = _EXCEPTIONS.create_client_exceptions(service_model).from_code(code)
    return error


def target_named(wanted: str, target: str) -> bool:
    """Whether a request's target (a name, an ARN, a URL) is the resource named `wanted`."""
    return target == wanted or target.endswith((f"/{wanted}", f":{wanted}"))


def _network_error(rule: CallFault) -> BotoCoreError:
    error_class = NETWORK_ERRORS[rule.error]
    if error_class is ReadTimeoutError or error_class is ConnectTimeoutError:
        return error_class(endpoint_url="local-runtime", error=rule.message)
    return error_class(endpoint_url="local-runtime")


def _error_response(rule: CallFault) -> dict[str, Any]:
    return error_response(rule.error, rule.message)


def error_response(code: str, message: str) -> dict[str, Any]:
    """A parsed AWS error response, as botocore hands one to its retry handler and raises it."""
    return {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": str(uuid.uuid4()), "HTTPHeaders": {}},
    }


def refused(code: str, message: str, **fields: Any) -> tuple[Any, dict[str, Any]]:
    """What a ``before-call`` hook returns to answer a request with an AWS error instead of
    sending it (botocore retries it if the code is one it retries, as it would AWS's).
    ``fields``: the error's own members, as botocore parses them (``CancellationReasons``...)."""
    return _http(400), {**error_response(code, message), **fields}


@dataclass
class _http:  # noqa: N801 - stands in for botocore's AWSResponse in a before-call reply
    status_code: int
    headers: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.headers is None:
            self.headers = {}
