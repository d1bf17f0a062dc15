"""What one order consumes on AWS, per path, measured on the embedded runtime: the first input of
the capacity model (issue 22). `python -m bench.capacity [ORDERS]` prints the table; `make bench`
includes it.

Each path runs ORDERS orders (5 by default) on a fresh app, the meter (`local_runtime.consumption`)
counting every request the handlers, the engine and the pipes make; state transitions are read from
every execution's history (each state entered is one transition, as Step Functions bills and
throttles them); Lambda invocations from the runtime's own counter. Figures are per order.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from demo.customers import customers, post_order
from demo.inventory import seed_stock
from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp, moto_patches
from local_runtime.consumption import Consumption, ConsumptionMeter, key_schema_of

REPO_ROOT = Path(__file__).resolve().parent.parent
TITLE = (
    "What one order consumes on AWS, per path (5 orders each on the embedded runtime; DynamoDB units"
    " for items of at most 1 KB written, 4 KB read; transactional writes twice)"
)
STOCK = {"SKU-KETTLE-01": 100_000, "SKU-MUG-02": 100_000}


def _fulfilled(order: dict[str, Any]) -> dict[str, Any]:
    return order


def _declined(order: dict[str, Any]) -> dict[str, Any]:
    return {**order, "items": [{"sku": "SKU-KETTLE-01", "quantity": 1, "unitPrice": 900_000}]}


def _unshippable(order: dict[str, Any]) -> dict[str, Any]:
    return {**order, "shippingAddress": {**order["shippingAddress"], "country": "US"}}


PATHS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "fulfilled": _fulfilled,
    "declined": _declined,
    "unshippable": _unshippable,
    "imported (claim check)": _fulfilled,
}


def run_path(assembly: Path, sample: dict[str, Any], path: str, orders: int) -> dict[str, Any]:
    with LocalApp(assembly, log_level="WARNING") as app:
        meter = ConsumptionMeter(key_schema_of(app.account, app.region))
        app.hook(meter)  # every client: the handlers', the engine's, the pipes' and the rules'
        seed_stock(app, STOCK)
        provider = PaymentProvider(app)
        written: Counter[str] = Counter()
        stop_listening = moto_patches.on_source_write(lambda source: written.update([source]))
        placed = [PATHS[path]({**sample, "customerId": f"capacity-{n}"}) for n in range(orders)]
        if not path.startswith("imported"):
            for order in placed:  # signed up and in before the count: an order, not an account, is measured
                customers(app)[order["customerId"]]
        meter.reset()
        if path.startswith("imported"):
            body = "\n".join(json.dumps(order) for order in placed) + "\n"
            app.client("s3").put_object(
                Bucket=app.output("PayloadBucketName"), Key="intake/capacity.jsonl", Body=body
            )
        else:
            for order in placed:
                post_order(app, order)
        provider.settle()
        consumed = meter.reset()
        stop_listening()
        queues = {url.rsplit("/", 1)[-1] for url in app.client("sqs").list_queues().get("QueueUrls", [])}
        transitions: Counter[str] = Counter()
        for name, arn in app.resources.outputs.items() if app.resources else []:
            if not name.endswith("StateMachineArn"):
                continue
            for execution in app.executions(arn):
                events = app.history(execution["executionArn"])
                transitions[name.removesuffix("StateMachineArn")] += sum(
                    1 for e in events if "stateEnteredEventDetails" in e
                )
        template = app.stack.template.get("Resources", {})
        kinds = {
            str(props.get("StateMachineName") or logical): str(props.get("StateMachineType", "STANDARD"))
            for logical, resource in template.items()
            if resource.get("Type") == "AWS::StepFunctions::StateMachine"
            for props in [resource.get("Properties", {})]
        }
        machines = {
            name: str(arn)
            for name, arn in (app.resources.outputs.items() if app.resources else [])
            if name.endswith("StateMachineArn")
        }
        express_arns = {arn for arn in machines.values() if _is_express(arn, kinds)}
        return {
            "path": path,
            "orders": orders,
            "express_arns": express_arns,
            "consumed": consumed,
            "transitions": transitions,
            "express": {n.removesuffix("StateMachineArn") for n, a in machines.items() if a in express_arns},
            "invocations": sum(app.lambdas.invocations.values()),
            "busy_ms": sum(app.lambdas.busy_ms.values()),
            "memory_mb": 256,
            "queued": sum(n for source, n in written.items() if source in queues),
            "stream records": sum(n for source, n in written.items() if source not in queues),
        }


def _is_express(arn: str, kinds: dict[str, str]) -> bool:
    """Whether the machine an ARN names is Express (its name in the ARN starts with the template's
    logical id, or is the name the template gives it)."""
    name = arn.rsplit(":", 1)[-1]
    return any(
        kind == "EXPRESS" and (name == logical or name.startswith(logical)) for logical, kind in kinds.items()
    )


def _rows(results: dict[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    paths = list(results)

    def per_order(read: Callable[[dict[str, Any]], float]) -> list[str]:
        return [f"{read(results[p]) / results[p]['orders']:.1f}" for p in paths]

    def consumed(p: dict[str, Any]) -> Consumption:
        return p["consumed"]  # type: ignore[no-any-return]

    machines = sorted({m for r in results.values() for m in r["transitions"]})
    tables = sorted({t for r in results.values() for t, _ in consumed(r).write_units} - {""})
    rows: list[tuple[Any, ...]] = [
        ("state transitions: " + m, *per_order(lambda r, m=m: r["transitions"][m])) for m in machines
    ]
    rows += [
        ("Lambda invocations", *per_order(lambda r: r["invocations"])),
        (
            "StartExecution requests",
            *per_order(lambda r: consumed(r).requests_of("stepfunctions", "StartExecution")),
        ),
        ("PutEvents requests", *per_order(lambda r: consumed(r).requests_of("events", "PutEvents"))),
        ("PutEvents entries", *per_order(lambda r: consumed(r).put_events_entries)),
        (
            "StartSyncExecution requests",
            *per_order(lambda r: consumed(r).requests_of("stepfunctions", "StartSyncExecution")),
        ),
        ("SQS messages enqueued (any sender)", *per_order(lambda r: r["queued"])),
        ("SQS requests", *per_order(lambda r: consumed(r).requests_of("sqs"))),
        ("DynamoDB stream records", *per_order(lambda r: r["stream records"])),
    ]
    rows += [
        (
            f"DynamoDB write units: {t.split('-')[1] if '-' in t else t}",
            *per_order(lambda r, t=t: consumed(r).units_by_table(consumed(r).write_units)[t]),
        )
        for t in tables
    ]
    rows.append(
        ("DynamoDB read units (all tables)", *per_order(lambda r: sum(consumed(r).read_units.values())))
    )
    hottest = [consumed(results[p]).hottest_key(consumed(results[p]).write_units) for p in paths]
    rows.append(
        (
            "hottest key's write units",
            *[
                f"{n / results[p]['orders']:.1f} ({json.loads(key).get('pk', key) if key else '-'})"
                for p, (_, key, n) in zip(paths, hottest, strict=True)
            ],
        )
    )
    return rows


def run_paths(assembly: Path, sample: dict[str, Any], orders: int = 5) -> dict[str, dict[str, Any]]:
    """Each path's consumption over `orders` orders (see `run_path`)."""
    return {path: run_path(assembly, sample, path, orders) for path in PATHS}


def measure(
    assembly: Path, sample: dict[str, Any], orders: int = 5
) -> tuple[list[str], list[tuple[Any, ...]]]:
    return ["per order", *PATHS], _rows(run_paths(assembly, sample, orders))


if __name__ == "__main__":
    from bench.table import render

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    order = json.loads((REPO_ROOT / "sample_events" / "place_order.json").read_text())
    header, rows = measure(REPO_ROOT / "cdk.out", order, count)
    print(render(TITLE.replace("5 orders", f"{count} orders"), header, rows))
