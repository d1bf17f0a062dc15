"""The whole synthesized app behind one local endpoint, for the AWS CLI, boto3 and curl.

    python -m local_runtime.serve [--port 4566] [--api-port 4567] [--outputs outputs.json]
                                  [--party MODULE:FACTORY ...] [--virtual-clock] [--concurrency N]
                                  [--static /PREFIX/=PATH ...] [--assembly cdk.out]

One process holds everything: moto in server mode answers the AWS APIs on ``--port`` (the
services' requests reach the same backends the app was provisioned in), the app's pipes,
Lambda dispatcher (``lambda invoke`` runs the real handler), virtual clock and outside parties
run beside it, and the stack's REST APIs answer plain HTTP on ``--api-port``, each under its own
id (``http://127.0.0.1:4567/<api id>/``, where AWS gives each API a host): the outputs file,
in the shape ``cdk deploy --outputs-file`` writes, has every API URL (``OrdersApiUrl``,
``PaymentWebhookUrl``) rewritten to it. The file is removed when the server starts (an earlier
session's must not pass for this one's), written whole once the endpoint answers, and removed
again when it stops. The clock
follows wall time here: a driver lets as much virtual time pass as real time did, so a Wait of
5 s takes 5 s; with ``--virtual-clock`` it jumps to the next timer whenever the app is quiet.
Ctrl-C (or SIGTERM) stops it cleanly: servers closed, threads joined, ports free. ``--static``
serves files beside the AWS APIs on their port (`static_files`: a page there calls the APIs from
the same origin), each mount's URL printed at start.

The AWS CLI talks to it with ``--endpoint-url http://127.0.0.1:4566`` and credentials of any
value; StartSyncExecution and TestState need ``AWS_DISABLE_HOST_PREFIX_INJECTION=true`` (their
API adds a ``sync-`` host prefix, which a local address cannot take).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from werkzeug.serving import BaseWSGIServer, make_server

from local_runtime.app import LocalApp
from local_runtime.gc_policy import collect_less_often
from local_runtime.lambda_service import DEFAULT_CONCURRENCY, FunctionNotFound, LambdaService, Throttled
from local_runtime.moto_patches import backends
from local_runtime.static_files import StaticFiles, parse_mount

SHUTDOWN_POLL_SECONDS = 0.02
"""How often a server looks for a shutdown request (what a stop waits at most, per server)."""
DRIVER_TICK_SECONDS = 0.05
_EXECUTE_API_URL = re.compile(r"https://([a-z0-9]+)\.execute-api\.[^/]+/[^/]+/")
"""An API's invoke URL on AWS: host named by the API id, then the stage."""
_INVOKE_PATH = "/2015-03-31/functions/"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_log = logging.getLogger("local_runtime.serve")


class _Unemulated:
    """WSGI middleware: an operation moto does not implement is refused at once, in AWS's error
    shape (``UnknownOperationException``, HTTP 400) with one log line, instead of an HTTP 500
    and a traceback, which the AWS CLI retries for seconds before giving up."""

    def __init__(self, inner: WsgiApp) -> None:
        self._inner = inner

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return self._inner(environ, start_response)
        except NotImplementedError as missing:
            target = (
                environ.get("HTTP_X_AMZ_TARGET")
                or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
            )
            _log.warning("not emulated locally: %s (%s)", target, missing)
            message = f"{target} is not emulated by the local endpoint"
            if "json" in str(environ.get("CONTENT_TYPE", "")):
                body = json.dumps({"__type": "UnknownOperationException", "message": message}).encode()
                content_type = "application/x-amz-json-1.0"
            else:
                body = (
                    "<ErrorResponse><Error><Type>Sender</Type><Code>UnknownOperationException</Code>"
                    f"<Message>{message}</Message></Error></ErrorResponse>"
                ).encode()
                content_type = "text/xml"
            start_response(
                "400 Bad Request",
                [("Content-Type", content_type), ("Content-Length", str(len(body)))],
            )
            return [body]


class _LambdaInvoke:
    """WSGI middleware: ``lambda invoke`` runs the function's real handler (moto's own Lambda
    backend needs Docker); every other request goes to moto."""

    def __init__(self, inner: WsgiApp, lambdas: LambdaService) -> None:
        self._inner = inner
        self._lambdas = lambdas

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and path.rstrip("/") == _INVOKE_PATH.rstrip("/"):
            return self._list(start_response)
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or not path.startswith(_INVOKE_PATH)
            or not path.endswith("/invocations")
        ):
            return self._inner(environ, start_response)
        function = unquote(path[len(_INVOKE_PATH) :].split("/", 1)[0])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = environ["wsgi.input"].read(length) if length else b""
        invocation_type = environ.get("HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse")
        try:
            result = self._lambdas.invoke(function, payload, asynchronous=invocation_type == "Event")
        except FunctionNotFound as missing:
            body = json.dumps({"Type": "User", "message": str(missing)}).encode()
            start_response(
                "404 Not Found",
                [("x-amzn-ErrorType", "ResourceNotFoundException"), ("Content-Type", "application/json")],
            )
            return [body]
        except Throttled as throttled:
            refusal = {"Type": "User", "message": str(throttled), "Reason": throttled.reason}
            body = json.dumps(refusal).encode()
            start_response(
                "429 Too Many Requests",
                [("x-amzn-ErrorType", "TooManyRequestsException"), ("Content-Type", "application/json")],
            )
            return [body]
        headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
        if result.function_error:
            headers.append(("X-Amz-Function-Error", result.function_error))
        start_response("202 Accepted" if invocation_type == "Event" else "200 OK", headers)
        return [b"" if invocation_type == "Event" else result.payload]

    def _list(self, start_response: Callable[..., Any]) -> Iterable[bytes]:
        """ListFunctions: the template's functions, as the runtime runs them."""
        functions = [
            {
                "FunctionName": spec.name,
                "FunctionArn": spec.arn,
                "Runtime": spec.runtime,
                "Handler": spec.handler,
                "Timeout": int(spec.timeout_seconds),
                "MemorySize": spec.memory_mb,
            }
            for spec in self._lambdas.functions()
        ]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"Functions": functions}).encode()]


_CLOCK_PATH = "/_local/clock"


class _ClockControl:
    """WSGI middleware: the one thing the endpoint answers that is not an AWS API, the runtime's
    clock. ``GET /_local/clock`` gives the virtual time, whether it follows wall time, and the
    timers that will fire (due time and kind: a Wait, a Retry, a task's timeout, a heartbeat, a
    schedule); ``POST /_local/clock`` with ``{"advanceSeconds": N}`` lets N seconds of virtual
    time pass at once, every timer due meanwhile firing in order (what a console's "advance"
    button does, and a script can too). A negative or non-numeric N is a 400."""

    def __init__(self, inner: WsgiApp, endpoint: LocalEndpoint) -> None:
        self._inner = inner
        self._endpoint = endpoint

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != _CLOCK_PATH:
            return self._inner(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                seconds = float(json.loads(environ["wsgi.input"].read(length) or b"{}")["advanceSeconds"])
                if not 0 <= seconds <= 366 * 86400:
                    raise ValueError(seconds)
            except (ValueError, KeyError, TypeError) as bad:
                return _json_answer(
                    start_response,
                    "400 Bad Request",
                    {"message": f'expected {{"advanceSeconds": N >= 0}}: {bad}'},
                )
            self._endpoint.advance(seconds)
        elif method != "GET":
            return _json_answer(start_response, "405 Method Not Allowed", {"message": "GET or POST"})
        return _json_answer(start_response, "200 OK", self._endpoint.clock_state())


def _json_answer(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> Iterable[bytes]:
    encoded = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(encoded)))])
    return [encoded]


def _api_handler(app: LocalApp) -> type[BaseHTTPRequestHandler]:
    class ApiHandler(BaseHTTPRequestHandler):
        """The stack's REST APIs over plain HTTP (``/<api id>/<path>``), answered by the template's
        routes and functions; a path under no API id is no API's (403, as API Gateway answers)."""

        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            api_id, _, path = parts.path.lstrip("/").partition("/")
            if api_id not in app.api.apis.values():
                api_id, path = "", ""
            answer = app.api.request(
                self.command,
                f"/{path}",
                api=api_id,
                body=body,
                headers={key: value for key, value in self.headers.items()},
                query=dict(parse_qsl(parts.query)),
                caller=self.headers.get("X-Local-Caller"),
            )
            encoded = answer.body.encode()
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                if key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return ApiHandler


class LocalEndpoint:
    """A started app with its AWS endpoint, API endpoint and wall-time clock driver."""

    def __init__(
        self,
        app: LocalApp,
        host: str,
        port: int,
        api_port: int,
        *,
        virtual_clock: bool = False,
        static: dict[str, Path] | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.virtual_clock = virtual_clock
        self.static = dict(static or {})
        aws: WsgiApp = _ClockControl(
            _Unemulated(_LambdaInvoke(backends.server_application(), app.lambdas)), self
        )
        self._ticking = threading.Lock()
        """Held by the driver for each tick and by an advance asked for over HTTP: one moves time."""
        self._aws: BaseWSGIServer = make_server(
            host, port, StaticFiles(aws, self.static) if self.static else aws, threaded=True
        )
        self._api = ThreadingHTTPServer((host, api_port), _api_handler(app))
        self._api.daemon_threads = True
        self._stop = threading.Event()
        # Each server checks for shutdown between polls: socketserver's default half second made
        # every stop take a second (two servers, one after the other), in every test and Ctrl-C.
        serving = {"poll_interval": SHUTDOWN_POLL_SECONDS}
        self._threads = [
            threading.Thread(
                target=self._aws.serve_forever, kwargs=serving, name="local-aws-endpoint", daemon=True
            ),
            threading.Thread(
                target=self._api.serve_forever, kwargs=serving, name="local-api-endpoint", daemon=True
            ),
            threading.Thread(target=self._drive, name="local-clock-driver", daemon=True),
        ]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._aws.server_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self._api.server_address[1]}/"

    def start(self) -> LocalEndpoint:
        # Following wall time, the driver owns time: a request waiting on the app (lambda invoke,
        # start-sync-execution) waits for it rather than jumping the clock ahead of the wall.
        self.app.clock.driven_externally = not self.virtual_clock
        for thread in self._threads:
            thread.start()
        return self

    def _drive(self) -> None:
        """Wall time: each tick lets the real time that passed pass, so a Wait of 5 s takes 5 s.
        Virtual time (``virtual_clock``): each tick runs the app until it is quiet, jumping over
        every timer on the way (a 4-minute payment answer arrives at once), as the tests do;
        executions parked on a task token wait for you, periodic schedules for wall time."""
        last = time.monotonic()
        while not self._stop.wait(DRIVER_TICK_SECONDS):
            now = time.monotonic()
            try:
                with self._ticking:
                    if self.virtual_clock:
                        self.app.drain(within=timedelta(days=30))
                    else:
                        self.app.advance(now - last)
            except Exception as error:  # noqa: BLE001 - one bad tick must not stop the endpoint
                print(f"local endpoint: {type(error).__name__}: {error}", file=sys.stderr)
            last = now

    def advance(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass now (between two of the driver's ticks)."""
        with self._ticking:
            self.app.advance(seconds)

    def clock_state(self) -> dict[str, Any]:
        """The virtual time and the timers that will fire, soonest first (at most 100)."""
        return {
            "now": self.app.now().isoformat(),
            "followsWallTime": not self.virtual_clock,
            "timers": [
                {"due": due.isoformat(), "kind": kind} for due, kind in self.app.clock.pending()[:100]
            ],
        }

    def outputs(self) -> dict[str, dict[str, Any]]:
        """The stack's outputs as ``cdk deploy --outputs-file`` writes them (each API URL at its
        local address)."""
        assert self.app.resources is not None
        values = {
            key: _EXECUTE_API_URL.sub(lambda found: f"{self.api_url}{found.group(1)}/", value)
            if isinstance(value, str)
            else value
            for key, value in self.app.resources.outputs.items()
        }
        return {self.app.stack.name: values}

    def stop(self) -> None:
        self._stop.set()
        self._aws.shutdown()
        self._api.shutdown()
        for thread in self._threads:
            thread.join(timeout=10)
        self._aws.server_close()
        self._api.server_close()


def main(argv: list[str] | None = None) -> int:
    collect_less_often()
    parser = argparse.ArgumentParser(description="Serve the synthesized app behind one local AWS endpoint.")
    parser.add_argument("--assembly", default="cdk.out")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566, help="the AWS APIs (0: any free port)")
    parser.add_argument(
        "--api-port", type=int, default=4567, help="the orders API over HTTP (0: any free port)"
    )
    parser.add_argument("--outputs", default="outputs.json", help="where to write the stack outputs")
    parser.add_argument(
        "--virtual-clock",
        action="store_true",
        help="time jumps to the next timer whenever the app is quiet, instead of following wall time",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help="invocations of one function at once, unless the template reserves concurrency for it;"
        " beyond it Lambda throttles (TooManyRequestsException)",
    )
    parser.add_argument(
        "--party",
        action="append",
        default=[],
        metavar="MODULE:FACTORY",
        help="an outside party the app talks to (e.g. a payment provider), made by FACTORY(app) once the"
        " app is up and added to it (repeatable); the runtime knows nothing of the app it serves",
    )
    parser.add_argument(
        "--static",
        action="append",
        default=[],
        metavar="/PREFIX/=PATH",
        help="serve a directory (or one file) at PREFIX on the AWS endpoint's port (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        factories = [_party_factory(name) for name in args.party]
    except (ImportError, AttributeError, ValueError) as error:
        print(f"--party: {error}", file=sys.stderr)
        return 2
    try:
        static = dict(parse_mount(mount) for mount in args.static)
    except ValueError as error:
        print(f"--static: {error}", file=sys.stderr)
        return 2
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per AWS call
    outputs = Path(args.outputs)
    outputs.unlink(missing_ok=True)  # an earlier session's file must not say "ready" for this one
    with LocalApp(args.assembly, log_level="WARNING", concurrency=args.concurrency) as app:
        for factory in factories:
            app.add_party(factory(app))
        try:
            endpoint = LocalEndpoint(
                app, args.host, args.port, args.api_port, virtual_clock=args.virtual_clock, static=static
            ).start()
        except OSError as error:
            print(f"cannot listen on {args.host}: {error}", file=sys.stderr)
            return 1
        publish_outputs(outputs, endpoint.outputs())
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        print(
            f"AWS endpoint {endpoint.url}  APIs {endpoint.api_url}<api id>/  outputs {args.outputs}",
            flush=True,
        )
        for prefix, path in static.items():
            print(f"{path}: {endpoint.url}{prefix}", flush=True)
        try:
            stopped.wait()
        finally:
            endpoint.stop()
            outputs.unlink(missing_ok=True)  # what it described is gone: no later session may trust it
            print("stopped", flush=True)
    return 0


def _party_factory(name: str) -> Callable[[LocalApp], Any]:
    """``MODULE:FACTORY`` resolved to the callable (a class or a function taking the app)."""
    module_name, separator, attribute = name.partition(":")
    if not separator or not module_name or not attribute:
        raise ValueError(f"{name!r} is not MODULE:FACTORY")
    factory = getattr(importlib.import_module(module_name), attribute)
    if not callable(factory):
        raise ValueError(f"{name!r} is not callable")
    return cast(Callable[[LocalApp], Any], factory)


def publish_outputs(path: Path, outputs: dict[str, dict[str, Any]]) -> None:
    """Write the outputs file whole (a reader waiting for it never sees half of it), once the
    endpoint answers: a script's readiness wait (`until [ -s outputs.json ]`) is then true."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(outputs, indent=2) + "\n")
    partial.replace(path)


if __name__ == "__main__":
    sys.exit(main())
