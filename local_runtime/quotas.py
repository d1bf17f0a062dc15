"""Account quotas enforced as AWS throttles them, on the virtual clock (opt-in).

A burst beyond a quota should play out locally as it would on AWS: the request refused with the
throttling error AWS answers, botocore's retries backing off (in virtual time: a handler's sleeps
are the clock's), the pipes and the engine retrying as they do, and nothing lost. Each quota is a
token bucket, as AWS documents Step Functions' and describes the others': ``per_second`` tokens
added each (virtual) second up to ``burst``, one taken per request.

    app.quotas.limit("stepfunctions", "StartExecution", per_second=300, burst=1300)
    app.quotas.limit("events", "PutEvents", per_second=10_000)

Lambda's concurrency is the Lambda service's own (`LocalApp(concurrency=...)`, each function's
reserved concurrency). A DynamoDB per-key write rate is not modeled yet: a throttled transaction
is a TransactionCanceledException whose reasons say ThrottlingError, which the saga must tell
apart from a failed condition first.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local_runtime.call_faults import refused
from local_runtime.session_hooks import SessionHooks

_UNIQUE = "local-runtime-quotas"
THROTTLING = "ThrottlingException"
"""What Step Functions and EventBridge answer a request beyond their rate (botocore retries it)."""


@dataclass
class Quota:
    """One account quota: a token bucket of ``burst`` tokens refilled at ``per_second``."""

    service: str
    operation: str
    per_second: float
    burst: float
    tokens: float
    stamp: float
    throttled: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, now: float) -> bool:
        """One token if there is one (refilled up to now first); False means throttled."""
        with self._lock:
            self.tokens = min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.per_second)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            self.throttled += 1
            return False


class AccountQuotas(SessionHooks):
    """The quotas of one app, checked before each request of the sessions they are installed on."""

    def __init__(self, now: Callable[[], float]) -> None:
        super().__init__(_UNIQUE, {"before-call": self._check})
        self._now = now
        self._quotas: dict[tuple[str, str], Quota] = {}

    def limit(self, service: str, operation: str, per_second: float, burst: float | None = None) -> Quota:
        """Throttle ``service``'s ``operation`` beyond ``per_second`` requests a second (with a
        bucket of ``burst``, by default one second's worth), starting full, as AWS's do."""
        if per_second <= 0 or (burst is not None and burst < 1):
            raise ValueError("a quota allows some requests: per_second > 0, burst >= 1")
        size = float(burst if burst is not None else max(1.0, per_second))
        quota = Quota(service, operation, float(per_second), size, size, self._now())
        self._quotas[(service, operation)] = quota
        return quota

    def clear(self) -> None:
        self._quotas.clear()

    @property
    def throttled(self) -> Counter[tuple[str, str]]:
        return Counter({key: quota.throttled for key, quota in self._quotas.items()})

    def _check(self, model: Any, **_: Any) -> tuple[Any, dict[str, Any]] | None:
        quota = self._quotas.get((model.service_model.service_name, model.name))
        if quota is None or quota.take(self._now()):
            return None
        return refused(
            THROTTLING, f"Rate exceeded ({quota.service} {quota.operation}: {quota.per_second:g}/s)"
        )
