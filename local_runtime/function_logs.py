"""Per-function log capture, the local stand-in for CloudWatch Logs.

Handlers log to stdout (Powertools' JSON logger binds to whatever `sys.stdout`
is when it is created). While the app runs, `sys.stdout` is one router object
that sends each function thread's writes to that function's log and everything
else to the stdout it stood in for (pytest's capture, a terminal). Invocations
run concurrently, so the router is installed once (`install`) and each
invocation only names its function for its own thread (`routed`).
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

_MAX_LINES_PER_FUNCTION = 20_000


class _StdoutRouter:
    def __init__(self, passthrough: TextIO, local: threading.local | None = None) -> None:
        self._passthrough = passthrough
        self._local = local if local is not None else threading.local()
        self._installed = False

    def write(self, text: str) -> int:
        sink: FunctionLogs | None = getattr(self._local, "sink", None)
        name: str | None = getattr(self._local, "function", None)
        if sink is None or name is None:
            return self._passthrough.write(text)
        sink.append(name, text)
        capture: list[str] | None = getattr(self._local, "capture", None)
        if capture is not None:
            capture.append(text)
        return len(text)

    def flush(self) -> None:
        self._passthrough.flush()

    def isatty(self) -> bool:
        return False

    def _routes(self, stream: object) -> bool:
        return stream is self or (isinstance(stream, _StdoutRouter) and stream._local is self._local)

    def install(self) -> None:
        """Route the process's stdout. Asked again while another stdout stands in (an invocation
        inside a caller's ``redirect_stdout`` block, or a test's capture), it routes through a
        layer over that one instead of taking it for its own passthrough: when the block ends and
        puts the router back, print goes where it went before the block, not into its buffer."""
        current = sys.stdout
        if self._routes(current):
            return
        if self._installed:
            sys.stdout = _StdoutRouter(current, self._local)
            return
        self._passthrough = current
        sys.stdout = self
        self._installed = True

    def uninstall(self) -> None:
        current = sys.stdout
        if self._routes(current):
            sys.stdout = current._passthrough  # type: ignore[union-attr]
        self._installed = False

    @contextmanager
    def routed(self, sink: FunctionLogs, function: str, capture: list[str] | None = None) -> Iterator[None]:
        """This thread's writes go to `function`'s log in `sink` (and, in order, to `capture`:
        one invocation's output, for its log stream)."""
        self.install()
        self._local.sink, self._local.function, self._local.capture = sink, function, capture
        try:
            yield
        finally:
            self._local.sink = self._local.function = self._local.capture = None

    def __getattr__(self, name: str) -> object:
        return getattr(self._passthrough, name)


_router_lock = threading.Lock()
_router: _StdoutRouter | None = None


def stdout_router() -> _StdoutRouter:
    """The process-wide router (handlers' loggers keep a reference to it, so there is only one)."""
    global _router  # noqa: PLW0603 - one router per process is the point
    with _router_lock:
        if _router is None:
            _router = _StdoutRouter(sys.stdout)
        return _router


class FunctionLogs:
    """Lines written by each function, newest last, bounded per function."""

    def __init__(self, echo: bool = False, on_line: Callable[[str, str], None] | None = None) -> None:
        """``on_line(function, line)`` hears each complete line (the emitted metrics read them)."""
        self._lines: dict[str, deque[str]] = {}
        self._partial: dict[str, str] = {}
        self._echo = echo
        self._on_line = on_line
        self._lock = threading.Lock()

    def append(self, function: str, text: str) -> None:
        with self._lock:
            buffer = self._partial.get(function, "") + text
            *complete, rest = buffer.split("\n")
            self._partial[function] = rest
            lines = self._lines.setdefault(function, deque(maxlen=_MAX_LINES_PER_FUNCTION))
            lines.extend(complete)
        if self._on_line is not None:
            for line in complete:
                self._on_line(function, line)
        if self._echo:
            for line in complete:
                sys.__stderr__.write(f"[{function}] {line}\n") if sys.__stderr__ else None

    def lines(self, function: str) -> list[str]:
        with self._lock:
            return list(self._lines.get(function, ()))
