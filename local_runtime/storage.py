"""Atomic storage: every AWS request applies atomically with respect to every other request.

DynamoDB applies each request atomically, and so do SQS, S3, EventBridge and Step Functions as
far as one caller can tell. moto's backends are plain Python objects without locks, and here
they are called from many threads at once: handlers running side by side, the engine's service
integrations, the pipes, a test, the served endpoint's request threads. Measured with threads
switching every microsecond (``sys.setswitchinterval(1e-6)``), 8 threads taking units off one
counter through a conditional ``UpdateItem`` lost updates (400 decrements succeeded while the
counter still showed 39 to 113 units), and 8 threads putting the same 60 keys with
``attribute_not_exists(pk)`` made two owners of a key. A lock the suite cannot race is a lock the
suite has not proven, so the runtime makes storage as atomic as AWS's.

One re-entrant lock, taken at moto's two entrances: the botocore stubber, which answers every
in-process client (handlers, the engine's integrations, the pipes, tests), and the Flask adapter
of moto's server, which answers the AWS CLI against ``make serve``. Every request runs alone
against every backend. It is one lock for all services, not one per service, because moto's
services call each other inside a request (PutEvents delivers to queues and starts executions,
an S3 put sends ``Object Created`` to the bus, a table's write appends to its stream, the
end of an execution puts its status-change event): per-service locks would leave those nested
writes unguarded or deadlock on lock order. Python runs one thread at a time anyway, so the
lock costs no parallelism that existed; what it costs per request is measured by
``make bench`` (the storage-lock table).

A request that waits on the virtual clock (SQS long polling, StartSyncExecution, TestState, a
Lambda invocation the engine makes inside a request) releases the lock while it waits, as
``clock.VirtualClock.block`` does for every waiter that holds it: a wait never holds storage.

The runtime's own direct reads of moto's state (the pipes reading a stream or a queue's depth)
take the same lock through ``atomic()``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_LOCK = threading.RLock()
_state = threading.local()


class StorageStats:
    """How often the lock was taken, and how often a request had to wait for another."""

    def __init__(self) -> None:
        self.requests = 0
        self.contended = 0

    def reset(self) -> None:
        self.requests = 0
        self.contended = 0


STATS = StorageStats()
_enabled = True
entrances_locked = False
"""Whether moto's entrances take the lock (`moto_patches.atomic_entrances`, switched off by
`moto_patches.without("storage_lock")`)."""
_entry_checks: list[Callable[[], None]] = []


def add_entry_check(check: Callable[[], None]) -> Callable[[], None]:
    """Call ``check()`` before every request enters storage (it raises to refuse the request:
    the Lambda service refuses the calls of an invocation that timed out); returns the undo."""
    _entry_checks.append(check)
    return lambda: _entry_checks.remove(check) if check in _entry_checks else None


@contextmanager
def atomic() -> Iterator[None]:
    """Hold storage: no other request applies meanwhile (re-entrant)."""
    if not _enabled:
        yield
        return
    contended = not _LOCK.acquire(blocking=False)
    if contended:
        _LOCK.acquire()
        STATS.contended += 1
    STATS.requests += 1
    try:
        yield
    finally:
        _LOCK.release()


def atomic_now() -> bool:
    """Whether requests apply atomically now (False inside `disabled()`, or with the lock's patch
    switched off: `moto_patches.without("storage_lock")`)."""
    return _enabled and entrances_locked


def owned() -> bool:
    """Whether this thread holds storage (inside a request)."""
    return bool(_LOCK._is_owned())  # type: ignore[attr-defined]  # CPython's RLock, as Condition uses it


@contextmanager
def released() -> Iterator[None]:
    """Let go of storage for the duration of a wait, however deeply this thread holds it, and take
    it back (at the same depth) afterwards; nothing happens if this thread does not hold it."""
    if not owned():
        yield
        return
    saved = _LOCK._release_save()  # type: ignore[attr-defined]
    try:
        yield
    finally:
        _LOCK._acquire_restore(saved)  # type: ignore[attr-defined]


@contextmanager
def disabled() -> Iterator[None]:
    """Run without the lock (moto as shipped: requests interleave); what the tests that show the
    gap use."""
    global _enabled  # noqa: PLW0603 - one storage per process
    previous, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = previous


def enter() -> None:
    """What every request runs before it takes the lock (the registered entry checks)."""
    for check in list(_entry_checks):
        check()
