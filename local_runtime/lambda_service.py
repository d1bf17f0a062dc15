"""Lambda, in-process: the functions of the template run here instead of in Docker.

moto runs Lambda code only in Docker, and there is none on a laptop CI box.
botocore lets a `before-call.lambda.Invoke` handler answer a call itself (the
mechanism botocore's Stubber uses), and the Step Functions engine builds its
clients from boto3's default session, so registering the handler there routes
every Invoke (from the engine, a pipe or a test) to `LambdaService.invoke`.

Each function runs in sandboxes, like Lambda's execution environments: one
invocation at a time per sandbox, a new one (a cold start) when all are busy, as
many at once as the function's concurrency allows: its reserved concurrency in the
template, else the runtime's setting (`LocalApp(concurrency=...)`, default
`DEFAULT_CONCURRENCY`). A synchronous invocation beyond it is throttled as Lambda
throttles (429 `TooManyRequestsException`, which Step Functions names
`Lambda.TooManyRequestsException`), so the templates' Retry policies are what
absorbs a burst; an asynchronous one waits in the function's queue, as Lambda's
own event queue holds it.
A sandbox has its function's staged asset directory from `cdk.out` (so a
packaging mistake fails here too) and its own copy of every module in that
asset (module-level state is never shared between functions or sandboxes: the
modules' `import` statements resolve through the sandbox, also when they run
lazily inside a handler). An invocation gets its environment from the template
(its own `os.environ`, see `environ.py`), a Lambda context and its timeout, a
timer on the virtual clock. A raised exception comes back as `FunctionError`
with the exception's class name as `errorType`, which is what Step Functions
matches in `Retry` / `Catch`. Nothing process-wide is swapped per invocation:
a handler that overran its timeout is frozen (`clock.VirtualClock.freeze`): its
thread never runs again while the app runs, its AWS calls are refused, its sandbox
is discarded, and its concurrency is free again, as on AWS.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import json
import logging
import random
import sys
import threading
import time
import traceback
import typing
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any
from urllib.parse import unquote

from botocore.response import StreamingBody

from local_runtime import clock, environ
from local_runtime.cloudwatch_logs import CloudWatchLogs
from local_runtime.function_logs import FunctionLogs, stdout_router

# Importing a sandbox's modules puts them in sys.modules for the duration of the import
# (pydantic and dataclasses resolve annotations through it); one import at a time.
_IMPORT_LOCK = threading.RLock()

# Values Lambda sets in every execution environment; the tracer is disabled
# because there is no X-Ray daemon locally.
DEFAULT_CONCURRENCY = 10
"""Invocations of one function at once when the template reserves none: enough for a burst to
run side by side (AWS's account default is 1,000; each local sandbox holds its own copy of the
function's modules, so the local default is smaller)."""

_LOCAL_LAMBDA_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
}
INTERPRETER_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
"""The Lambda runtime this interpreter is: only functions of that runtime run here."""


class FunctionNotFound(Exception):
    """Invoke named a function that is not in the template."""


class Throttled(Exception):
    """The function runs as many invocations as its concurrency allows: Lambda refuses a
    synchronous invocation with 429 TooManyRequestsException (``Rate Exceeded.``)."""

    def __init__(self, function: str, limit: int, reserved: bool) -> None:
        super().__init__(f"Rate Exceeded. ({function} runs {limit} invocations at once)")
        self.function = function
        self.reason = (
            "ReservedFunctionConcurrentInvocationLimitExceeded"
            if reserved
            else "ConcurrentInvocationLimitExceeded"
        )


class RuntimeMismatch(Exception):
    """The template deploys a function on another Python than the one running it here: what
    the tests ran would not be what runs on AWS."""


STATE_TIMEOUT = "States.Timeout"
"""An injected failure that is the calling state's timeout, not an error of the function."""


@dataclass
class _InjectedFailure:
    error: str
    message: str
    remaining: int
    after_effect: bool = False


@dataclass
class _RandomFailures:
    rate: float
    errors: tuple[str, ...]
    after_effect_share: float
    draw: random.Random


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    arn: str
    handler: str
    code_dir: Path
    environment: dict[str, str]
    timeout_seconds: int
    memory_mb: int
    runtime: str = INTERPRETER_RUNTIME
    reserved_concurrency: int | None = None
    log_group: str = ""
    """The group its LoggingConfig names; empty for Lambda's default, ``/aws/lambda/<name>``."""
    json_logs: bool = False
    """LoggingConfig's LogFormat is JSON (Lambda's own records are JSON then)."""

    @property
    def log_group_name(self) -> str:
        return self.log_group or f"/aws/lambda/{self.name}"


@dataclass
class InvokeResult:
    payload: bytes
    function_error: str | None = None
    log_result: str = ""


class LambdaContext:
    """The attributes and method Powertools and handlers read from the Lambda context."""

    def __init__(self, spec: FunctionSpec, deadline: float, log_stream: str = "") -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = spec.log_group_name
        self.log_stream_name = log_stream or f"local/{self.aws_request_id}"
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        """Virtual time left: `time.time()` reads the runtime's clock."""
        return max(0, int((self._deadline - time.time()) * 1000))


# Libraries shared by every sandbox (they are not in the asset) that keep per-process state at
# class level, where on AWS each function has its own process: Powertools' Metrics keeps one
# metric set for all its instances, so one function's flush would empty another's metrics
# mid-invocation. Each sandbox's instances get fresh sets (they bind them when created, at import).
_PROCESS_STATE = {
    "aws_lambda_powertools.metrics.metrics": (
        "Metrics",
        ("_metrics", "_dimensions", "_metadata", "_default_dimensions"),
    ),
}


_POWERTOOLS_LOGGER_ATTRIBUTES = (
    "init",
    "powertools_handler",
    "powertools_buffer_config",
    "powertools_buffer_cache",
)


def forget_logger_configuration() -> None:
    """Powertools' Logger keeps its configuration (level, handler) on the process-wide
    `logging.Logger` of its service and configures it only once per process: on AWS a process is
    one function's environment, here it is every app a test process starts. Each app starts with
    those loggers unconfigured, so its functions log at the level its template (or the app's
    `log_level`) sets, whatever an earlier app set."""
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and getattr(logger, "init", False):
            handler = getattr(logger, "powertools_handler", None)
            if handler is not None:
                logger.removeHandler(handler)
            for attribute in _POWERTOOLS_LOGGER_ATTRIBUTES:
                if hasattr(logger, attribute):
                    delattr(logger, attribute)


def _route_powertools_logs(router: Any) -> None:
    """Point every Powertools logger's handler at the stdout router. A Logger binds its handler to
    `sys.stdout` once per process, when the first one of its service is made: made by a thread
    that outlived its app (a frozen invocation unwinding after `stop()` put stdout back), it binds
    the real stdout, and every later invocation's lines of that service bypass its log stream.
    Checked before each invocation (~200 loggers, tens of microseconds)."""
    for logger in list(logging.Logger.manager.loggerDict.values()):
        handler = getattr(logger, "powertools_handler", None)
        if isinstance(handler, logging.StreamHandler) and handler.stream is not router:
            handler.setStream(router)


def _fresh_process_state() -> None:
    for module_name, (class_name, attributes) in _PROCESS_STATE.items():
        module = sys.modules.get(module_name)
        if module is not None:
            for attribute in attributes:
                setattr(getattr(module, class_name), attribute, {})


# A staged asset does not change while a process runs (a new synthesis stages new directories), so
# where each of its modules is and its code object (immutable) are read once per process and
# shared by every sandbox; each sandbox still executes the code into modules of its own.
_FOUND: dict[tuple[tuple[str, ...], str], tuple[str, list[str] | None] | None] = {}
_CODE: dict[str, CodeType] = {}


def _locate(fullname: str, search: list[str]) -> importlib.machinery.ModuleSpec | None:
    """A fresh spec for a source module of an asset (`PathFinder`'s answer, remembered); None when
    the asset has no such module. Anything but plain source is looked up every time."""
    key = (tuple(search), fullname)
    if key not in _FOUND:
        found = importlib.machinery.PathFinder.find_spec(fullname, search)
        if found is not None and not isinstance(found.loader, importlib.machinery.SourceFileLoader):
            return found
        _FOUND[key] = None if found is None else (str(found.origin), found.submodule_search_locations)
    located = _FOUND[key]
    if located is None:
        return None
    origin, package_path = located
    return importlib.util.spec_from_file_location(
        fullname,
        origin,
        loader=importlib.machinery.SourceFileLoader(fullname, origin),
        submodule_search_locations=list(package_path) if package_path is not None else None,
    )


class _SandboxLoader(importlib.abc.Loader):
    """Runs a sandbox module with the sandbox's builtins, so its `import` statements (also the
    ones that run later, inside a handler) resolve to the sandbox's own modules."""

    def __init__(self, wrapped: Any, sandbox_builtins: dict[str, Any]) -> None:
        self._wrapped = wrapped
        self._builtins = sandbox_builtins

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        created: ModuleType | None = self._wrapped.create_module(spec)
        return created

    def exec_module(self, module: ModuleType) -> None:
        module.__dict__["__builtins__"] = self._builtins
        path = getattr(self._wrapped, "path", None)
        if not isinstance(self._wrapped, importlib.machinery.SourceFileLoader) or path is None:
            self._wrapped.exec_module(module)
            return
        code = _CODE.get(path)
        if code is None:
            read: CodeType | None = self._wrapped.get_code(module.__name__)
            if read is None:
                raise ImportError(f"no code for {module.__name__} at {path}")
            code = _CODE[path] = read
        exec(code, module.__dict__)  # what SourceFileLoader.exec_module does, with the code read once

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


class _SandboxFinder(importlib.abc.MetaPathFinder):
    def __init__(self, sandbox: _Sandbox) -> None:
        self._sandbox = sandbox

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not self._sandbox.owns(fullname):
            return None
        search = list(path) if path else [str(self._sandbox.spec.code_dir)]
        spec = _locate(fullname, search)
        if spec is not None and spec.loader is not None:
            spec.loader = _SandboxLoader(spec.loader, self._sandbox.builtins)
        return spec


@dataclass(frozen=True)
class _AssetModules:
    """What a staged asset can be imported as: its top-level names, and the dotted name of every
    module and package in it. Read once per asset and process (a staged asset does not change)."""

    top_level: frozenset[str]
    names: tuple[str, ...]

    @staticmethod
    @functools.cache
    def of(code_dir: Path) -> _AssetModules:
        top_level = {
            entry.stem if entry.suffix == ".py" else entry.name
            for entry in code_dir.iterdir()
            if entry.suffix == ".py" or (entry / "__init__.py").exists()
        }
        names: set[str] = set()
        for name in top_level:
            package = code_dir / name
            if not package.is_dir():
                names.add(name)
                continue
            for source in package.rglob("*.py"):
                parts = source.relative_to(code_dir).with_suffix("").parts
                names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
            names.update(
                ".".join(folder.relative_to(code_dir).parts)
                for folder in package.rglob("*")
                if folder.is_dir()
            )
        return _AssetModules(frozenset(top_level), tuple(sorted(names)))


class _Sandbox:
    """One execution environment of a function: its private modules, from its staged asset."""

    def __init__(self, spec: FunctionSpec, elsewhere: frozenset[str] = frozenset()) -> None:
        self.spec = spec
        asset = _AssetModules.of(spec.code_dir)
        self._top_level = asset.top_level
        self._asset_names = asset.names
        self._elsewhere = elsewhere - asset.top_level
        self._modules: dict[str, ModuleType] = {}
        self._loading = False
        self._handler: Callable[[Any, Any], Any] | None = None
        self.builtins: dict[str, Any] = {**builtins.__dict__, "__import__": self._import}
        self._finder = _SandboxFinder(self)
        self.timed_out = False
        self.log_stream = CloudWatchLogs.function_stream()
        """Its log stream: one per execution environment, as Lambda names them."""

    def owns(self, name: str) -> bool:
        return name.partition(".")[0] in self._top_level

    def _owned_in(self, modules: dict[str, ModuleType]) -> list[str]:
        """The names of `modules` that this sandbox's asset holds. It runs twice per import of the
        sandbox, so it looks up the asset's few dozen names instead of scanning the thousands
        loaded (that scan was half of a cold start's import time)."""
        return [name for name in self._asset_names if name in modules]

    def _load(self, name: str) -> ModuleType:
        """Import `name` into this sandbox (its modules are in sys.modules only meanwhile).

        Re-entrant: an import made while a module of this sandbox is executing (a package's
        ``__init__`` importing its own submodule) runs inside the import already in progress,
        which holds the partly initialized package in sys.modules as Python expects."""
        with _IMPORT_LOCK:
            if self._loading:
                return importlib.import_module(name)
            self._loading = True
            try:
                return self._load_outermost(name)
            finally:
                self._loading = False

    def _load_outermost(self, name: str) -> ModuleType:
        with _IMPORT_LOCK:
            if not self._modules:
                _fresh_process_state()
            displaced = {m: sys.modules.pop(m) for m in self._owned_in(sys.modules)}
            sys.modules.update(self._modules)
            sys.meta_path.insert(0, self._finder)
            try:
                return importlib.import_module(name)
            finally:
                sys.meta_path.remove(self._finder)
                self._modules.update({m: sys.modules.pop(m) for m in self._owned_in(sys.modules)})
                sys.modules.update(displaced)

    def _import(
        self,
        name: str,
        globals: dict[str, Any] | None = None,
        locals: Any = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> ModuleType:
        absolute = name
        if level:
            package = (globals or {}).get("__package__") or ""
            absolute = importlib.util.resolve_name("." * level + name, package)
        if not self.owns(absolute):
            if absolute.partition(".")[0] in self._elsewhere:
                # Lambda has only the asset and the layer: a package staged for other functions
                # is missing here, even though it is importable in this process.
                raise ModuleNotFoundError(f"No module named {absolute!r}", name=absolute)
            return builtins.__import__(name, globals, locals, fromlist, level)
        module = self._loaded(absolute) or self._load(absolute)
        for item in fromlist or ():
            if item != "*" and not hasattr(module, item):
                with suppress(ModuleNotFoundError):
                    self._loaded(f"{absolute}.{item}") or self._load(f"{absolute}.{item}")
        if fromlist or level:
            return module
        top = self._loaded(absolute.split(".", 1)[0])
        assert top is not None  # importing a submodule imported its package first
        return top

    def _loaded(self, name: str) -> ModuleType | None:
        """The sandbox's module `name` if imported: done, or (within an import of this sandbox in
        progress) already in sys.modules."""
        module = self._modules.get(name)
        if module is None and self._loading:
            module = sys.modules.get(name)
        return module

    def handler(self) -> Callable[[Any, Any], Any]:
        """Import the handler named in the template (call it within the invocation's environment:
        its module runs with the function's variables, as in Lambda's init phase)."""
        if self._handler is None:
            module_name, _, attribute = self.spec.handler.rpartition(".")
            self._handler = getattr(self._load(module_name), attribute)
        return self._handler


class LambdaService:
    """The functions of the template, invocable through boto3 as on AWS."""

    def __init__(
        self,
        region: str,
        logs: FunctionLogs,
        log_level: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        cloudwatch: CloudWatchLogs | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency is at least 1")
        self._region = region
        self._cloudwatch = cloudwatch
        self.concurrency = concurrency
        self._logs = logs
        self._log_level = log_level
        self._functions: dict[str, FunctionSpec] = {}
        self._staged_packages: frozenset[str] = frozenset()
        """Every top-level package staged for some function: one not in a function's own asset
        is missing in its sandboxes."""
        self._idle_sandboxes: dict[str, list[_Sandbox]] = {}
        self._in_use: Counter[str] = Counter()
        self._queued: dict[str, deque[tuple[clock.VirtualEvent, list[_Sandbox]]]] = {}
        self.invocations: Counter[str] = Counter()
        self.cold_starts: Counter[str] = Counter()
        self.throttles: Counter[str] = Counter()
        self.timeouts: Counter[str] = Counter()
        self.peak_concurrency: Counter[str] = Counter()
        """The most invocations each function ran at once."""
        self.busy_ms: defaultdict[str, float] = defaultdict(float)
        """Real milliseconds each function's invocations ran, summed (what Lambda bills as duration;
        here on this machine's speed, not AWS's)."""
        self._failures: dict[str, list[_InjectedFailure]] = {}
        self._random_failures: _RandomFailures | None = None
        self.injected: Counter[tuple[str, str, bool]] = Counter()
        """Failures injected at random, by (function, error, after the effect)."""
        self._lock = threading.Lock()

    # -- provisioning -----------------------------------------------------------------------
    def add(self, spec: FunctionSpec) -> None:
        """Take a function of the template; RuntimeMismatch when it runs another Python on AWS."""
        if spec.runtime != INTERPRETER_RUNTIME:
            raise RuntimeMismatch(
                f"function {spec.name} runs {spec.runtime} on AWS, but this is {INTERPRETER_RUNTIME}: run the"
                f" local runtime with the same Python (`make deps` builds .venv with the version in"
                f" .python-runtime; then use .venv/bin/python)"
            )
        self._functions[spec.name] = spec
        self._staged_packages |= _AssetModules.of(spec.code_dir).top_level

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

    def inject_failure(
        self,
        function: str,
        error: str,
        *,
        times: int = 1,
        message: str = "injected",
        after_effect: bool = False,
    ) -> None:
        """Make the next `times` invocations of a function fail.

        By default the handler does not run (the request never reached it). With
        `after_effect=True` the handler runs to the end, its writes commit, and then the caller
        gets the error instead of the result: the response was lost, the sandbox timed out after
        the write, the service failed on the way back. That is the failure that breaks sagas.

        `Lambda.<Code>` errors (Lambda.ServiceException, Lambda.TooManyRequestsException...)
        come back as the Lambda service's own errors; `Sandbox.Timedout` as a function timeout;
        `States.Timeout` as the calling state's own timeout (TimeoutSeconds) elapsing while it
        waited; any other name as if the handler had raised an exception of that class.
        """
        name = self.spec(function).name
        with self._lock:
            self._failures.setdefault(name, []).append(_InjectedFailure(error, message, times, after_effect))

    def inject_random_failures(
        self, rate: float, errors: tuple[str, ...], *, seed: int, after_effect_share: float = 0.5
    ) -> None:
        """From now on, fail each invocation a workflow makes (any function) with probability
        ``rate``: one of ``errors`` drawn at random, after the effect with probability
        ``after_effect_share``; the production weather a burst meets. Seeded, so a failing run
        can be replayed; what was injected is counted in ``injected``. ``rate`` 0 stops it."""
        with self._lock:
            self._random_failures = (
                _RandomFailures(rate, errors, after_effect_share, random.Random(seed)) if rate > 0 else None
            )

    def clear_failures(self) -> None:
        """Forget every injected failure not yet used, and stop random ones."""
        with self._lock:
            self._failures.clear()
            self._random_failures = None

    def _take_failure(self, name: str) -> _InjectedFailure | None:
        with self._lock:
            for failure in self._failures.get(name, []):
                if failure.remaining > 0:
                    failure.remaining -= 1
                    return failure
            weather = self._random_failures
            if weather is None or weather.draw.random() >= weather.rate:
                return None
            error = weather.draw.choice(weather.errors)
            after_effect = weather.draw.random() < weather.after_effect_share
            self.injected[(name, error, after_effect)] += 1
            return _InjectedFailure(error, "injected at random", 0, after_effect)

    # -- sandboxes --------------------------------------------------------------------------
    def limit(self, spec: FunctionSpec) -> int:
        """How many invocations of the function run at once: its reserved concurrency, else the
        runtime's."""
        return self.concurrency if spec.reserved_concurrency is None else spec.reserved_concurrency

    def _acquire(self, spec: FunctionSpec, *, queue: bool) -> _Sandbox:
        """A warm sandbox of the function if one is free, a new one (a cold start) while fewer
        than its concurrency are busy. At the limit a synchronous invocation is throttled
        (`Throttled`) and an asynchronous one (``queue``) waits for the next sandbox released (a
        virtual wait, first come first served). Every sandbox takes one invocation at a time."""
        name = spec.name
        with self._lock:
            limit = self.limit(spec)
            if self._in_use[name] >= limit:
                if not queue or limit == 0:
                    self.throttles[name] += 1
                    raise Throttled(name, limit, spec.reserved_concurrency is not None)
                handed: list[_Sandbox] = []
                turn = clock.VirtualEvent()
                self._queued.setdefault(name, deque()).append((turn, handed))
            else:
                self._in_use[name] += 1
                self.peak_concurrency[name] = max(self.peak_concurrency[name], self._in_use[name])
                idle = self._idle_sandboxes.setdefault(name, [])
                if idle:
                    return idle.pop()
                self.cold_starts[name] += 1
                return _Sandbox(spec, self._staged_packages)
        turn.wait()
        return handed[0]

    def _release(self, sandbox: _Sandbox) -> None:
        """To the next invocation waiting for one, else back to the pool; a sandbox that timed out
        is thrown away (as Lambda does) and a fresh one takes its place."""
        name = sandbox.spec.name
        with self._lock:
            if sandbox.timed_out:
                sandbox = _Sandbox(sandbox.spec, self._staged_packages)
                self.cold_starts[name] += 1
            queued = self._queued.get(name)
            if queued:
                turn, handed = queued.popleft()
                handed.append(sandbox)
                turn.set()
                return
            self._in_use[name] -= 1
            self._idle_sandboxes.setdefault(name, []).append(sandbox)

    def close(self) -> None:
        """Let the app's sandboxes go when the app stops.

        typing caches the types it parametrizes (``Annotated[str, AfterValidator(check)]``,
        ``Literal[...]``) process-wide, up to 128 per kind. A cached type whose validator is a
        function of a sandbox's module keeps that module, through its globals the sandbox's
        import hook, and so the sandbox, its clients and (through the clients' hooks) this whole
        service alive after the app stopped: every app of a test process stayed on the heap
        (100,000 objects each; a full collection, which runs every few orders, grew from 0.3 s
        to 0.65 s over five apps). The caches are emptied as CPython's own test runner empties
        them between tests; they refill at first use."""
        with self._lock:
            self._idle_sandboxes.clear()
        for cleanup in getattr(typing, "_cleanups", ()):
            cleanup()

    def running(self, function: str) -> int:
        """Invocations of the function running now."""
        with self._lock:
            return self._in_use[self.spec(function).name]

    # -- invocation -------------------------------------------------------------------------
    def invoke(self, function: str, payload: bytes, asynchronous: bool = False) -> InvokeResult:
        """Run the function (`Throttled` when a synchronous call finds it at its concurrency)."""
        spec = self.spec(function)
        if asynchronous:
            clock.ManagedThread(
                target=self._run, args=(spec, payload, True), name=f"invoke:{spec.name}", daemon=True
            ).start()
            return InvokeResult(payload=b"")
        return self._run(spec, payload)

    def _environment(self, spec: FunctionSpec, context: LambdaContext) -> dict[str, str]:
        env = {
            **spec.environment,
            **_LOCAL_LAMBDA_ENV,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
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
        return env

    def _run(self, spec: FunctionSpec, payload: bytes, queue: bool = False) -> InvokeResult:
        """One invocation: the handler runs in its own (managed) thread; the caller waits for it
        at most the function's timeout, in virtual time. Past it the handler's thread is frozen."""
        event = json.loads(payload) if payload else {}
        sandbox = self._acquire(spec, queue=queue)
        with self._lock:
            self.invocations[spec.name] += 1
        context = LambdaContext(spec, time.time() + spec.timeout_seconds, sandbox.log_stream)
        env = self._environment(spec, context)
        outcome: dict[str, Any] = {}
        finished = clock.VirtualEvent()
        started = time.perf_counter()
        with clock.timer_kind(clock.FUNCTION):
            worker = clock.ManagedThread(
                target=self._call_handler,
                args=(sandbox, env, event, context, outcome, finished),
                name=f"lambda:{spec.name}",
                daemon=True,
            )
            worker.start()
            on_time = finished.wait(spec.timeout_seconds)
        if not on_time:
            clock.CLOCK.freeze(worker)
            sandbox.timed_out = True
            with self._lock:
                self.timeouts[spec.name] += 1
            self._release(sandbox)
            message = f"Task timed out after {spec.timeout_seconds:.2f} seconds"
            self._ship(spec, sandbox, context, [message], started, "timeout")
            return _error_result("Sandbox.Timedout", message, context)
        self._release(sandbox)
        self._ship(
            spec,
            sandbox,
            context,
            outcome.get("output", []),
            started,
            "error" if "error" in outcome else None,
        )
        if "error" in outcome:
            error: BaseException = outcome["error"]
            return _error_result(type(error).__name__, str(error), context, error)
        return InvokeResult(payload=json.dumps(outcome.get("result")).encode())

    def _call_handler(
        self,
        sandbox: _Sandbox,
        env: dict[str, str],
        event: Any,
        context: LambdaContext,
        outcome: dict[str, Any],
        finished: clock.VirtualEvent,
    ) -> None:
        output: list[str] = []
        try:
            with stdout_router().routed(self._logs, sandbox.spec.name, output), environ.install().scoped(env):
                handler = sandbox.handler()
                _route_powertools_logs(stdout_router())
                outcome["result"] = handler(event, context)
        except Exception as error:  # noqa: BLE001 - every handler failure is reported, as Lambda does
            outcome["error"] = error
            output.append(json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}) + "\n")
        finally:
            outcome["output"] = output
            finished.set()

    def _ship(
        self,
        spec: FunctionSpec,
        sandbox: _Sandbox,
        context: LambdaContext,
        output: list[str],
        started: float,
        status: str | None,
    ) -> None:
        """The invocation's lines to its log stream in CloudWatch Logs (and its duration counted)."""
        self.busy_ms[spec.name] += (time.perf_counter() - started) * 1000
        if self._cloudwatch is None:
            return
        self._cloudwatch.invocation(
            group=spec.log_group_name,
            stream=sandbox.log_stream,
            request_id=context.aws_request_id,
            output="".join(output),
            duration_ms=(time.perf_counter() - started) * 1000,
            memory_mb=spec.memory_mb,
            json_format=spec.json_logs,
            outcome=status,
        )

    # -- botocore hook ----------------------------------------------------------------------
    def install(self, session: Any) -> None:
        """Answer lambda.Invoke on a session's event system, or a client's (``client.meta``)."""
        session.events.register(
            "before-call.lambda.Invoke", self._on_invoke, unique_id="local-runtime-invoke"
        )

    def uninstall(self, session: Any) -> None:
        session.events.unregister("before-call.lambda.Invoke", unique_id="local-runtime-invoke")

    def _on_invoke(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        function = unquote(params["url_path"].split("/functions/", 1)[1].split("/", 1)[0])
        headers = {key.lower(): value for key, value in params.get("headers", {}).items()}
        invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
        body = params.get("body") or b""
        payload = body.encode() if isinstance(body, str) else bytes(body)
        try:
            spec = self.spec(function)
        except FunctionNotFound as missing:
            return _http(404), _service_error(404, "ResourceNotFoundException", str(missing))
        failure = self._take_failure(spec.name)
        try:
            if failure is None or failure.after_effect:
                result = self.invoke(function, payload, asynchronous=invocation_type == "Event")
        except Throttled as throttled:
            error = _service_error(429, "TooManyRequestsException", str(throttled))
            error["Reason"] = throttled.reason
            return _http(429), error
        if failure is not None and failure.error == STATE_TIMEOUT:
            # The caller stopped waiting (a state's TimeoutSeconds): the engine's Lambda task
            # reads a TimeoutError as States.Timeout, whatever the invocation did meanwhile
            raise TimeoutError(failure.message)
        if failure is not None and failure.error.startswith("Lambda."):
            code = failure.error.removeprefix("Lambda.")
            status = 429 if code == "TooManyRequestsException" else 500
            return _http(status), _service_error(status, code, failure.message)
        if failure is not None:
            if not failure.after_effect:
                with self._lock:
                    self.invocations[spec.name] += 1
            body = {"errorMessage": failure.message, "errorType": failure.error}
            result = InvokeResult(payload=json.dumps(body).encode(), function_error="Unhandled")
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
