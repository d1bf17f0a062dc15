"""One order through every workflow with one transient fault, and what the platform did with it.

A production deployment sees a Lambda invocation fail now and then: the service errs, the
sandbox times out, the function's own adapter reports a throttled dependency. Such a fault,
once, must never change what happens to an order. This module is the instrument that checks
it: an order of a given kind (fulfilled, declined, unshippable) enters the way a partner's
bulk import does (a JSON Lines file under intake/: claim check split and resolve, the orders
service, the outbox, the bus, the saga, the outbox again), with one fault injected into one
task's function, before its effect or after it; and the `Outcome` is everything a customer,
the ledgers and a consumer of the bus can observe. The property is equality with the
`Outcome` of the same kind of order without a fault.

The catalogue of faults is read from the deployed state machines, not listed by hand: every
Lambda task of the claim check, the outbox publisher and the saga, each with every error its
`Retry` names (Lambda's transient errors, a timed-out invocation, the adapter's own transient
error). A task a new definition adds is swept without anyone editing this file.

`tests/workflow/test_transient_faults.py` draws cases with Hypothesis; `make fault-sweep` runs
every case (``python -m tests.workflow.fault_sweep``) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from demo.payment_provider import AUTHORIZATION_LIMIT, PaymentProvider
from local_runtime import LocalApp

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE: dict[str, Any] = json.loads((REPO_ROOT / "sample_events" / "place_order.json").read_text())
MACHINES = ("ClaimCheck/Split", "ClaimCheck/Resolve", "OutboxPublisher", "OrderSaga")
"""The workflows an imported order goes through (by construct path)."""
KINDS = ("fulfilled", "declined", "unshippable")
LAMBDA_TRANSIENT = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
_NOT_INJECTABLE = {"States.ALL", "States.TaskFailed"}
_deserializer = TypeDeserializer()


@dataclass(frozen=True, order=True)
class Fault:
    """One transient error of one function, once; `after_effect`: its writes commit first."""

    function: str
    error: str
    after_effect: bool
    states: tuple[str, ...] = ()

    def label(self) -> str:
        when = "after" if self.after_effect else "before"
        return f"{'/'.join(self.states)} {self.error} {when}"


@dataclass(frozen=True)
class Outcome:
    """What can be observed of one order once the platform is quiet (ids left out)."""

    order: tuple[str, str | None]
    stock_taken: tuple[tuple[str, int], ...]
    reservation: str | None
    payments: tuple[tuple[str, int, str], ...]
    shipments: tuple[str, ...]
    saga_lock: str | None
    outbox: tuple[tuple[str, str], ...]
    consumed: tuple[tuple[str, int], ...]
    claim: tuple[str, int | None, int | None]
    endings: tuple[tuple[str, str, str | None, int], ...]
    parked: int

    def differences(self, other: Outcome) -> dict[str, tuple[Any, Any]]:
        """Field by field, what differs from `other` (self first)."""
        return {
            name: (getattr(self, name), getattr(other, name))
            for name in self.__dataclass_fields__
            if getattr(self, name) != getattr(other, name)
        }


def _walk(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        for nested in [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]:
            if nested:
                yield from _walk(nested["States"])


def lambda_tasks(app: LocalApp) -> dict[str, dict[str, set[str]]]:
    """function name -> {state name -> the errors its Retry names}, for every Lambda task of
    the swept workflows, read from the deployed definitions."""
    sfn = app.client("stepfunctions")
    tasks: dict[str, dict[str, set[str]]] = {}
    for machine in MACHINES:
        definition = json.loads(
            sfn.describe_state_machine(stateMachineArn=app.state_machine_arn(machine))["definition"]
        )
        for name, state in _walk(definition["States"]):
            if state.get("Type") != "Task" or "lambda:invoke" not in str(state.get("Resource")):
                continue
            arn = str(state["Parameters"]["FunctionName"])
            function = arn.rsplit(":function:", maxsplit=1)[-1].split(":", maxsplit=1)[0]
            retried = {
                error
                for retrier in state.get("Retry", [])
                if retrier.get("MaxAttempts", 3) > 0  # (0: a business error kept from a wider retrier)
                for error in retrier["ErrorEquals"]
            }
            tasks.setdefault(function, {})[name] = retried - _NOT_INJECTABLE
    return tasks


def catalogue(app: LocalApp) -> list[Fault]:
    """Every fault to sweep: each function, each error any of its tasks retries, before and after
    its effect. Lambda's transient errors and its timeout are always in: a task that does not
    retry them is a finding, not a gap in the sweep."""
    faults = []
    for function, states in sorted(lambda_tasks(app).items()):
        errors = set(LAMBDA_TRANSIENT) | {"Sandbox.Timedout"}
        errors |= {error for retried in states.values() for error in retried}
        for error in sorted(errors):
            for after_effect in (False, True):
                faults.append(Fault(function, error, after_effect, tuple(sorted(states))))
    return faults


def order_line(kind: str, customer_id: str) -> dict[str, Any]:
    """An order of a kind: fulfilled (the sample), declined (above the provider's limit),
    unshippable (a destination the carrier does not serve)."""
    order = {**SAMPLE, "customerId": customer_id}
    if kind == "declined":
        order["items"] = [{"sku": "SKU-KETTLE-01", "quantity": 1, "unitPrice": AUTHORIZATION_LIMIT + 1}]
    elif kind == "unshippable":
        order["shippingAddress"] = {**SAMPLE["shippingAddress"], "country": "US"}
    elif kind != "fulfilled":
        raise ValueError(f"unknown kind of order: {kind}")
    return order


class Sweep:
    """One app, its simulated provider and a consumer of the bus; runs orders one at a time."""

    def __init__(self, app: LocalApp) -> None:
        self.app = app
        self.provider = PaymentProvider(app)
        self.tap = app.subscribe(
            app.output("EventBusName"), {"source": ["order-platform.orders", "order-platform.claim-check"]}
        )
        self._arns = {machine: app.state_machine_arn(machine) for machine in MACHINES}
        self._seen: dict[str, set[str]] = {machine: set() for machine in MACHINES}
        self._baselines: dict[str, Outcome] = {}
        self.stock({"SKU-KETTLE-01": 100_000, "SKU-MUG-02": 100_000})
        for machine in MACHINES:
            self._new_endings(machine)

    def stock(self, levels: dict[str, int] | None = None) -> dict[str, int]:
        """Set the shelves (when given); the shelves as they are."""
        table = self.app.output("InventoryTableName")
        dynamodb = self.app.client("dynamodb")
        for sku, available in (levels or {}).items():
            dynamodb.put_item(
                TableName=table,
                Item={"pk": {"S": f"SKU#{sku}"}, "sku": {"S": sku}, "available": {"N": str(available)}},
            )
        return {
            sku: int(self._get(table, f"SKU#{sku}")["available"]) for sku in ("SKU-KETTLE-01", "SKU-MUG-02")
        }

    def baseline(self, kind: str) -> Outcome:
        """The outcome of an order of this kind without a fault (run once per sweep)."""
        if kind not in self._baselines:
            self._baselines[kind] = self.run(kind, None)
        return self._baselines[kind]

    def run(self, kind: str, fault: Fault | None) -> Outcome:
        """Import one order of `kind` with `fault` injected, settle the platform, observe."""
        app = self.app
        app.lambdas.clear_failures()
        app.receive_all(self.tap)
        self.failures_parked()
        before = self.stock()
        customer = f"sweep-{uuid.uuid4().hex[:12]}"
        if fault is not None:
            app.lambdas.inject_failure(fault.function, fault.error, after_effect=fault.after_effect)
        body = (json.dumps(order_line(kind, customer)) + "\n").encode()
        app.client("s3").put_object(
            Bucket=app.output("PayloadBucketName"), Key=f"intake/{customer}.jsonl", Body=body
        )
        self.provider.settle()
        app.lambdas.clear_failures()
        return self._observe(customer, before)

    def failures_parked(self) -> int:
        return len(self.app.receive_all(self.app.output("WorkflowFailuresQueueUrl")))

    # -- observing --------------------------------------------------------------------------------
    def _get(self, table: str, pk: str, sk: str | None = None) -> dict[str, Any]:
        key = {"pk": {"S": pk}} | ({"sk": {"S": sk}} if sk is not None else {})
        item = (
            self.app.client("dynamodb")
            .get_item(TableName=table, Key=key, ConsistentRead=True)
            .get("Item", {})
        )
        return {k: _deserializer.deserialize(v) for k, v in item.items()}

    def _query(self, table: str, pk: str) -> list[dict[str, Any]]:
        answer = self.app.client("dynamodb").query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ConsistentRead=True,
        )
        return [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in answer["Items"]]

    def _scan_for(self, output: str, attribute: str, value: str) -> list[dict[str, Any]]:
        scanned = (
            self.app.client("dynamodb")
            .get_paginator("scan")
            .paginate(
                TableName=self.app.output(output),
                FilterExpression="#a = :v",
                ExpressionAttributeNames={"#a": attribute},
                ExpressionAttributeValues={":v": {"S": value}},
            )
            .build_full_result()["Items"]
        )
        return [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in scanned]

    def _new_endings(self, machine: str) -> list[tuple[str, str | None]]:
        sfn = self.app.client("stepfunctions")
        listed = sfn.get_paginator("list_executions").paginate(stateMachineArn=self._arns[machine])
        endings = []
        for page in listed:
            for execution in page["executions"]:
                arn = execution["executionArn"]
                if arn in self._seen[machine]:
                    continue
                self._seen[machine].add(arn)
                described = sfn.describe_execution(executionArn=arn)
                endings.append((described["status"], described.get("error")))
        return endings

    def _observe(self, customer: str, before: dict[str, int]) -> Outcome:
        orders_table = self.app.output("OrdersTableName")
        placed = [
            i
            for i in self._scan_for("OrdersTableName", "customerId", customer)
            if i.get("recordType") == "ORDER"
        ]
        order = placed[0] if len(placed) == 1 else {}
        order_id = str(order.get("orderId", ""))
        records = self._query(orders_table, f"ORDER#{order_id}") if order_id else []
        after = self.stock()
        reservation = self._get(self.app.output("InventoryTableName"), f"RESERVATION#{order_id}")
        payments = self._scan_for("PaymentsTableName", "orderId", order_id) if order_id else []
        shipments = self._scan_for("ShipmentsTableName", "orderId", order_id) if order_id else []
        claims = self._scan_for("ClaimsTableName", "door", "bucket")
        claim = next((c for c in claims if str(c.get("key", "")).endswith(f"{customer}.jsonl")), {})
        consumed = Counter(event["detail-type"] for event in self.app.receive_all(self.tap))
        endings = Counter(
            (machine, status, error) for machine in MACHINES for status, error in self._new_endings(machine)
        )
        reason = order.get("cancellationReason")
        return Outcome(
            order=(
                str(order.get("status", "MISSING" if len(placed) != 1 else "")),
                reason.split(":")[0] if reason else None,
            ),
            stock_taken=tuple(sorted((sku, before[sku] - after[sku]) for sku in before)),
            reservation=reservation.get("status"),
            payments=tuple(sorted((p["status"], int(p["amount"]), p["currency"]) for p in payments)),
            shipments=tuple(sorted(s["status"] for s in shipments)),
            saga_lock=next((r["status"] for r in records if r["sk"] == "SAGA"), None),
            outbox=tuple(
                (r["eventType"], r["status"])
                for r in sorted(records, key=lambda r: r["sk"])
                if r["sk"].startswith("OUTBOX#")
            ),
            consumed=tuple(sorted(consumed.items())),
            claim=(str(claim.get("status")), claim.get("accepted"), claim.get("rejected")),
            endings=tuple(sorted((m, s, e, n) for (m, s, e), n in endings.items())),
            parked=self.failures_parked(),
        )


@dataclass(frozen=True)
class Finding:
    kind: str
    fault: Fault
    differences: dict[str, tuple[Any, Any]]


CASES_PER_APP = 40
"""Cases one app runs before a fresh one takes over: the observations scan tables (so that a
stray write anywhere is seen), and a scan costs what the table holds."""
WORKERS = 2
"""Processes running chunks side by side (one per core of the reference machine)."""


def _run_chunk(
    assembly_dir: Path, chunk: Sequence[tuple[str, Fault]], baselines: dict[str, Outcome]
) -> list[tuple[str, Fault, dict[str, tuple[Any, Any]]]]:
    """One fresh app, in a process of its own, runs a chunk of cases: every app's threads end
    with its process, so a long sweep never accumulates what stopped apps leave behind."""
    results = []
    with LocalApp(assembly_dir, log_level="ERROR") as app:
        runner = Sweep(app)
        for kind, fault in chunk:
            results.append((kind, fault, runner.run(kind, fault).differences(baselines[kind])))
    return results


def sweep(
    assembly_dir: Path, kinds: Sequence[str] = KINDS, functions: Sequence[str] = (), progress: bool = False
) -> tuple[list[Finding], int]:
    """Every fault of the catalogue for every kind; the cases whose outcome differs, and how many ran."""
    with LocalApp(assembly_dir, log_level="ERROR") as app:
        faults = catalogue(app)
        runner = Sweep(app)
        baselines = {kind: runner.baseline(kind) for kind in kinds}
    cases = [
        (kind, fault)
        for kind in kinds
        for fault in faults
        if not functions or any(f in fault.function or f in fault.states for f in functions)
    ]
    chunks = [cases[start : start + CASES_PER_APP] for start in range(0, len(cases), CASES_PER_APP)]
    findings = []
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=spawn, max_tasks_per_child=1) as pool:
        for results in pool.map(_run_chunk, [assembly_dir] * len(chunks), chunks, [baselines] * len(chunks)):
            for kind, fault, differences in results:
                if differences:
                    findings.append(Finding(kind, fault, differences))
                if progress:
                    print("F" if differences else ".", end="", flush=True)
    if progress:
        print()
    return findings, len(cases)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", action="append", choices=KINDS, help="kinds of order (default: all)")
    parser.add_argument(
        "--function", action="append", default=[], help="only functions or states containing this"
    )
    parser.add_argument("--assembly", default=str(REPO_ROOT / "cdk.out"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    findings, ran = sweep(Path(args.assembly), args.kind or KINDS, args.function, progress=True)
    took = time.perf_counter() - started
    print(
        f"{ran} cases (kind x task x error x before/after the effect) in {took:.0f} s; {len(findings)} differ"
    )
    for finding in findings:
        print(f"\n{finding.kind}: {finding.fault.function} {finding.fault.label()}")
        for name, (got, expected) in finding.differences.items():
            print(f"    {name}: {got}\n    {' ' * len(name)}  expected {expected}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
