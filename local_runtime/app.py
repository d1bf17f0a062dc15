"""`LocalApp`: the whole synthesized app, up on moto, in this process, on virtual time.

    with LocalApp("cdk.out") as app:
        response = app.api.request("POST", "/orders", body={...}, headers={...}, caller=customer)
        app.drain()                      # pipes, executions, functions, timers: until quiet
        app.advance(timedelta(minutes=5))  # the sweeper's schedule fires on its own
        app.executions("OutboxPublisher")

Time is virtual (see `clock.py`): it stands still while anything can run and
jumps to the next timer when nothing can. What a test means is said with:
`settle()` (run until quiescent at the current instant), `advance(duration)`
(let that much time pass, firing whatever falls due, in order), `run_until(condition,
within=...)`, `drain()` (run until only outside parties or schedules could move
anything) and `now()`. Outside parties (a payment provider) are registered with
`add_party` and act at their own virtual times (`after`, `at`).

Start order matters: moto's `mock_aws` resets boto3's default session when it
starts, and the Step Functions engine creates its clients from that session, so
the Lambda hook is registered on the default session *after* the mock started.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import boto3
import botocore
import botocore.auth
import botocore.config
import botocore.loaders
from moto import mock_aws

from local_runtime import clock, environ, moto_patches, once_per_process, outside_http, storage
from local_runtime.api_gateway import RestApi
from local_runtime.assembly import AssemblyError, StackArtifact, load_stacks
from local_runtime.call_faults import CallFaults
from local_runtime.clock import CLOCK, RuntimeNotQuiet, as_seconds
from local_runtime.cloudwatch_logs import CloudWatchLogs
from local_runtime.consumption import key_schema_of
from local_runtime.emitted_metrics import EmittedMetrics
from local_runtime.execution_events import StatusChangePublisher
from local_runtime.faults import EventBusProbe
from local_runtime.function_logs import FunctionLogs, stdout_router
from local_runtime.lambda_service import (
    DEFAULT_CONCURRENCY,
    FunctionSpec,
    LambdaService,
    forget_logger_configuration,
)
from local_runtime.moto_patches.races import RaceStage
from local_runtime.outside_http import OutsideService, OutsideWorld
from local_runtime.pipes import PipeRunner, pipe_from_template
from local_runtime.quotas import AccountQuotas
from local_runtime.resources import Provisioned, Provisioner, Resource
from local_runtime.schedules import Schedule, UnsupportedSchedule, rate_seconds, scheduled_event
from local_runtime.session_hooks import SessionHooks

LOCAL_ACCOUNT = "123456789012"

# What the runtime's process needs so botocore talks to moto: fake credentials,
# and the classic DynamoDB Streams endpoint (botocore 1.44 otherwise routes
# stream calls to an account-based endpoint moto does not serve).
_PROCESS_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    # A user pool's id derived from its name and settings (not random): every app of the process
    # then has the same id in the notification's definition, which is parsed once, not per app.
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
    # TOTP codes checked, as AWS checks them (moto accepts any code otherwise)
    "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true",
}


class _DropHandledFailureNoise(logging.Filter):
    """moto's interpreter logs an ERROR each time a Choice's `IsPresent` finds a path absent
    (the answer the Choice asked for) and each time a state fails (a Task error that Retry or
    Catch handles, a Fail state). Both are ordinary control flow and are in the execution
    history; anything else the interpreter logs stays visible."""

    _HANDLED = ("Exception=NoSuchJsonPathError", "Exception=FailureEventException")

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self._HANDLED)


logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").addFilter(
    _DropHandledFailureNoise()
)


class _DropClosedGapNoise(logging.Filter):
    """moto warns that ToleratedFailureCount/Percentage "have no effect on the program
    evaluation": here they do (`moto_patches`, `asl_extensions`), so the warning is not true."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "declarations currently have no effect" not in record.getMessage()


logging.getLogger("moto.stepfunctions.parser.asl.parse.preprocessor").addFilter(_DropClosedGapNoise())


class OutlivedApp(RuntimeWarning):
    """Threads of the app were still running after it stopped (a handler spinning in real time,
    a thread it started itself): named, so a leak is seen rather than silently left behind."""


STOP_GRACE_SECONDS = 2.0
"""Real seconds `stop()` gives the app's threads to end once every waiter was released."""


class ConditionNotMet(Exception):
    """`run_until` reached its virtual deadline and the condition still did not hold."""


class Party(Protocol):
    """An outside party (a payment provider, a partner): at each quiet instant it does what it
    has to do now (or schedules it with `app.after`) and says how many things it did."""

    def act(self, app: LocalApp) -> int: ...


def _discarding(action: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        action()

    return run


class _Round:
    """A plain callable as a party (what `drain(each_round=...)` takes)."""

    def __init__(self, each_round: Callable[[], int]) -> None:
        self._each_round = each_round

    def act(self, app: LocalApp) -> int:
        return self._each_round()


class _LocalSigner(botocore.auth.BaseSigner):
    """The Authorization header of SigV4 without its signature: what moto reads from it (the
    access key, for the account; the credential scope's region, which SQS takes from there) and
    nothing it does not check. Signing properly was a sixth of every in-process call's cost
    (the canonical headers are read through `email.message`, slowly), for a signature nobody here
    verifies."""

    REQUIRES_REGION = True

    def __init__(self, credentials: Any, service_name: str, region_name: str) -> None:
        self._access_key = getattr(credentials, "access_key", None) or "local"
        self._service = service_name
        self._region = region_name

    def add_auth(self, request: Any) -> None:
        moment = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        scope = f"{moment[:8]}/{self._region}/{self._service}/aws4_request"
        for header in ("Authorization", "X-Amz-Date"):
            if header in request.headers:
                del request.headers[header]
        request.headers["X-Amz-Date"] = moment
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self._access_key}/{scope}, SignedHeaders=host, Signature=local"
        )


_LOCAL_SIGNATURE = "local-runtime-v4"
botocore.auth.AUTH_TYPE_MAPS[_LOCAL_SIGNATURE] = _LocalSigner


def _local_signature(signature_version: Any = None, **_: Any) -> Any:
    if signature_version is botocore.UNSIGNED:
        return None
    return _LOCAL_SIGNATURE


def _unsigned(session: Any) -> None:
    """Requests answered in this process (moto's stubber) carry a signature-shaped header without
    the signing work (`_LocalSigner`). A session's clients, the handlers' and the engine's
    included, inherit it; the AWS CLI against the served endpoint, in its own process, signs."""
    session.events.register("choose-signer", _local_signature, unique_id="local-runtime-unsigned")


def _share_clients(session: Any) -> None:
    """One client per service and configuration for the whole app, whichever sandbox asks.

    Every sandbox creates its clients at its first invocation, and creating one costs more than
    most invocations (botocore builds the client class, its endpoint resolver and its hooks):
    a burst of ten orders, cold-starting ten sandboxes of every function, spent a fifth of its
    time there (measured, `make bench`). A botocore client is thread-safe and keeps no state a
    handler can see but its retry quota and the hooks registered on it, and the app's own hooks
    are the session's, copied into every client alike. What a handler builds on its client
    (its module's caches, the objects wrapping it) stays its sandbox's. The cache lives on this
    app's default session: the next app (a new mock, a new session) starts without it."""
    create = session.client
    clients: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()

    def client(*args: Any, **kwargs: Any) -> Any:
        config = kwargs.get("config")
        key = (
            args,
            tuple(sorted((name, repr(value)) for name, value in kwargs.items() if name != "config")),
            repr(sorted(getattr(config, "_user_provided_options", {}).items())),
        )
        with lock:
            if key not in clients:
                clients[key] = create(*args, **kwargs)
            return clients[key]

    session.client = client


@functools.cache
def _shared_loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


@functools.cache
def _app_client(service: str, region: str, retries: bool = True) -> Any:
    """The apps' own clients (provisioning, lookups, what tests call): one per service and region
    for the process, since creating one costs ~10 ms and an app start uses a dozen. Made from a
    session of their own, which mock_aws's reset of boto3's default session leaves alone; moto
    answers them as it answers every botocore client while a mock runs. A client copies its
    session's hooks when created, so each app hooks them itself (`LocalApp.client`).

    ``retries=False``: one attempt per call, for a service of the runtime that retries on its own
    terms (a pipe retries a throttled target on the virtual clock, as Pipes does); botocore's
    own backoff would sleep in real time in the thread that drives the clock."""
    session = boto3.session.Session(region_name=region)
    session._session.register_component("data_loader", _shared_loader())
    config = (
        None if retries else botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})
    )
    return session.client(service, region_name=region, config=config)


class LocalApp:
    def __init__(
        self,
        assembly_dir: str | Path = "cdk.out",
        *,
        stack: str | None = None,
        region: str = "eu-west-1",
        start_time: datetime | None = None,
        log_level: str | None = None,
        echo_logs: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        """`concurrency`: how many invocations of one function run at once when the template
        reserves none (a function's ReservedConcurrentExecutions wins); beyond it a synchronous
        invocation is throttled, as Lambda throttles."""
        stacks = load_stacks(assembly_dir)
        chosen = [s for s in stacks if stack is None or s.name == stack]
        if len(chosen) != 1:
            raise AssemblyError(f"choose one stack of {[s.name for s in stacks]}")
        self.stack: StackArtifact = chosen[0]
        self.region = region
        self.account = LOCAL_ACCOUNT
        self.start_time = start_time
        self.clock = CLOCK
        self.metrics = EmittedMetrics()
        """The metrics the functions emitted (their EMF documents, as CloudWatch reads them)."""
        self.logs = FunctionLogs(echo=echo_logs, on_line=self.metrics.take)
        self.cloudwatch = CloudWatchLogs(LOCAL_ACCOUNT, region)
        self.lambdas = LambdaService(
            region, self.logs, log_level=log_level, concurrency=concurrency, cloudwatch=self.cloudwatch
        )
        self.api = RestApi(self.lambdas, self.account)
        self.bus = EventBusProbe(self.account, region)
        self.calls = CallFaults()
        self.races = RaceStage()
        self.quotas = AccountQuotas(
            CLOCK.timestamp,
            key_of=key_schema_of(LOCAL_ACCOUNT, region),
            table_arn=lambda table: f"arn:aws:dynamodb:{region}:{LOCAL_ACCOUNT}:table/{table}",
        )
        """Account quotas enforced as AWS throttles them (none unless asked: `quotas.limit`)."""
        self.outside = OutsideWorld()
        self.pipes = PipeRunner(self._service_client, region, self.account)
        self.resources: Provisioned | None = None
        self.schedules: dict[str, Schedule] = {}
        self._parties: list[Party] = []
        self._mock: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._clients: dict[str, Any] = {}
        self._hooks: list[SessionHooks] = []
        self._unregister: list[Callable[[], None]] = []

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> LocalApp:
        if CLOCK.running:
            raise RuntimeError("another LocalApp runs in this process: stop it first (one clock, one moto)")
        env = {**_PROCESS_ENV, "AWS_DEFAULT_REGION": self.region}
        once_per_process.install()
        environ.install()
        self._saved_env = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        # mock_aws gives boto3 a new default session; its clients (the engine's, the handlers',
        # the app's) would load every service model again. The models are read-only data: one
        # loader serves every app of the process.
        boto3._get_default_session()._session.register_component("data_loader", _shared_loader())
        moto_patches.install()
        forget_logger_configuration()
        CLOCK.start(self.start_time)
        stdout_router().install()
        self.lambdas.install(boto3._get_default_session())
        self.calls.install(boto3._get_default_session())
        self.quotas.install(boto3._get_default_session())
        self.races.install(boto3._get_default_session())
        _unsigned(boto3._get_default_session())
        _share_clients(boto3._get_default_session())
        deliver_unobserved = self.bus.install()
        status_events = StatusChangePublisher(deliver_unobserved)

        def execution_ended(execution: Any) -> None:
            status = getattr(execution.exec_status, "value", str(execution.exec_status))
            self.pipes.execution_ended(execution.exec_arn, status, execution.error, execution.cause)
            status_events(execution)
            self.cloudwatch.execution(
                execution.state_machine, execution.exec_arn, execution.to_history_output()["events"]
            )

        self._unregister = [
            storage.add_entry_check(CLOCK.refuse_frozen),
            outside_http.install(self.outside),
            moto_patches.on_execution_end(execution_ended),
            moto_patches.on_source_write(self.pipes.source_written),
        ]
        CLOCK.add_timer_source(self.pipes.next_visible)
        CLOCK.on_jump(self.pipes.time_passed)
        provisioner = Provisioner(
            self.stack,
            self.region,
            self.account,
            extra={
                "AWS::Lambda::Function": self._provision_function,
                "AWS::Pipes::Pipe": self._provision_pipe,
                "AWS::ApiGateway::RestApi": self.api.provision_api,
                "AWS::ApiGateway::Resource": self.api.provision_resource,
                "AWS::ApiGateway::Method": self.api.provision_method,
                "AWS::ApiGateway::Authorizer": self.api.provision_authorizer,
            },
            clients=self.client,
        )
        self.resources = provisioner.provision_all()
        self._arm_schedules()
        return self

    def stop(self) -> list[str]:
        """Abort what still runs (as deleting the stack would), release every waiting thread (a
        frozen invocation is made to unwind) and give the process back its clock, environment and
        stdout. Returns the names of the threads that outlived the app, and warns (`OutlivedApp`)
        when there are any."""
        for schedule in self.schedules.values():
            schedule.cancel()
        for execution in moto_patches.live_executions():
            with contextlib.suppress(Exception):
                execution.stop(stop_date=datetime.now(), error="LocalApp.Stopped", cause="the app stopped")
        threads = CLOCK.live_threads()
        if CLOCK.running:
            CLOCK.stop()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            clock.real_sleep(0.005)
        outlived = sorted(t.name for t in threads if t.is_alive())
        if outlived:
            warnings.warn(
                OutlivedApp(f"{len(outlived)} threads outlived the app: {outlived[:20]}"), stacklevel=2
            )
        for unregister in self._unregister:
            unregister()
        self._unregister = []
        if self._mock is not None:
            self.lambdas.uninstall(boto3._get_default_session())
            self.calls.uninstall()
            self.races.uninstall()
            self.quotas.uninstall()
            for hooks in self._hooks:
                hooks.uninstall()
            self._hooks.clear()
            self._mock.stop()
            self._mock = None
        stdout_router().uninstall()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        environ.uninstall()
        for client in self._clients.values():
            self.lambdas.uninstall(client.meta)
        self._clients.clear()
        self.lambdas.close()
        return outlived

    def __enter__(self) -> LocalApp:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def set_safety_timeout(self, seconds: float) -> None:
        """Real seconds a thread waiting on the app (a test invoking a function, a served request)
        gives it to become quiet before `RuntimeNotQuiet` names what was still busy."""
        CLOCK.safety_seconds = seconds

    def _arm_schedules(self) -> None:
        """Every enabled rule with a rate(...) ScheduleExpression ticks on the clock."""
        assert self.resources is not None
        for rule in self.resources.of_type("AWS::Events::Rule"):
            expression = rule.properties.get("ScheduleExpression")
            if not expression or rule.properties.get("State", "ENABLED") != "ENABLED":
                continue
            try:
                period = rate_seconds(expression)
            except UnsupportedSchedule as unsupported:
                logging.getLogger(__name__).warning("%s: %s", rule.path, unsupported)
                continue
            schedule = Schedule(rule.path, period, functools.partial(self._fire_rule, rule))
            schedule.arm()
            self.schedules[rule.path] = schedule

    # -- claimed resource types -------------------------------------------------------------
    def _provision_function(
        self, p: Provisioner, logical_id: str, props: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        name = p.name_for(logical_id, "AWS::Lambda::Function", props.get("FunctionName"))
        arn = p.arn("lambda", f"function:{name}")
        code = props.get("Code", {})
        if "S3Key" not in code:
            raise AssemblyError(
                f"{logical_id}: only file-asset Lambda code runs locally (found {sorted(code)})"
            )
        self.lambdas.add(
            FunctionSpec(
                name=name,
                arn=arn,
                handler=props["Handler"],
                code_dir=self.stack.asset_dir(code["S3Key"]),
                environment={k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()},
                timeout_seconds=int(props.get("Timeout", 3)),
                memory_mb=int(props.get("MemorySize", 128)),
                runtime=str(props.get("Runtime", "")),
                reserved_concurrency=(
                    int(props["ReservedConcurrentExecutions"])
                    if props.get("ReservedConcurrentExecutions") is not None
                    else None
                ),
                log_group=str(props.get("LoggingConfig", {}).get("LogGroup") or ""),
                json_logs=props.get("LoggingConfig", {}).get("LogFormat") == "JSON",
            )
        )
        return name, {"Arn": arn}

    def _provision_pipe(
        self, p: Provisioner, logical_id: str, props: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        name = p.name_for(logical_id, "AWS::Pipes::Pipe", props.get("Name"))
        self.pipes.add(pipe_from_template(name, props))
        return name, {"Arn": p.arn("pipes", f"pipe/{name}")}

    # -- lookups ----------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """A boto3 client bound to the local app (moto): its Lambda invocations run the handlers
        and its calls meet the app's call faults, as the handlers' own clients do."""
        return self._hooked_client(service, retries=True)

    def hook(self, hooks: SessionHooks) -> None:
        """Install botocore hooks (a `ConsumptionMeter`...) on every client of the app: the
        handlers' and the engine's (the default session), the app's own and its services' (the
        pipes'), those made later included; removed when the app stops."""
        self._hooks.append(hooks)
        hooks.install(boto3._get_default_session())
        for client in self._clients.values():
            hooks.install(client.meta)

    def _service_client(self, service: str) -> Any:
        """The client a service of the runtime (the pipes) calls with: the app's hooks (faults,
        quotas), one attempt per call, since the service retries by its own rules."""
        return self._hooked_client(service, retries=False)

    def _hooked_client(self, service: str, *, retries: bool) -> Any:
        key = service if retries else f"{service}/no-retries"
        if key not in self._clients:
            client = _app_client(service, self.region, retries)
            self.lambdas.install(client.meta)
            self.calls.install(client.meta)
            self.quotas.install(client.meta)
            self.races.install(client.meta)
            for hooks in self._hooks:
                hooks.install(client.meta)
            _unsigned(client.meta)
            self._clients[key] = client
        return self._clients[key]

    def resource(self, resource_type: str, path_contains: str) -> Resource:
        """The resource of a type whose CDK construct path contains the given text."""
        if self.resources is None:
            raise RuntimeError("the app is not started")
        return self.resources.find(resource_type, path_contains)

    def output(self, name: str) -> Any:
        """A stack output's value, resolved as CloudFormation would (stable names for tests and scripts)."""
        if self.resources is None:
            raise RuntimeError("the app is not started")
        try:
            return self.resources.outputs[name]
        except KeyError as missing:
            raise LookupError(f"no output {name}; outputs: {sorted(self.resources.outputs)}") from missing

    def state_machine_arn(self, path_contains: str) -> str:
        """A state machine's ARN, given its ARN or a fragment of its CDK construct path."""
        if path_contains.startswith("arn:"):
            return path_contains
        return self.resource("AWS::StepFunctions::StateMachine", path_contains).ref

    def queue_url(self, path_contains: str) -> str:
        return self.resource("AWS::SQS::Queue", path_contains).ref

    def table_name(self, path_contains: str) -> str:
        return self.resource("AWS::DynamoDB::Table", path_contains).ref

    def function_name(self, path_contains: str) -> str:
        return self.resource("AWS::Lambda::Function", path_contains).ref

    # -- driving the app --------------------------------------------------------------------
    def serve_outside(self, url_prefix: str, service: OutsideService) -> Callable[[], None]:
        """Answer the functions' outbound HTTP(S) calls to URLs starting with ``url_prefix``
        (a third party such as the payment provider) until the app stops; returns the undo.
        Any other outbound URL is unreachable, as offline (``outside_http``)."""
        return self.outside.serve(url_prefix, service)

    def function_environment(self, path_contains: str) -> dict[str, str]:
        """A function's environment variables as the template sets them."""
        return dict(self.lambdas.spec(self.function_name(path_contains)).environment)

    def pause_pipe(self, path_contains: str) -> None:
        """Stop a pipe from polling (like setting its DesiredState to STOPPED): its source keeps
        what arrives. Lets a test watch one workflow without the ones it would trigger."""
        self.pipes.pipes[self.resource("AWS::Pipes::Pipe", path_contains).ref].enabled = False

    def resume_pipe(self, path_contains: str) -> None:
        self.pipes.pipes[self.resource("AWS::Pipes::Pipe", path_contains).ref].enabled = True

    # -- time -----------------------------------------------------------------------------
    def now(self) -> datetime:
        """The app's virtual now (what `datetime.now()` returns everywhere while it runs)."""
        return CLOCK.now()

    def add_party(self, party: Party) -> Party:
        """An outside party that acts whenever the app is quiet (see `Party`); returns it."""
        self._parties.append(party)
        return party

    def remove_party(self, party: Party) -> None:
        self._parties.remove(party)

    def after(self, delay: float | timedelta, action: Callable[[], object]) -> clock.Timer:
        """Run `action` (an outside party's move) once `delay` of virtual time has passed."""
        return CLOCK.call_later(as_seconds(delay), _discarding(action), clock.PARTY)

    def settle(self, timeout: float = 60.0) -> None:
        """Run until quiescent at the current instant: no execution or function can take a step,
        no pipe has anything to deliver, no party has anything to do now. Time does not move.
        `timeout` is a real-time safety net (a handler spinning forever), never a timer."""
        self._settle(time.monotonic() + timeout, self._parties)

    def _settle(self, deadline: float, parties: list[Party]) -> None:
        while True:
            seen = CLOCK.activity
            due = CLOCK.next_due()
            if due is not None and due <= CLOCK.timestamp():
                CLOCK.jump_to(CLOCK.timestamp())  # zero-delay timers of this instant
                continue
            if self.pipes.pump():
                continue
            if not CLOCK.wait_for_quiet(seen, deadline):
                if time.monotonic() > deadline:
                    raise RuntimeNotQuiet(self._busy_report("still busy after the real-time safety timeout"))
                continue
            if sum(party.act(self) for party in parties):
                continue
            if CLOCK.busy == 0 and CLOCK.activity == seen:
                return

    def _run_timers(
        self,
        done: Callable[[], bool],
        limit: float,
        deadline: float,
        parties: list[Party],
        *,
        exclude: frozenset[str] = frozenset(),
    ) -> bool:
        """Settle, then jump timer after timer (never past `limit`) until `done()`; True if it got
        there, False once nothing (not excluded) is due before `limit`."""
        self._settle(deadline, parties)
        while not done():
            if CLOCK.next_due(exclude=exclude) is None or (due := CLOCK.next_due()) is None or due > limit:
                return False
            self._jump(due, deadline, parties)
        return True

    def _jump(self, when: float, deadline: float, parties: list[Party]) -> None:
        CLOCK.jump_to(when)
        self._settle(deadline, parties)

    def advance(self, duration: float | timedelta, timeout: float = 60.0) -> None:
        """Let `duration` of virtual time pass: every timer that falls due fires, in order, and the
        app settles at each instant; then the clock stands at now + duration."""
        deadline = time.monotonic() + timeout
        target = CLOCK.timestamp() + as_seconds(duration)
        self._run_timers(lambda: False, target, deadline, self._parties)
        self._jump(target, deadline, self._parties)

    def run_until(
        self,
        condition: Callable[[], bool],
        *,
        within: float | timedelta = timedelta(hours=1),
        timeout: float = 60.0,
    ) -> datetime:
        """Run, timer after timer, until `condition()` holds; returns the virtual time it held.
        Raises `ConditionNotMet` once `within` of virtual time passed without it."""
        deadline = time.monotonic() + timeout
        limit = CLOCK.timestamp() + as_seconds(within)
        if not self._run_timers(condition, limit, deadline, self._parties):
            self.advance(limit - CLOCK.timestamp(), timeout)
            if not condition():
                raise ConditionNotMet(f"not met within {within}; pending timers: {CLOCK.pending()[:10]}")
        return CLOCK.now()

    def drain(
        self,
        timeout: float = 60.0,
        *,
        within: float | timedelta = timedelta(days=1),
        each_round: Callable[[], int] | None = None,
    ) -> None:
        """Run until quiet: pipes, executions, functions and every timer they set, in virtual time,
        until nothing is left but executions parked on a task token only an outside party can
        answer (`parked_executions()`: answer, then drain again) and periodic schedules.
        Registered parties act at their times (a provider answering after 4 minutes is waited
        for, and a heartbeat that expires first fires first). `each_round` is a party for this
        drain only. Raises `RuntimeNotQuiet` if timers still fall due after `within`."""
        parties = [*self._parties, *([_Round(each_round)] if each_round else [])]
        deadline = time.monotonic() + timeout
        limit = CLOCK.timestamp() + as_seconds(within)
        self._run_timers(lambda: False, limit, deadline, parties, exclude=clock.WAITING_ON_OUTSIDE)
        if CLOCK.next_due(exclude=clock.WAITING_ON_OUTSIDE) is not None:
            raise RuntimeNotQuiet(f"timers still due after {within}: {CLOCK.pending()[:10]}")

    def _busy_report(self, headline: str) -> str:
        running = [e.exec_arn.rsplit(":", 2)[-2] for e in moto_patches.live_executions()]
        return (
            f"{headline}: {CLOCK.busy} busy threads {CLOCK.busy_threads()[:20]},"
            f" running executions {running[:20]}"
        )

    # -- executions, read from the engine ---------------------------------------------------
    def parked_executions(self) -> list[str]:
        """Executions waiting for a task token to be answered (SendTaskSuccess/Failure/Heartbeat)."""
        return [e.exec_arn for e in moto_patches.live_executions() if moto_patches.awaiting_callback(e)]

    def run_schedule(self, path_contains: str) -> list[str]:
        """Fire a scheduled rule now, as EventBridge would at its next tick; returns started executions."""
        return self._fire_rule(self.resource("AWS::Events::Rule", path_contains))

    def _fire_rule(self, rule: Resource) -> list[str]:
        event = scheduled_event(rule.arn(), self.account, self.region)
        started = []
        for target in rule.properties.get("Targets", []):
            payload = target.get("Input") or json.dumps(event)
            if ":states:" not in target["Arn"]:
                raise NotImplementedError(f"scheduled target {target['Arn']} is not emulated")
            execution = self.client("stepfunctions").start_execution(
                stateMachineArn=target["Arn"], name=f"schedule-{uuid.uuid4().hex}", input=payload
            )
            started.append(execution["executionArn"])
        return started

    def subscribe(self, event_bus: str, pattern: dict[str, Any]) -> str:
        """A queue receiving every event of the bus that matches the pattern (what a consumer would see)."""
        name = f"local-tap-{uuid.uuid4().hex[:12]}"
        sqs, events = self.client("sqs"), self.client("events")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=name, EventBusName=event_bus, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, EventBusName=event_bus, Targets=[{"Id": "tap", "Arn": arn}])
        return str(url)

    def receive_all(self, queue_url: str) -> list[dict[str, Any]]:
        """Every message currently in a queue, parsed as JSON when it is JSON, and deleted."""
        sqs = self.client("sqs")
        bodies: list[dict[str, Any]] = []
        while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                try:
                    bodies.append(json.loads(message["Body"]))
                except json.JSONDecodeError:
                    bodies.append({"raw": message["Body"]})
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    # -- reading executions -----------------------------------------------------------------
    def executions(self, state_machine: str) -> list[dict[str, Any]]:
        """Executions of a state machine (ARN or construct path fragment), oldest first, each described."""
        sfn = self.client("stepfunctions")
        arn = self.state_machine_arn(state_machine)
        listed = (
            sfn.get_paginator("list_executions")
            .paginate(stateMachineArn=arn)
            .build_full_result()["executions"]
        )
        described = [sfn.describe_execution(executionArn=e["executionArn"]) for e in listed]
        return sorted(described, key=lambda d: d["startDate"])

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every event of an execution, oldest first (all its pages)."""
        pages = self.client("stepfunctions").get_paginator("get_execution_history")
        events: list[dict[str, Any]] = pages.paginate(executionArn=execution_arn).build_full_result()[
            "events"
        ]
        return events

    def states_visited(self, execution_arn: str) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.history(execution_arn)
            if "stateEnteredEventDetails" in e
        ]

    def wait_for(self, execution_arn: str, within: float | timedelta = timedelta(hours=1)) -> dict[str, Any]:
        """Run until an execution leaves RUNNING (time passes as needed); returns its description."""
        sfn = self.client("stepfunctions")
        self.run_until(
            lambda: sfn.describe_execution(executionArn=execution_arn)["status"] != "RUNNING", within=within
        )
        result: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        return result
