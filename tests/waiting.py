"""Polling a served endpoint from outside, as a user's script does: until a condition holds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def until(condition: Callable[[], Any], seconds: float = 30.0, every: float = 0.1) -> Any:
    """The condition's first truthy value within ``seconds`` of real time; AssertionError after."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("the endpoint did not get there in time")
