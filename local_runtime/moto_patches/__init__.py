"""Everything the runtime changes in moto, and the only code that reaches into moto's internals.

moto 5.2.5 is the storage and the Step Functions engine the runtime runs on. Where it differs
from AWS in a way this project meets, a patch closes the gap. Each patch is declared once, in the
module of its service, with the gap it closes, the moto version it was written for and the test
that shows the gap on moto as shipped (`declare`); the catalogue prints them and judges a newer
moto by those tests (``python -m local_runtime.patch_catalogue [unneeded]``).

By service:

* `stepfunctions_engine`: the engine on the virtual clock (threads, timers, callback waits),
  parse once, an execution's start and end, JSONata, mocked responses, Map failures;
  `asl_extensions` (the ASL AWS accepts and moto's grammar does not), `http_task` (the HTTP
  Task), `mock_config` (Step Functions Local's MockConfigFile);
* `stepfunctions_api`: the API's answers, and the operations moto lacks (`redrive`,
  `test_state`, StartSyncExecution, ValidateStateMachineDefinition);
* `events`, `sqs`, `dynamodb`, `cognito`: one module each;
* `atomic_entrances`: every request applies atomically (`local_runtime.storage`'s lock at
  moto's entrances), and `speedups`: repeated costs paid once; both for every service;
* `backends`: the runtime's reads and writes of moto's state (queues, streams, rules, logs),
  so that nothing outside this package imports moto beyond ``mock_aws``;
* `races`: the instrument that stages a race inside storage (the suite's, not a gap).

A different moto refuses to start (`UnsupportedMotoVersion`) rather than run half-patched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import moto

from local_runtime.moto_patches import (
    atomic_entrances,
    cognito,
    dynamodb,
    events,
    http_task,
    speedups,
    sqs,
    stepfunctions_api,
    stepfunctions_engine,
)
from local_runtime.moto_patches.cognito import pool_public_keys, user_pool_exists
from local_runtime.moto_patches.declare import PINNED_MOTO_VERSION, Gap, Patch
from local_runtime.moto_patches.source_writes import on_source_write
from local_runtime.moto_patches.stepfunctions_engine import (
    EXPRESS_MAX_SECONDS,
    awaiting_callback,
    is_express,
    live_executions,
    on_execution_end,
    wait_for_end,
)

__all__ = [
    "EXPRESS_MAX_SECONDS",
    "PATCHES",
    "PINNED_MOTO_VERSION",
    "Gap",
    "Patch",
    "UnsupportedMotoVersion",
    "awaiting_callback",
    "install",
    "is_express",
    "live_executions",
    "on_execution_end",
    "on_source_write",
    "patch",
    "pool_public_keys",
    "switchable",
    "uninstall",
    "user_pool_exists",
    "wait_for_end",
    "without",
]

PATCHES: tuple[Patch, ...] = (
    *stepfunctions_engine.PATCHES,
    *http_task.PATCHES,
    *stepfunctions_api.PATCHES,
    *events.PATCHES,
    *sqs.PATCHES,
    *dynamodb.PATCHES,
    *cognito.PATCHES,
    *speedups.PATCHES,
    *atomic_entrances.PATCHES,
)
"""Every patch, in the order `install` applies them (`uninstall` reverts them in reverse)."""

_BY_KEY = {p.key: p for p in PATCHES}
_SHARED_KEYS = sorted({p.key for p in PATCHES if [q.key for q in PATCHES].count(p.key) > 1})
if _SHARED_KEYS:  # pragma: no cover - a declaration error, caught at import
    raise RuntimeError(f"two patches of moto share a key: {_SHARED_KEYS}")
_lock = threading.RLock()


class UnsupportedMotoVersion(RuntimeError):
    """The patches were written against another moto; re-check each gap before moving the pin."""


def install() -> None:
    """Apply every patch (idempotent)."""
    if moto.__version__ != PINNED_MOTO_VERSION:
        raise UnsupportedMotoVersion(
            f"local_runtime patches target moto {PINNED_MOTO_VERSION}, found {moto.__version__}"
        )
    with _lock:
        for each in PATCHES:
            each.apply()


def uninstall() -> None:
    """Moto as shipped (the tests that need several gaps open at once)."""
    with _lock:
        for each in reversed(PATCHES):
            each.revert()


def patch(key: str) -> Patch:
    """The patch declared under `key` (KeyError naming the known keys otherwise)."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"no patch {key!r}; the patches are {sorted(_BY_KEY)}") from None


def switchable() -> frozenset[str]:
    """The keys `without` can switch off: every patch's."""
    return frozenset(_BY_KEY)


@contextmanager
def without(key: str) -> Iterator[None]:
    """Moto as shipped for one patch, every other patch still on: what a gap test runs under."""
    switched = patch(key)
    with _lock:
        was_applied = switched.applied
        switched.revert()
    try:
        yield
    finally:
        if was_applied:
            with _lock:
                switched.apply()
