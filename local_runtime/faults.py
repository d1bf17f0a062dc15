"""Fault injection and call accounting for the bus, for tests and benchmarks.

A workflow that retries only the entries PutEvents rejected can only be tested
if PutEvents rejects some. `EventBusProbe` wraps moto's PutEvents for one
account and region: it counts calls and entries, and fails the entries a test
chooses (as EventBridge does, per entry, with an ErrorCode) while the rest of
the batch is delivered. It can also fail entries without saying which: the
response's FailedEntryCount counts them, but their results carry neither an
EventId nor an ErrorCode, the answer a publisher must not mistake for success. It
can even lose entries without counting them: FailedEntryCount 0, and results with
no EventId. And it can fail whole calls with an API error, as an outage does.

It keeps every entry the bus accepted (`published`), marked `FromPlatform` when the platform's
own code put it (a function or a state machine, on a thread the runtime runs) rather than a test
or a caller of the endpoint: what the platform told its consumers, for the contract tests to
check against the events' schemas and for a run's events to be saved.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_runtime import clock
from local_runtime.moto_patches import backends

EntryPredicate = Callable[[dict[str, Any]], bool]

INJECTED_ERROR_MESSAGE = "injected by the local runtime"

UNATTRIBUTED = {"ErrorCode": None}
"""The backend result of an entry failed without attribution. moto's response counts every result
with an ``ErrorCode`` key in FailedEntryCount and writes None as null, which botocore drops when
it parses the response: the caller gets the failure counted and an empty result ``{}``."""


UNACCOUNTED: dict[str, Any] = {}
"""The backend result of an entry lost without a count: no ``ErrorCode`` key, so moto's
FailedEntryCount leaves it out, and no ``EventId``: the caller gets ``{}`` for it."""


_KEPT = ("Source", "DetailType", "Detail", "EventBusName")


@dataclass
class _Rule:
    predicate: EntryPredicate
    remaining: int | None
    result: dict[str, Any]


@dataclass
class EventBusProbe:
    account: str
    region: str
    calls: int = 0
    entries: int = 0
    rejected: int = 0
    published: list[dict[str, Any]] = field(default_factory=list)
    """Every entry the bus accepted, in order: Source, DetailType, Detail, EventBusName, EventId,
    FromPlatform, Time (when the bus took it, on the clock the app runs on)."""
    _rules: list[_Rule] = field(default_factory=list)
    _failing_calls: list[tuple[str, str]] = field(default_factory=list)

    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> Callable[[list[dict[str, Any]]], Any]:
        """Wrap moto's PutEvents; returns the unwrapped one, for events AWS itself emits
        (those are neither counted nor rejected)."""
        backend = backends.events_backend(self.account, self.region)
        original: Callable[[list[dict[str, Any]]], Any] = backend.put_events

        def put_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            with self._lock:
                self.calls += 1
                self.entries += len(events)
                if self._failing_calls:
                    raise backends.ServiceError(*self._failing_calls.pop(0))
                verdicts = [self._rejects(event) for event in events]
            passed = [event for event, failure in zip(events, verdicts, strict=True) if failure is None]
            results = original(passed)
            self._keep(passed, results)
            accepted = iter(results)
            return [next(accepted) if failure is None else dict(failure) for failure in verdicts]

        backend.put_events = put_events  # type: ignore[method-assign]
        return original

    def _keep(self, passed: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
        from_platform, now = clock.is_managed(), datetime.now(UTC).isoformat()
        kept = [
            {
                **{k: event.get(k) for k in _KEPT},
                "EventId": result["EventId"],
                "FromPlatform": from_platform,
                "Time": now,
            }
            for event, result in zip(passed, results, strict=True)
            if result.get("EventId")
        ]
        with self._lock:
            self.published += kept

    def reject(
        self,
        predicate: EntryPredicate,
        *,
        times: int | None = None,
        error_code: str = "InternalFailure",
        error_message: str = INJECTED_ERROR_MESSAGE,
    ) -> None:
        """Reject matching entries (`times` rejections in all, or forever when None)."""
        self._add(predicate, times, {"ErrorCode": error_code, "ErrorMessage": error_message})

    def reject_event_ids(
        self,
        event_ids: set[str],
        *,
        times: int | None = None,
        error_code: str = "InternalFailure",
        error_message: str = INJECTED_ERROR_MESSAGE,
    ) -> None:
        """Reject the entries whose Detail carries one of these outbox event ids."""
        self.reject(
            lambda entry: _event_id(entry) in event_ids,
            times=times,
            error_code=error_code,
            error_message=error_message,
        )

    def fail_unattributed(self, predicate: EntryPredicate, *, times: int | None = None) -> None:
        """Fail matching entries without attributing the failure: they are not delivered and
        FailedEntryCount counts them, but their results carry no EventId and no ErrorCode."""
        self._add(predicate, times, UNATTRIBUTED)

    def lose_uncounted(self, predicate: EntryPredicate, *, times: int | None = None) -> None:
        """Lose matching entries and say nothing: they are not delivered, FailedEntryCount stays
        0, and their results are empty (no EventId, no ErrorCode)."""
        self._add(predicate, times, UNACCOUNTED)

    def fail_calls(
        self, times: int, *, error_code: str = "InternalException", message: str = INJECTED_ERROR_MESSAGE
    ) -> None:
        """Fail the next `times` PutEvents calls as a whole: the API answers with this error
        (the workflow engine names it ``EventBridge.<error_code>``) and nothing is delivered."""
        with self._lock:
            self._failing_calls.extend([(error_code, message)] * times)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._failing_calls.clear()

    def _add(self, predicate: EntryPredicate, times: int | None, result: dict[str, Any]) -> None:
        with self._lock:
            self._rules.append(_Rule(predicate, times, result))

    def _rejects(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """The failed result for this entry, or None when it goes to the bus."""
        for rule in self._rules:
            if rule.remaining == 0 or not rule.predicate(event):
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
            self.rejected += 1
            return rule.result
        return None


def _event_id(entry: dict[str, Any]) -> str | None:
    try:
        value = json.loads(entry.get("Detail", "{}")).get("eventId")
    except json.JSONDecodeError:
        return None
    return str(value) if value is not None else None
