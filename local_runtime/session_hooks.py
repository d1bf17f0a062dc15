"""Handlers hooked on botocore's event system, for the sessions and clients they are installed on.

A client copies its session's hooks when it is created, so a client made earlier is hooked itself
(``install(client.meta)``); `uninstall` takes every handler off everything it was installed on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class SessionHooks:
    def __init__(self, unique: str, handlers: dict[str, Callable[..., Any]]) -> None:
        """``handlers``: botocore event name → handler, registered under ``unique``."""
        self._unique = unique
        self._handlers = handlers
        self._hooked: list[Any] = []

    def install(self, session: Any) -> None:
        self._hooked.append(session)
        for event, handler in self._handlers.items():
            # botocore keys unique ids across events: one id per event, or the second is dropped
            session.events.register(event, handler, unique_id=f"{self._unique}:{event}")

    def uninstall(self) -> None:
        for hooked in self._hooked:
            for event in self._handlers:
                hooked.events.unregister(event, unique_id=f"{self._unique}:{event}")
        self._hooked = []
