"""Lambda, in-process: the functions of the template run here instead of in Docker.

moto runs Lambda code only in Docker, and there is none on a laptop CI box.
botocore lets a `before-call.lambda.Invoke` handler answer a call itself (the
mechanism botocore's Stubber uses), and the Step Functions engine builds its
clients from boto3's default session, so registering the handler there routes
every Invoke (from the engine, a pipe or a test) to `LambdaService.invoke`.

Each function gets its own sandbox, like its own Lambda execution environment:
its staged asset directory from `cdk.out` (so a packaging mistake fails here
too), its own copy of every module in that asset (module-level state is never
shared between functions), its environment from the template, a Lambda
context, and its timeout. A raised exception comes back as `FunctionError` with
the exception's class name as `errorType`, which is what Step Functions matches
in `Retry` / `Catch`.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.response import StreamingBody

from local_runtime.function_logs import FunctionLogs, stdout_router

# One invocation at a time: a real Lambda environment has the process (and its
# environment variables and sys.modules) to itself; here they are shared.
_INVOCATION_LOCK = threading.RLock()

# Values Lambda sets in every execution environment; the tracer is disabled
# because there is no X-Ray daemon locally.
_LOCAL_LAMBDA_ENV = {
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


class FunctionNotFound(Exception):
    """Invoke named a function that is not in the template."""


@dataclass
class _InjectedFailure:
    error: str
    message: str
    remaining: int


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    arn: str
    handler: str
    code_dir: Path
    environment: dict[str, str]
    timeout_seconds: int
    memory_mb: int


@dataclass
class InvokeResult:
    payload: bytes
    function_error: str | None = None
    log_result: str = ""


class LambdaContext:
    """The attributes and method Powertools and handlers read from the Lambda context."""

    def __init__(self, spec: FunctionSpec, deadline: float) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _Sandbox:
    """A function's private module namespace, loaded from its staged asset directory."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self._top_level = {
            entry.stem if entry.suffix == ".py" else entry.name
            for entry in spec.code_dir.iterdir()
            if entry.suffix == ".py" or (entry / "__init__.py").exists()
        }
        self._modules: dict[str, ModuleType] = {}
        self._handler: Callable[[Any, Any], Any] | None = None

    def _owned(self, name: str) -> bool:
        return name.split(".", 1)[0] in self._top_level

    @contextmanager
    def activated(self) -> Iterator[None]:
        """Make this function's modules (and asset directory) the ones Python sees."""
        displaced = {name: sys.modules.pop(name) for name in list(sys.modules) if self._owned(name)}
        sys.modules.update(self._modules)
        sys.path.insert(0, str(self.spec.code_dir))
        try:
            yield
        finally:
            sys.path.remove(str(self.spec.code_dir))
            self._modules = {name: sys.modules.pop(name) for name in list(sys.modules) if self._owned(name)}
            sys.modules.update(displaced)

    def handler(self) -> Callable[[Any, Any], Any]:
        """Import the handler named in the template (call inside `activated`)."""
        if self._handler is None:
            module_name, _, attribute = self.spec.handler.rpartition(".")
            module = importlib.import_module(module_name)
            self._handler = getattr(module, attribute)
        return self._handler


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class LambdaService:
    """The functions of the template, invocable through boto3 as on AWS."""

    def __init__(self, region: str, logs: FunctionLogs, log_level: str | None = None) -> None:
        self._region = region
        self._logs = logs
        self._log_level = log_level
        self._functions: dict[str, FunctionSpec] = {}
        self._sandboxes: dict[str, _Sandbox] = {}
        self.invocations: Counter[str] = Counter()
        self._failures: dict[str, list[_InjectedFailure]] = {}
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()

    # -- provisioning -----------------------------------------------------------------------
    def add(self, spec: FunctionSpec) -> None:
        self._functions[spec.name] = spec

    def functions(self) -> list[FunctionSpec]:
        return list(self._functions.values())

    def spec(self, function: str) -> FunctionSpec:
        name = function
        if function.startswith("arn:"):
            name = function.split(":")[6]
        elif ":" in function:
            name = function.split(":", 1)[0]
        try:
            return self._functions[name]
        except KeyError as missing:
            raise FunctionNotFound(f"Function not found: {function}") from missing

    def inject_failure(self, function: str, error: str, *, times: int = 1, message: str = "injected") -> None:
        """Make the next `times` invocations of a function fail without running it.

        `Lambda.<Code>` errors (Lambda.ServiceException, Lambda.TooManyRequestsException...)
        come back as the Lambda service's own errors; any other name comes back as if the
        handler had raised an exception of that class.
        """
        name = self.spec(function).name
        self._failures.setdefault(name, []).append(_InjectedFailure(error, message, times))

    def clear_failures(self) -> None:
        """Forget every injected failure not yet used."""
        with self._in_flight_lock:
            self._failures.clear()

    def _take_failure(self, name: str) -> _InjectedFailure | None:
        with self._in_flight_lock:
            for failure in self._failures.get(name, []):
                if failure.remaining > 0:
                    failure.remaining -= 1
                    return failure
        return None

    @property
    def busy(self) -> bool:
        return self._in_flight > 0

    # -- invocation -------------------------------------------------------------------------
    def invoke(self, function: str, payload: bytes, asynchronous: bool = False) -> InvokeResult:
        spec = self.spec(function)
        if asynchronous:
            with self._in_flight_lock:
                self._in_flight += 1
            threading.Thread(target=self._run_counted, args=(spec, payload), daemon=True).start()
            return InvokeResult(payload=b"")
        return self._run(spec, payload)

    def _run_counted(self, spec: FunctionSpec, payload: bytes) -> None:
        try:
            self._run(spec, payload)
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1

    def _run(self, spec: FunctionSpec, payload: bytes) -> InvokeResult:
        event = json.loads(payload) if payload else {}
        outcome: dict[str, Any] = {}
        with self._in_flight_lock:
            self._in_flight += 1
        try:
            with _INVOCATION_LOCK:
                self.invocations[spec.name] += 1
                deadline = time.monotonic() + spec.timeout_seconds
                context = LambdaContext(spec, deadline)
                worker = threading.Thread(
                    target=self._call_handler, args=(spec, event, context, outcome), daemon=True
                )
                worker.start()
                worker.join(spec.timeout_seconds)
            if worker.is_alive():
                return _error_result(
                    "Sandbox.Timedout", f"Task timed out after {spec.timeout_seconds:.2f} seconds", context
                )
            if "error" in outcome:
                error: BaseException = outcome["error"]
                return _error_result(type(error).__name__, str(error), context, error)
            return InvokeResult(payload=json.dumps(outcome.get("result")).encode())
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1

    def _call_handler(
        self, spec: FunctionSpec, event: Any, context: LambdaContext, outcome: dict[str, Any]
    ) -> None:
        sandbox = self._sandboxes.get(spec.name)
        if sandbox is None:
            sandbox = self._sandboxes[spec.name] = _Sandbox(spec)
        env = {
            **spec.environment,
            **_LOCAL_LAMBDA_ENV,
            "AWS_REGION": self._region,
            "AWS_DEFAULT_REGION": self._region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": context.log_group_name,
            "_HANDLER": spec.handler,
        }
        if self._log_level:
            env["POWERTOOLS_LOG_LEVEL"] = self._log_level
        try:
            with (
                stdout_router().routed(self._logs, spec.name),
                _environment(env),
                sandbox.activated(),
            ):
                outcome["result"] = sandbox.handler()(event, context)
        except Exception as error:  # noqa: BLE001 - every handler failure is reported, as Lambda does
            outcome["error"] = error

    # -- botocore hook ----------------------------------------------------------------------
    def install(self, session: boto3.session.Session) -> None:
        session.events.register(
            "before-call.lambda.Invoke", self._on_invoke, unique_id="local-runtime-invoke"
        )

    def uninstall(self, session: boto3.session.Session) -> None:
        session.events.unregister("before-call.lambda.Invoke", unique_id="local-runtime-invoke")

    def _on_invoke(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        function = unquote(params["url_path"].split("/functions/", 1)[1].split("/", 1)[0])
        headers = {key.lower(): value for key, value in params.get("headers", {}).items()}
        invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
        body = params.get("body") or b""
        payload = body.encode() if isinstance(body, str) else bytes(body)
        try:
            spec = self.spec(function)
            failure = self._take_failure(spec.name)
            if failure is not None and failure.error.startswith("Lambda."):
                code = failure.error.removeprefix("Lambda.")
                return _http(500), _service_error(500, code, failure.message)
            if failure is not None:
                self.invocations[spec.name] += 1
                body = {"errorMessage": failure.message, "errorType": failure.error}
                result = InvokeResult(payload=json.dumps(body).encode(), function_error="Unhandled")
            else:
                result = self.invoke(function, payload, asynchronous=invocation_type == "Event")
        except FunctionNotFound as missing:
            return _http(404), _service_error(404, "ResourceNotFoundException", str(missing))
        status = 202 if invocation_type == "Event" else 200
        response: dict[str, Any] = {
            "StatusCode": status,
            "ExecutedVersion": "$LATEST",
            "Payload": StreamingBody(io.BytesIO(result.payload), len(result.payload)),
            "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}},
        }
        if result.function_error:
            response["FunctionError"] = result.function_error
        return _http(status), response


@dataclass
class _http:  # noqa: N801 - stands in for botocore's AWSResponse in a before-call reply
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


def _service_error(status: int, code: str, message: str) -> dict[str, Any]:
    """A Lambda service error as botocore parses it (the engine reads the request id)."""
    return {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": str(uuid.uuid4()), "HTTPHeaders": {}},
    }


def _error_result(
    error_type: str, message: str, context: LambdaContext, error: BaseException | None = None
) -> InvokeResult:
    body: dict[str, Any] = {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": context.aws_request_id,
    }
    if error is not None:
        body["stackTrace"] = traceback.format_tb(error.__traceback__)
    return InvokeResult(payload=json.dumps(body).encode(), function_error="Unhandled")
