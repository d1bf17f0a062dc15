"""What an app's AWS requests consume, counted the way AWS bills and throttles them.

A capacity model needs, per order, what each service is asked for: requests per operation and
resource, DynamoDB write and read units per table and per key (a hot key caps throughput long
before a table does), PutEvents entries (EventBridge's quota counts entries' requests, its bill
counts entries), SQS messages sent. The meter hooks the botocore session every handler, the
engine's integrations and the pipes' targets use, and counts each request as it is built (so a
request that fails still counts: AWS bills and throttles those too).

DynamoDB units are counted per item touched: one write unit per item written (two inside a
transaction, as DynamoDB bills transactional writes), one read unit per item read by key (two
in a transaction); a Query or Scan counts one read unit per request, not per item returned (the
meter sees the request, not the answer). Item sizes are not weighed: units assume items of at most
1 KB written and 4 KB read, which holds for an order's items here (an order with its lines is
under 1 KB); the capacity table says so.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from local_runtime.call_faults import call_targets
from local_runtime.moto_patches import backends
from local_runtime.session_hooks import SessionHooks

_UNIQUE = "local-runtime-consumption"
_WRITES = {"PutItem": "Item", "UpdateItem": "Key", "DeleteItem": "Key"}
_READS = {"GetItem": "Key"}
_TRANSACTION_ACTIONS = {"Put": "Item", "Update": "Key", "Delete": "Key", "ConditionCheck": "Key"}


@dataclass
class Consumption:
    """Counts since the meter was installed (or last reset)."""

    requests: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(service, operation, target) → requests; target "" when the request names none."""
    write_units: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(table, key) → DynamoDB write units."""
    read_units: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(table, key) → DynamoDB read units (key "" for a Query or Scan)."""
    put_events_entries: int = 0
    sqs_messages_sent: Counter[str] = field(default_factory=Counter)

    def requests_of(self, service: str, operation: str | None = None) -> int:
        return sum(n for (s, o, _), n in self.requests.items() if s == service and operation in (None, o))

    def units_by_table(self, units: Counter[tuple[str, str]]) -> Counter[str]:
        totals: Counter[str] = Counter()
        for (table, _), n in units.items():
            totals[table] += n
        return totals

    def hottest_key(self, units: Counter[tuple[str, str]]) -> tuple[str, str, int]:
        """(table, key, units) of the key that took the most units ("", "", 0) when none."""
        keyed = [(table, key, n) for (table, key), n in units.items() if key]
        return max(keyed, key=lambda entry: entry[2], default=("", "", 0))


class ConsumptionMeter(SessionHooks):
    """Counts the requests of the sessions it is installed on (`install(session)`)."""

    def __init__(self, key_of: Callable[[str, Mapping[str, Any]], str] | None = None) -> None:
        """``key_of(table, item)`` names an item's key from a full item (PutItem gives the item, not
        its key); by default every attribute named ``pk`` / ``sk`` (a single-table design's)."""
        super().__init__(_UNIQUE, {"before-parameter-build": self._count})
        self.consumption = Consumption()
        self._key_of = key_of or pk_sk_key
        self._lock = threading.Lock()

    def reset(self) -> Consumption:
        """The counts so far; the meter starts again from zero."""
        with self._lock:
            counted, self.consumption = self.consumption, Consumption()
        return counted

    def _count(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        operation = model.name
        targets = sorted(set(call_targets(params)))
        target = targets[0] if len(targets) == 1 else ""  # a transaction over several tables: ""
        with self._lock:
            counted = self.consumption
            counted.requests[(service, operation, target)] += 1
            if service == "dynamodb":
                self._dynamodb(counted, operation, params)
            elif service == "events" and operation == "PutEvents":
                counted.put_events_entries += len(params.get("Entries") or [])
            elif service == "sqs" and operation in ("SendMessage", "SendMessageBatch"):
                queue = str(params.get("QueueUrl", "")).rsplit("/", 1)[-1]
                counted.sqs_messages_sent[queue] += len(params.get("Entries") or [None])

    def _dynamodb(self, counted: Consumption, operation: str, params: Mapping[str, Any]) -> None:
        if operation in ("Query", "Scan"):
            counted.read_units[(str(params.get("TableName", "")), "")] += 1
            return
        units = counted.read_units if operation in _READ_OPERATIONS else counted.write_units
        for table, key, n in dynamodb_units(operation, params, self._key_of):
            units[(table, key)] += n


_READ_OPERATIONS = frozenset({"GetItem", "TransactGetItems", "BatchGetItem"})
WRITE_OPERATIONS = frozenset({*_WRITES, "TransactWriteItems", "BatchWriteItem"})


def dynamodb_units(
    operation: str, params: Mapping[str, Any], key_of: Callable[[str, Mapping[str, Any]], str]
) -> list[tuple[str, str, int]]:
    """(table, key, units) of each item a DynamoDB request reads or writes by key, in request
    order: one unit per item, two inside a transaction (the meter's and the quotas' one count).
    Query and Scan name no key: nothing."""

    def key(table: str, item: Any) -> str:
        return key_of(table, item) if isinstance(item, Mapping) else ""

    table = str(params.get("TableName", ""))
    if operation in _WRITES:
        return [(table, key(table, params.get(_WRITES[operation])), 1)]
    if operation in _READS:
        return [(table, key(table, params.get(_READS[operation])), 1)]
    touched: list[tuple[str, str, int]] = []
    if operation in ("TransactWriteItems", "TransactGetItems"):
        for entry in params.get("TransactItems") or []:
            for action, body in entry.items():
                if action == "Get" or action in _TRANSACTION_ACTIONS:
                    named = str(body.get("TableName", ""))
                    item = body.get("Item") if action == "Put" else body.get("Key")
                    touched.append((named, key(named, item), 2))
    elif operation in ("BatchWriteItem", "BatchGetItem"):
        for named, requests in (params.get("RequestItems") or {}).items():
            items = requests if isinstance(requests, list) else requests.get("Keys", [])
            for request in items:
                item = (
                    request.get("PutRequest", {}).get("Item")
                    or request.get("DeleteRequest", {}).get("Key")
                    or request
                )
                touched.append((named, key(named, item), 1))
    return touched


def key_schema_of(account: str, region: str) -> Callable[[str, Mapping[str, Any]], str]:
    """``key_of`` from the tables' own key schemas (read from moto's backend as it holds them)."""

    def key_of(table: str, item: Mapping[str, Any]) -> str:
        try:
            spec = backends.backend("dynamodb", account, region).get_table(table)
        except Exception:  # noqa: BLE001 - a table moto does not have: the request fails anyway
            return pk_sk_key(table, item)
        names = [name for name in (spec.hash_key_attr, spec.range_key_attr) if name]
        return _as_text({name: item[name] for name in names if name in item})

    return key_of


def _as_text(key: Mapping[str, Any]) -> str:
    plain = {k: next(iter(v.values())) if isinstance(v, Mapping) else v for k, v in key.items()}
    return json.dumps(plain, sort_keys=True) if plain else ""


def pk_sk_key(table: str, item: Mapping[str, Any]) -> str:
    parts = {name: item[name] for name in ("pk", "sk") if name in item}
    return (
        json.dumps(
            {k: next(iter(v.values())) if isinstance(v, Mapping) else v for k, v in parts.items()},
            sort_keys=True,
        )
        if parts
        else ""
    )
