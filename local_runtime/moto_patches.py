"""Every change the runtime makes to moto's Step Functions engine, in one place.

Each patch closes a gap between moto 5.2.5 and AWS that this project meets,
is pinned to that version (a different moto refuses to start rather than run
half-patched), can be removed again (`uninstall`), and has a test under
tests/local_runtime that fails without it.

* `aws-sdk:eventbridge:*` tasks fail with "Unknown service: 'eventbridge'":
  map the SDK service name to boto3's `events`, with AWS's error prefix `EventBridge`.
* Wait states and Retry intervals sleep in real time:
  scale both by `Clock` (tests only; the definitions never change).
"""

from __future__ import annotations

import threading
import time as _real_time
from typing import Any

import moto
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service,
    state_task_service_aws_sdk,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from local_runtime.clock import Clock

PINNED_MOTO_VERSION = "5.2.5"


class UnsupportedMotoVersion(RuntimeError):
    """The patches were written against another moto; re-check each gap before moving the pin."""


class _ScaledTime:
    """Stands in for the `time` module inside moto's retrier: only `sleep` is scaled."""

    def sleep(self, seconds: float) -> None:
        _real_time.sleep(Clock.scaled(seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(_real_time, name)


def _scaled_wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
    """A Wait state's interval, scaled; an aborted execution still interrupts it."""
    if wait_seconds > 0:
        env.program_state_event.wait(Clock.scaled(wait_seconds))


_lock = threading.Lock()
_originals: dict[str, Any] = {}


def install() -> None:
    """Apply every patch (idempotent)."""
    if moto.__version__ != PINNED_MOTO_VERSION:
        raise UnsupportedMotoVersion(
            f"local_runtime patches target moto {PINNED_MOTO_VERSION}, found {moto.__version__}"
        )
    with _lock:
        if _originals:
            return
        overrides = state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES
        _originals["boto_overrides"] = dict(overrides)
        overrides["eventbridge"] = "events"  # type: ignore[index]
        error_names = state_task_service_aws_sdk._SERVICE_ERROR_NAMES
        _originals["error_names"] = dict(error_names)
        error_names["eventbridge"] = "EventBridge"
        _originals["retrier_time"] = retrier_decl.time
        retrier_decl.time = _ScaledTime()  # type: ignore[assignment]
        _originals["wait_interval"] = WaitFunction._wait_interval
        WaitFunction._wait_interval = _scaled_wait_interval  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore moto as shipped (used by the tests that prove each patch is needed)."""
    with _lock:
        if not _originals:
            return
        overrides = state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES
        overrides.clear()  # type: ignore[attr-defined]
        overrides.update(_originals["boto_overrides"])  # type: ignore[attr-defined]
        error_names = state_task_service_aws_sdk._SERVICE_ERROR_NAMES
        error_names.clear()
        error_names.update(_originals["error_names"])
        retrier_decl.time = _originals["retrier_time"]
        WaitFunction._wait_interval = _originals["wait_interval"]  # type: ignore[method-assign]
        _originals.clear()
