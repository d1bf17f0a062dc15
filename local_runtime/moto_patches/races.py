"""Staging a race: chosen AWS calls reach storage at the same moment, every time.

A lock the suite cannot race is a lock the suite has not proven. Running invocations side by side
makes races possible; whether two duplicate deliveries actually meet at the saga's lock still
depends on how the threads are scheduled. `RaceStage.gather` removes the chance: the first
``parties`` calls that match (service, operation, target table or queue, calling function) wait
at a gate, each in its own thread, until all of them have arrived, and then go in together.

While a gathered call is inside storage and storage is not atomic (`storage.disabled()`, moto as
shipped), each DynamoDB condition check it makes waits, once evaluated, until every party has made
as many (bounded by ``window``): the moment between a conditional write's check and its write, held
open. So every party checks before any writes, and a lock that relies on the condition is seen to
fail (two owners, an oversold item) every time rather than one run in a thousand. On atomic storage
the parties apply one after another and nothing is held open: there is no such moment.

The gate is bounded (``timeout``): a party that never comes does not hold the others for ever.
A party of the app waits on the virtual clock, so time can pass for the others to get there (a
pipe's batching window, a throttled invocation's retry); a test's own thread waits in real time.
The stage records whether everyone arrived (`Gathering.released`) so a test can assert the race
really happened.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import moto.dynamodb.models as dynamodb_models
import moto.dynamodb.models.table as dynamodb_tables

from local_runtime import clock, storage
from local_runtime.call_faults import call_targets, target_named

_CONTEXT_KEY = "local_runtime_race"
_UNIQUE = "local-runtime-races"
_inside = threading.local()
_originals: dict[tuple[str, str], Any] = {}
_HOOKS = (("before-parameter-build", "decide"), ("before-call", "gate"), ("after-call", "out"))


@dataclass
class Gathering:
    """One staged race. `arrived` counts the parties that reached the gate; `released` is True
    once they all did (False if the gate gave up waiting)."""

    service: str
    operation: str
    target: str | None
    function: str | None
    parties: int
    window: float
    timeout: float
    arrived: int = 0
    released: bool = False
    _all_in: clock.VirtualEvent = field(default_factory=clock.VirtualEvent)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _checks: dict[int, float] = field(default_factory=dict)
    _checked: threading.Condition = field(default_factory=threading.Condition)

    def matches(self, service: str, operation: str, caller: str | None, params: Mapping[str, Any]) -> bool:
        if self.service != service or self.operation != operation:
            return False
        if self.function is not None and self.function != caller:
            return False
        return self.target is None or any(target_named(self.target, t) for t in call_targets(params))

    def enter(self) -> bool:
        """Take a place at the gate if one is left; False when the race is already full."""
        with self._lock:
            if self.arrived >= self.parties:
                return False
            self.arrived += 1
            return True

    def wait(self) -> None:
        """Wait for the other parties. A thread of the app (a handler, the engine) waits on the
        virtual clock, so the others can get there even if time must pass first (a pipe's
        batching window, a retry's backoff): `timeout` virtual seconds. Any other thread (a
        test's) waits in real time, as long."""
        with self._lock:
            everyone = self.arrived >= self.parties
            if everyone:
                self.released = True
        if everyone:
            self._all_in.set()
        elif clock.is_managed():
            self._all_in.wait(self.timeout)
        else:
            self._all_in._real.wait(self.timeout)

    def hold_after_check(self) -> None:
        """A party evaluated a condition: wait (real time, at most ``window``) until every party
        that came through the gate has evaluated as many, or finished its call."""
        me = threading.get_ident()
        with self._checked:
            done = self._checks[me] = self._checks.get(me, 0) + 1
            self._checked.notify_all()
            self._checked.wait_for(
                lambda: len(self._checks) >= self.arrived and min(self._checks.values()) >= done,
                timeout=self.window,
            )

    def finished(self) -> None:
        """A party's call is over: nobody waits for its checks any more."""
        with self._checked:
            self._checks[threading.get_ident()] = float("inf")
            self._checked.notify_all()


class RaceStage:
    """The races a test stages on one local app."""

    def __init__(self) -> None:
        self._gatherings: list[Gathering] = []
        self._lock = threading.Lock()
        self._hooked: list[Any] = []

    def gather(
        self,
        service: str,
        operation: str,
        *,
        target: str | None = None,
        function: str | None = None,
        parties: int = 2,
        window: float = 2.0,
        timeout: float = 60.0,
    ) -> Gathering:
        """Make the next `parties` matching calls (botocore's service and operation names, a
        table / queue / bus name as `target`, a function name as `function`) go into storage
        together; returns the gathering, whose `arrived` and `released` a test checks."""
        gathering = Gathering(service, operation, target, function, parties, window, timeout)
        with self._lock:
            self._gatherings.append(gathering)
        return gathering

    def clear(self) -> None:
        with self._lock:
            self._gatherings.clear()

    # -- botocore hooks ---------------------------------------------------------------------
    def install(self, session: Any) -> None:
        """Hook a session's event system, or a client's (``client.meta``)."""
        _widen_conditions()
        self._hooked.append(session)
        session.events.register("before-parameter-build", self._decide, unique_id=f"{_UNIQUE}-decide")
        session.events.register("before-call", self._before_call, unique_id=f"{_UNIQUE}-gate")
        session.events.register("after-call", self._after_call, unique_id=f"{_UNIQUE}-out")

    def uninstall(self) -> None:
        for hooked in self._hooked:
            for event, suffix in _HOOKS:
                hooked.events.unregister(event, unique_id=f"{_UNIQUE}-{suffix}")
        self._hooked = []

    def _decide(self, params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self._gatherings:
            return
        _inside.gathering = None
        service = model.service_model.service_name
        caller = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        with self._lock:
            for gathering in self._gatherings:
                if gathering.matches(service, model.name, caller, params) and gathering.enter():
                    context[_CONTEXT_KEY] = gathering
                    return

    def _before_call(self, context: dict[str, Any], **_: Any) -> None:
        gathering: Gathering | None = context.get(_CONTEXT_KEY)
        if gathering is None:
            return
        gathering.wait()
        _inside.gathering = gathering

    def _after_call(self, context: dict[str, Any], **_: Any) -> None:
        gathering: Gathering | None = context.pop(_CONTEXT_KEY, None)
        if gathering is not None:
            _inside.gathering = None
            gathering.finished()


class _CheckedThenPaused:
    """A parsed DynamoDB condition whose evaluation, in a gathered call, is followed by the race
    window (the check is done, the write not yet)."""

    def __init__(self, condition: Any) -> None:
        self._condition = condition

    def expr(self, item: Any) -> Any:
        verdict = self._condition.expr(item)
        gathering: Gathering | None = getattr(_inside, "gathering", None)
        if gathering is not None and not storage.atomic_now():
            gathering.hold_after_check()
        return verdict

    def __getattr__(self, name: str) -> Any:
        return getattr(self._condition, name)


class _PausingParser:
    def __init__(self, parser: Any) -> None:
        self._parser = parser

    def parse(self) -> _CheckedThenPaused:
        return _CheckedThenPaused(self._parser.parse())


def _widen_conditions() -> None:
    """Every DynamoDB condition check (ConditionExpression and the legacy Expected, in PutItem,
    UpdateItem, DeleteItem and TransactWriteItems) pauses after itself in a gathered call
    (idempotent)."""
    if _originals:
        return
    for module in (dynamodb_models, dynamodb_tables):
        for name in ("get_filter_expression", "get_expected"):
            original = getattr(module, name, None)
            if original is not None:
                _originals[(module.__name__, name)] = original
                setattr(module, name, _pausing(original))
    original_parser = dynamodb_models.create_condition_expression_parser
    _originals[(dynamodb_models.__name__, "create_condition_expression_parser")] = original_parser
    dynamodb_models.create_condition_expression_parser = lambda *args, **kwargs: _PausingParser(  # type: ignore[assignment]
        original_parser(*args, **kwargs)
    )


def _pausing(build: Any) -> Any:
    def build_pausing(*args: Any, **kwargs: Any) -> _CheckedThenPaused:
        return _CheckedThenPaused(build(*args, **kwargs))

    return build_pausing
