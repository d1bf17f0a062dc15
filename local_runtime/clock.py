"""Time compression for tests: Wait states, Retry intervals and queue visibility run faster.

Only the local engine's sleeping is scaled (see `moto_patches`); the ASL and
the template are never rewritten, so what is tested is what deploys. A scale of
1.0 is real time (the demo's default); tests use a small scale so a workflow
with a 1-2-4 s backoff finishes in milliseconds.
"""

from __future__ import annotations

import math
import threading


class Clock:
    """The process-wide time scale the patched engine reads at every wait."""

    _lock = threading.Lock()
    _scale = 1.0

    @classmethod
    def set_scale(cls, scale: float) -> None:
        if not 0 < scale <= 1:
            raise ValueError(f"time scale must be in (0, 1], got {scale}")
        with cls._lock:
            cls._scale = scale

    @classmethod
    def scale(cls) -> float:
        return cls._scale

    @classmethod
    def scaled(cls, seconds: float) -> float:
        return seconds * cls._scale

    @classmethod
    def scaled_whole_seconds(cls, seconds: float) -> int:
        """For APIs that only take whole seconds (SQS visibility): round up, never below 0."""
        return math.ceil(seconds) if cls._scale == 1.0 else int(seconds * cls._scale)
