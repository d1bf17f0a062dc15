"""Files served beside the AWS APIs on the endpoint's own port (``--static PREFIX=PATH``).

Why beside the APIs and not on a port of their own: a page served from the endpoint's origin can
call the AWS APIs with `fetch` as any SDK does (same origin, no CORS to emulate), and a user has
one address to open. What is mounted is the caller's: the runtime knows nothing of a console, it
serves the files it is told to (a directory, or one file such as the stack's outputs).

A directory without an ``index.html`` answers a request for itself with the JSON list of its
files (what a page needs to offer them, e.g. sample inputs). Nothing outside a mount is served:
a path that resolves outside it is a 404, as is a missing file.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def parse_mount(text: str) -> tuple[str, Path]:
    """``/console/=console`` → ("/console/", Path("console")); ValueError naming what is wrong."""
    prefix, separator, path = text.partition("=")
    if not separator or not prefix.startswith("/") or not path:
        raise ValueError(f"{text!r} is not /URL_PREFIX=PATH")
    if not Path(path).exists() and not Path(path).parent.is_dir():  # a file may come later (outputs)
        raise ValueError(f"{path!r} does not exist")
    return prefix, Path(path)


class StaticFiles:
    """WSGI middleware: GET and HEAD under a mounted prefix are answered from disk; every other
    request goes on to the AWS APIs."""

    def __init__(self, inner: WsgiApp, mounts: dict[str, Path]) -> None:
        self._inner = inner
        # the longest prefix first, so /console/vendor/ wins over /console/
        self._mounts = sorted(((p, Path(d).resolve()) for p, d in mounts.items()), key=lambda m: -len(m[0]))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self._inner(environ, start_response)
        for prefix, root in self._mounts:
            if path == prefix.rstrip("/") and prefix.endswith("/"):
                start_response("301 Moved Permanently", [("Location", prefix), ("Content-Length", "0")])
                return [b""]
            if path.startswith(prefix) or path == prefix:
                return self._serve(root, path[len(prefix) :], environ, start_response)
        return self._inner(environ, start_response)

    def _serve(
        self, root: Path, relative: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        target = (root / relative).resolve() if relative else root
        if not (target == root or target.is_relative_to(root)):
            return _answer(start_response, "404 Not Found", b"not found", "text/plain")
        if target.is_dir():
            index = target / "index.html"
            if index.is_file():
                target = index
            else:
                names = sorted(p.name for p in target.iterdir() if p.is_file() and not p.name.startswith("."))
                return _answer(start_response, "200 OK", json.dumps(names).encode(), "application/json")
        if not target.is_file():
            return _answer(start_response, "404 Not Found", b"not found", "text/plain")
        body = target.read_bytes()
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        head = environ.get("REQUEST_METHOD") == "HEAD"
        return _answer(start_response, "200 OK", b"" if head else body, kind, length=len(body))


def _answer(
    start_response: Callable[..., Any], status: str, body: bytes, kind: str, length: int | None = None
) -> Iterable[bytes]:
    start_response(
        status,
        [
            ("Content-Type", kind),
            ("Content-Length", str(len(body) if length is None else length)),
            ("Cache-Control", "no-store"),  # the outputs file and the page change between sessions
        ],
    )
    return [body]
