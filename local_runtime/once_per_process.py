"""Work a process hosting the runtime would repeat for every app and every sandbox, done once.

Each answer here depends only on its input text, never on the app, the sandbox or the time, so
working it out once changes no behaviour; measured with ``py-spy --gil`` on ``make test``:

* **Dataclass methods.** `dataclasses` writes the source of a class's ``__init__``, ``__eq__``,
  ``__hash__``... and compiles it, for every class it decorates. A sandbox imports its modules
  cold, as Lambda's init does, so every cold start compiles the same text again (3 % of the
  suite's CPU, more than any one request). The compiled code object is immutable: it is kept
  per source text, and executed into a new namespace each time, so each class still gets
  functions of its own, with its own globals and defaults. The sandbox's module code is
  already read once per process (`lambda_service._CODE`); this is the same for the code
  `dataclasses` generates.
* **botocore's event names.** Every botocore session and every client copies an event system
  that translates each event name through botocore's aliases, and remembers the translations
  only for itself: each app's session (registering ~300 handlers) and each client worked them
  out again (2 % of the suite's CPU). The translation depends only on the alias table, so every
  event system with botocore's own table shares one memo.
* **botocore's user agent.** Every request builds its User-Agent header again, replacing the
  characters a header may not hold in each of its components one character at a time (1 % of
  the suite's CPU). The components are the same few dozen strings on every request, so each is
  cleaned once.
"""

from __future__ import annotations

import builtins
import dataclasses
import threading
from types import CodeType
from typing import Any

from botocore import hooks, useragent

_lock = threading.Lock()

_compiled: dict[str, CodeType] = {}
_alias_names: dict[str, str] = {}
"""Event name -> the name botocore's own alias table makes of it (shared by every event system
that uses that table)."""


def _exec_compiled_once(source: Any, globals: Any = None, locals: Any = None) -> None:
    """`exec` as `dataclasses` calls it, with each source text compiled once per process."""
    if isinstance(source, str):
        code = _compiled.get(source)
        if code is None:
            code = _compiled[source] = compile(source, "<string>", "exec")
        source = code
    builtins.exec(source, globals, locals)


_shipped_aliaser_init = hooks.EventAliaser.__init__


def _aliaser_init(self: hooks.EventAliaser, event_emitter: Any, event_aliases: Any = None) -> None:
    _shipped_aliaser_init(self, event_emitter, event_aliases)
    if self._event_aliases == hooks.EVENT_ALIASES:
        self._alias_name_cache = _alias_names


_shipped_sanitize = useragent.sanitize_user_agent_string_component
_sanitized: dict[tuple[str, bool], str] = {}


def _sanitize_once(raw_str: Any, allow_hash: bool) -> str:
    """botocore's cleaning of one User-Agent component, remembered per component."""
    if type(raw_str) is not str:
        return str(_shipped_sanitize(raw_str, allow_hash))
    key = (raw_str, bool(allow_hash))
    clean = _sanitized.get(key)
    if clean is None:
        clean = _sanitized[key] = _shipped_sanitize(raw_str, allow_hash)
    return clean


def install() -> None:
    """Idempotent, and for the life of the process: nothing to undo, since no behaviour changed."""
    with _lock:
        dataclasses.exec = _exec_compiled_once  # type: ignore[attr-defined]
        hooks.EventAliaser.__init__ = _aliaser_init  # type: ignore[method-assign]
        useragent.sanitize_user_agent_string_component = _sanitize_once
