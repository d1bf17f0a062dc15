"""Account quotas enforced as AWS throttles them, on the virtual clock (opt-in).

A burst beyond a quota should play out locally as it would on AWS: the request refused with the
throttling error AWS answers, botocore's retries backing off (in virtual time: a handler's sleeps
are the clock's), the pipes and the engine retrying as they do, and nothing lost. Each quota is a
token bucket, as AWS documents Step Functions' and describes the others': ``per_second`` tokens
added each (virtual) second up to ``burst``, one taken per request.

    app.quotas.limit("stepfunctions", "StartExecution", per_second=300, burst=1300)
    app.quotas.limit("events", "PutEvents", per_second=10_000)
    app.quotas.limit("stepfunctions", "StartExecution", per_second=6000, target=express_arn)

    app.quotas.limit_key_writes(per_second=1000)

Lambda's concurrency is the Lambda service's own (`LocalApp(concurrency=...)`, each function's
reserved concurrency).

The per-key write rate is DynamoDB's partition limit as a hot item meets it: each item key has a
bucket of write units (one per item written, two inside a transaction, as `consumption` counts
them). A request that would overdraw any key it writes is refused whole and spends nothing, as
AWS does: a single-item write (or a BatchWriteItem, which AWS would partly process: refused
whole here, a documented simplification) with ``ProvisionedThroughputExceededException`` and
the reason ``TableWriteKeyRangeThroughputExceeded`` (botocore retries it); a transaction with
``TransactionCanceledException`` whose reason is ``ThrottlingError`` for the throttled item and
``None`` for the others (botocore does not retry it: the caller must tell it from a failed
condition, as the saga's adapters do).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from local_runtime.call_faults import call_targets, refused
from local_runtime.consumption import WRITE_OPERATIONS, dynamodb_units, pk_sk_key
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
    target: str | None = None
    """Only requests naming this resource (a state machine's ARN: Standard and Express starts
    are separate quotas); None: every request of the operation."""
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


@dataclass
class KeyWriteQuota:
    """DynamoDB's per-key write throughput: a bucket of write units per (table, key)."""

    per_second: float
    burst: float
    throttled: int = 0
    _buckets: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, now: float, wanted: Mapping[tuple[str, str], int]) -> tuple[str, str] | None:
        """Every key's units, or none of them: the first key short of units (None = taken)."""
        with self._lock:
            levels = {}
            for key, units in wanted.items():
                tokens, stamp = self._buckets.get(key, (self.burst, now))
                level = min(self.burst, tokens + max(0.0, now - stamp) * self.per_second)
                if level < units:
                    self.throttled += 1
                    return key
                levels[key] = level
            for key, units in wanted.items():
                self._buckets[key] = (levels[key] - units, now)
            return None


class AccountQuotas(SessionHooks):
    """The quotas of one app, checked before each request of the sessions they are installed on."""

    def __init__(
        self,
        now: Callable[[], float],
        key_of: Callable[[str, Mapping[str, Any]], str] | None = None,
        table_arn: Callable[[str], str] = lambda table: table,
    ) -> None:
        """``key_of(table, item)`` names an item's key (`consumption.key_schema_of`); without it,
        its ``pk`` and ``sk``. ``table_arn`` names a table in a throttling reason."""
        super().__init__(
            _UNIQUE,
            {"before-parameter-build": self._remember_request, "before-call": self._check},
        )
        self._now = now
        self._quotas: dict[tuple[str, str], list[Quota]] = {}
        self._key_writes: KeyWriteQuota | None = None
        self._key_of = key_of
        self._table_arn = table_arn

    def limit(
        self,
        service: str,
        operation: str,
        per_second: float,
        burst: float | None = None,
        *,
        target: str | None = None,
    ) -> Quota:
        """Throttle ``service``'s ``operation`` (on ``target`` only, when given) beyond
        ``per_second`` requests a second, with a bucket of ``burst`` (by default one second's
        worth), starting full, as AWS's do. A new limit of the same operation and target
        replaces the old one."""
        if per_second <= 0 or (burst is not None and burst < 1):
            raise ValueError("a quota allows some requests: per_second > 0, burst >= 1")
        size = float(burst if burst is not None else max(1.0, per_second))
        quota = Quota(service, operation, float(per_second), size, size, self._now(), target)
        kept = [q for q in self._quotas.get((service, operation), []) if q.target != target]
        self._quotas[(service, operation)] = [*kept, quota]
        return quota

    def limit_key_writes(self, per_second: float = 1000, burst: float | None = None) -> KeyWriteQuota:
        """Throttle writes to any one DynamoDB item key beyond ``per_second`` write units a
        second (a partition's 1,000 by default), with a bucket of ``burst`` units (one second's)."""
        if per_second <= 0 or (burst is not None and burst < 2):
            raise ValueError("a key quota allows a transactional write: per_second > 0, burst >= 2")
        size = float(burst if burst is not None else max(2.0, per_second))
        self._key_writes = KeyWriteQuota(float(per_second), size)
        return self._key_writes

    def clear(self) -> None:
        self._quotas.clear()
        self._key_writes = None

    @property
    def throttled(self) -> Counter[tuple[str, str]]:
        counted: Counter[tuple[str, str]] = Counter()
        for key, quotas in self._quotas.items():
            counted[key] += sum(quota.throttled for quota in quotas)
        if self._key_writes is not None:
            counted[("dynamodb", "key writes")] = self._key_writes.throttled
        return counted

    def _remember_request(self, params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        """The request's own parameters, kept for `_check` (which sees them serialized)."""
        context[_UNIQUE] = params

    def _check(
        self, model: Any, context: dict[str, Any] | None = None, **_: Any
    ) -> tuple[Any, dict[str, Any]] | None:
        service = model.service_model.service_name
        params = (context or {}).get(_UNIQUE) or {}
        quotas = self._quotas.get((service, model.name))
        if quotas:
            named = set(call_targets(params))
            for quota in quotas:
                if (quota.target is None or quota.target in named) and not quota.take(self._now()):
                    return refused(
                        THROTTLING,
                        f"Rate exceeded ({quota.service} {quota.operation}: {quota.per_second:g}/s)",
                    )
        if self._key_writes is not None and service == "dynamodb" and model.name in WRITE_OPERATIONS:
            return self._check_key_writes(model.name, params)
        return None

    def _check_key_writes(
        self, operation: str, params: Mapping[str, Any]
    ) -> tuple[Any, dict[str, Any]] | None:
        assert self._key_writes is not None
        touched = dynamodb_units(operation, params, self._key_of or pk_sk_key)
        wanted: Counter[tuple[str, str]] = Counter()
        for table, key, units in touched:
            wanted[(table, key)] += units
        short = self._key_writes.take(self._now(), wanted)
        if short is None:
            return None
        table, key = short
        message = f"Throughput exceeds the current capacity for key {key} of table {table}"
        if operation == "TransactWriteItems":
            reasons = [
                {"Code": "ThrottlingError", "Message": message} if (t, k) == short else {"Code": "None"}
                for t, k, _ in touched
            ]
            codes = ", ".join(reason["Code"] for reason in reasons)
            return refused(
                "TransactionCanceledException",
                f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                CancellationReasons=reasons,
            )
        return refused(
            "ProvisionedThroughputExceededException",
            message,
            ThrottlingReasons=[
                {"reason": "TableWriteKeyRangeThroughputExceeded", "resource": self._table_arn(table)}
            ],
        )
