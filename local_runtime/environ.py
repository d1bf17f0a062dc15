"""Each Lambda invocation's own environment variables, without touching the process's.

On AWS every function runs in its own process, with its own `os.environ`. Here
the functions share one process, so while the app runs `os.environ` is an
`InvocationEnviron`: a thread running an invocation reads and writes its own
dictionary (the function's environment from the template plus Lambda's own
variables); every other thread sees the process's environment. Nothing is
swapped in and restored, so an invocation that timed out and goes on running
can only ever change its own dictionary, never what another invocation sees.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager


class InvocationEnviron(MutableMapping[str, str]):
    def __init__(self, process: MutableMapping[str, str]) -> None:
        self.process = process
        self._local = threading.local()

    def _current(self) -> MutableMapping[str, str]:
        scoped: MutableMapping[str, str] | None = getattr(self._local, "values", None)
        return self.process if scoped is None else scoped

    def __getitem__(self, key: str) -> str:
        return self._current()[key]

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """A lookup without `Mapping.get`'s raised and caught KeyError: botocore, moto and
        Powertools read a dozen variables on every call, most of them unset."""
        return self._current().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._current()

    def __setitem__(self, key: str, value: str) -> None:
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"str expected, not {type(key).__name__}/{type(value).__name__}")
        self._current()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._current()))

    def __len__(self) -> int:
        return len(self._current())

    def copy(self) -> dict[str, str]:
        return dict(self._current())

    @contextmanager
    def scoped(self, values: dict[str, str]) -> Iterator[dict[str, str]]:
        """Within the block, this thread sees `values` (the process's environment, overlaid)."""
        own = {**self.process, **values}
        previous = getattr(self._local, "values", None)
        self._local.values = own
        try:
            yield own
        finally:
            self._local.values = previous


_installed: InvocationEnviron | None = None


def install() -> InvocationEnviron:
    """Make `os.environ` per-invocation (idempotent); boto3 sessions created afterwards read it."""
    global _installed  # noqa: PLW0603 - there is one os.environ per process
    if _installed is None:
        _installed = InvocationEnviron(os.environ)
        os.environ = _installed  # type: ignore[assignment]  # noqa: B003 - a view, nothing to clear
    return _installed


def uninstall() -> None:
    global _installed  # noqa: PLW0603
    if _installed is not None:
        os.environ = _installed.process  # type: ignore[assignment]  # noqa: B003 - the original object
        _installed = None
