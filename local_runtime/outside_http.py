"""The world outside the app, as the app's functions reach it over HTTP(S).

On AWS a function calls third parties over the internet (here: the payment provider, at the
endpoint the deployment was configured with). Locally nothing leaves the machine: while an app
runs, every `urllib.request` call in the process is answered by the outside service registered
for that URL's prefix (`LocalApp.serve_outside`), in the calling thread, synchronously, as a
socket would; any other URL fails at once with the `URLError` an unreachable host gives, except
this machine's own addresses (a local endpoint), which are connected to for real. So a
function's outbound call never waits on DNS or a real network, and a scenario decides what the
outside party answers: a status, a body, a timeout (raise `TimeoutError`), a dropped connection
(raise `ConnectionResetError`).

Why urllib only: it is what the task code uses for third-party HTTP (the standard library, no
extra dependency); AWS calls go through botocore and are answered by moto.
"""

from __future__ import annotations

import email.message
import functools
import io
import threading
import urllib.error
import urllib.request
import urllib.response
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit


@dataclass(frozen=True)
class OutsideRequest:
    """One request a function sent out."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header's value, whatever the case of its name."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)


@dataclass(frozen=True)
class OutsideResponse:
    """What the outside service answers."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


OutsideService = Callable[[OutsideRequest], OutsideResponse]


class OutsideWorld:
    """The outside services of the running app, by URL prefix."""

    def __init__(self) -> None:
        self._services: dict[str, OutsideService] = {}
        self._lock = threading.Lock()

    def serve(self, url_prefix: str, service: OutsideService) -> Callable[[], None]:
        """Answer every request whose URL starts with ``url_prefix`` (replacing the service that
        answered it before: a scenario may swap the party behind an endpoint); returns the undo."""
        with self._lock:
            self._services[url_prefix] = service

        def unserve() -> None:
            with self._lock:
                if self._services.get(url_prefix) is service:
                    del self._services[url_prefix]

        return unserve

    def find(self, url: str) -> OutsideService | None:
        """The service of the longest prefix of ``url``, or None."""
        with self._lock:
            matches = [prefix for prefix in self._services if url.startswith(prefix)]
            return self._services[max(matches, key=len)] if matches else None

    def clear(self) -> None:
        with self._lock:
            self._services.clear()


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class _OutsideHandler(urllib.request.BaseHandler):
    handler_order = 100  # before the default HTTP(S) handlers (500): nothing reaches a socket

    def __init__(self, world: OutsideWorld) -> None:
        self._world = world

    def http_open(self, req: urllib.request.Request) -> urllib.response.addinfourl | None:
        url = req.full_url
        service = self._world.find(url)
        if service is None and urlsplit(url).hostname in _LOOPBACK:
            return None  # this machine (a local endpoint): the default handlers connect to it
        if service is None:
            raise urllib.error.URLError(f"offline: no outside service answers {url}")
        data = req.data if isinstance(req.data, bytes) else b""
        answer = service(
            OutsideRequest(method=req.get_method(), url=url, headers=dict(req.header_items()), body=data)
        )
        headers = email.message.Message()
        for name, value in answer.headers.items():
            headers[name] = value
        response = urllib.response.addinfourl(io.BytesIO(answer.body), headers, url, answer.status)
        response.msg = _reason(answer.status)  # type: ignore[attr-defined]  # read by HTTPErrorProcessor
        return response

    https_open = http_open


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class _CurrentWorld(OutsideWorld):
    """The world of the running app, behind the one opener the process builds (building one
    creates an SSL context: ~16 ms an app start would pay)."""

    def __init__(self) -> None:
        super().__init__()
        self.world: OutsideWorld | None = None

    def find(self, url: str) -> OutsideService | None:
        return None if self.world is None else self.world.find(url)


_current = _CurrentWorld()


@functools.cache
def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_OutsideHandler(_current))


def install(world: OutsideWorld) -> Callable[[], None]:
    """Have `urllib.request.urlopen` answered by ``world`` while the app runs; returns the undo
    (which restores the opener that was installed before and forgets every service)."""
    previous = getattr(urllib.request, "_opener", None)  # private: the only way to restore it
    _current.world = world
    urllib.request.install_opener(_opener())

    def restore() -> None:
        urllib.request.install_opener(previous)  # type: ignore[arg-type]  # None resets to the default
        _current.world = None
        world.clear()

    return restore
