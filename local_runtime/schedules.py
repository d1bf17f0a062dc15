"""Scheduled rules on the virtual clock: a `rate(...)` rule fires because virtual time passed.

moto stores a rule's ScheduleExpression but never fires it. Here every enabled
`rate(n unit)` rule of the template is a periodic timer on the clock: it fires
first one period after the app starts (as EventBridge does after a rule is
created) and then every period, putting the rule's targets to work with the
"Scheduled Event" EventBridge would send. `cron(...)` expressions are not
emulated (none is deployed); such a rule can still be fired on demand with
`LocalApp.run_schedule`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local_runtime import clock

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class UnsupportedSchedule(ValueError):
    """A ScheduleExpression the local runtime cannot fire on its own (cron)."""


def rate_seconds(expression: str) -> float:
    """The period of a `rate(...)` expression, in seconds (EventBridge's units and rules)."""
    match = _RATE.match(expression.strip())
    if match is None:
        raise UnsupportedSchedule(f"only rate(...) schedules fire on their own locally, not {expression!r}")
    value, unit = int(match.group(1)), match.group(2).rstrip("s")
    if value < 1 or (value == 1) != (not match.group(2).endswith("s")):
        raise UnsupportedSchedule(f"{expression!r}: use 'rate(1 {unit})' or 'rate(N {unit}s)' with N > 1")
    return float(value * _UNIT_SECONDS[unit])


def scheduled_event(rule_arn: str, account: str, region: str) -> dict[str, Any]:
    """The event EventBridge sends a scheduled rule's targets."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


class Schedule:
    """One rule's periodic timer; `fire` is what a tick does (start the rule's targets)."""

    def __init__(self, name: str, period: float, fire: Callable[[], object]) -> None:
        self.name = name
        self.period = period
        self._fire = fire
        self.ticks = 0
        self._timer: clock.Timer | None = None

    def arm(self) -> None:
        self._timer = clock.CLOCK.call_later(self.period, self._tick, clock.SCHEDULE)

    def _tick(self) -> None:
        self.ticks += 1
        self.arm()
        self._fire()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
