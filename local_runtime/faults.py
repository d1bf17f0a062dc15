"""Fault injection and call accounting for the bus, for tests and benchmarks.

A workflow that retries only the entries PutEvents rejected can only be tested
if PutEvents rejects some. `EventBusProbe` wraps moto's PutEvents for one
account and region: it counts calls and entries, and fails the entries a test
chooses (as EventBridge does, per entry, with an ErrorCode) while the rest of
the batch is delivered.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.events.models import events_backends

EntryPredicate = Callable[[dict[str, Any]], bool]


@dataclass
class _Rule:
    predicate: EntryPredicate
    remaining: int | None
    error_code: str


@dataclass
class EventBusProbe:
    account: str
    region: str
    calls: int = 0
    entries: int = 0
    rejected: int = 0
    _rules: list[_Rule] = field(default_factory=list)

    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> Callable[[list[dict[str, Any]]], Any]:
        """Wrap moto's PutEvents; returns the unwrapped one, for events AWS itself emits
        (those are neither counted nor rejected)."""
        backend = events_backends[self.account][self.region]
        original: Callable[[list[dict[str, Any]]], Any] = backend.put_events

        def put_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            with self._lock:
                self.calls += 1
                self.entries += len(events)
                verdicts = [self._rejects(event) for event in events]
            accepted = iter(original([e for e, code in zip(events, verdicts, strict=True) if code is None]))
            results = []
            for code in verdicts:
                if code is None:
                    results.append(next(accepted))
                else:
                    results.append({"ErrorCode": code, "ErrorMessage": "injected by the local runtime"})
            return results

        backend.put_events = put_events  # type: ignore[method-assign]
        return original

    def reject(
        self,
        predicate: EntryPredicate,
        *,
        times: int | None = None,
        error_code: str = "InternalFailure",
    ) -> None:
        """Reject matching entries (`times` rejections in all, or forever when None)."""
        with self._lock:
            self._rules.append(_Rule(predicate, times, error_code))

    def reject_event_ids(self, event_ids: set[str], *, times: int | None = None) -> None:
        """Reject the entries whose Detail carries one of these outbox event ids."""
        self.reject(lambda entry: _event_id(entry) in event_ids, times=times)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def _rejects(self, event: dict[str, Any]) -> str | None:
        for rule in self._rules:
            if rule.remaining == 0 or not rule.predicate(event):
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
            self.rejected += 1
            return rule.error_code
        return None


def _event_id(entry: dict[str, Any]) -> str | None:
    try:
        value = json.loads(entry.get("Detail", "{}")).get("eventId")
    except json.JSONDecodeError:
        return None
    return str(value) if value is not None else None
