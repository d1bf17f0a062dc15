"""The whole platform under load, against the bare-moto floor measured in the same run.

Whole platform: N orders placed at once through the orders API; outbox stream pipe →
publisher → bus → saga queue → pipe → saga (reserve, payment answered by the provider
2 s after its request, shipment, confirm) → outbox → bus, until every order is CONFIRMED.
Each size runs in a fresh interpreter, so its peak RSS is its own. The floor is moto's
interpreter, as shipped, running the same ASL with no-op tasks, one order at a time: one saga
and two outbox publications (OrderPlaced, OrderConfirmed), also in a fresh interpreter, as the
median of its runs, so the interpreter's first-use costs (moto's lazy imports, the first
parse of each definition) stay out of it. It waits for each execution's end on the engine's
own event: polling DescribeExecution cost as much as the executions it waited for, and made
the floor look half again as slow as the engine is. The same floor with the runtime's
speedups to moto (`local_runtime/moto_patches/speedups.py`, which the platform runs with) is shown
beside it: the platform's "x engine" is against that one. The platform is measured the same way: one order
through a throwaway app first (what every run of the suite or the demo has paid once its
process is warm), then the orders on a fresh app, whose sandboxes all start cold as Lambda's
do. The first app of a cold interpreter is shown on a row of its own.

Steady arrivals: orders arrive one at a time at a fixed rate (an outside party on the
virtual clock); the outbox pipe's batching window decides how many events share a
PutEvents call.
"""

from __future__ import annotations

import io
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
_ACCOUNT, _REGION = "123456789012", "eu-west-1"


def _in_fresh_interpreter(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.platform_load", *args],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM: ``ru_maxrss`` would carry the forked parent's over exec)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


# -- the floor: moto's interpreter, no-op tasks ---------------------------------------------------
_NO_OP = {
    "BeginSaga": {"duplicate": False, "order": {"orderId": "o"}},
    "OutboxClaim": {
        "claimToken": "t",
        "claimed": 1,
        "skipped": 0,
        "batches": [
            {
                "attempt": 1,
                "entries": [
                    {"Source": "bench", "DetailType": "Bench", "Detail": "{}", "EventBusName": "default"}
                ],
                "keys": [{"pk": "p", "sk": "s", "eventId": "e"}],
            }
        ],
    },
    "OutboxMark": {"published": 1, "failed": 0, "failedEventIds": []},
}


def _floor(runs: int, speedups: bool) -> dict[str, Any]:
    """Per order: one saga (happy path) and two outbox publications, sequentially, no-op tasks;
    on moto as shipped, or with the runtime's speedups to it."""
    import boto3
    from botocore.response import StreamingBody
    from moto import mock_aws
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from local_runtime import moto_patches
    from local_runtime.moto_patches import atomic_entrances
    from local_runtime.moto_patches import speedups as moto_speedups

    def definition(name: str) -> str:
        text = (REPO_ROOT / "asl" / f"{name}.asl.json").read_text()
        return re.sub(
            r"\$\{(\w+?)(FunctionArn|TopicArn|Arn)?\}",
            lambda m: f"arn:aws:lambda:{_REGION}:{_ACCOUNT}:function:{m.group(1)}",
            text,
        )

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        moto_patches.install()  # aws-sdk:eventbridge needs it; no clock runs: waits are real
        for patch in atomic_entrances.PATCHES:
            patch.revert()  # one request at a time here: the floor takes no storage lock
        if not speedups:
            for patch in moto_speedups.PATCHES:
                patch.revert()
        sfn = boto3.client("stepfunctions", region_name=_REGION)

        def no_op(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
            name = params["url_path"].split("function%3A", 1)[1].split("/", 1)[0]
            payload = json.loads(params.get("body") or b"{}")
            if isinstance(payload, dict) and "taskToken" in payload:
                # The provider answers once the task waits for it (moto drops an answer that arrives
                # before the heartbeat wait is set up): a few milliseconds later, from its own thread.
                threading.Timer(
                    0.005, sfn.send_task_success, kwargs={"taskToken": payload["taskToken"], "output": "{}"}
                ).start()
            body = json.dumps(_NO_OP.get(name, {})).encode()
            response = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body), len(body))}
            return type("R", (), {"status_code": 200, "headers": {}})(), response

        boto3._get_default_session().events.register("before-call.lambda.Invoke", no_op)
        machines = {
            name: sfn.create_state_machine(
                name=name, definition=definition(name), roleArn=f"arn:aws:iam::{_ACCOUNT}:role/b", type=kind
            )["stateMachineArn"]
            for name, kind in (("order_saga", "STANDARD"), ("outbox_publisher", "EXPRESS"))
        }

        def run(machine: str, payload: str) -> None:
            arn = sfn.start_execution(stateMachineArn=machine, name=uuid.uuid4().hex, input=payload)[
                "executionArn"
            ]
            execution = stepfunctions_parser_backends[_ACCOUNT][_REGION].describe_execution(arn)
            assert moto_patches.wait_for_end(execution, 30)
            status = sfn.describe_execution(executionArn=arn)["status"]
            assert status == "SUCCEEDED", status

        durations = []
        for _ in range(runs):
            started = time.perf_counter()
            run(machines["outbox_publisher"], "[]")
            run(machines["order_saga"], "[]")
            run(machines["outbox_publisher"], "[]")
            durations.append(time.perf_counter() - started)
    return {"per_order_s": statistics.median(durations)}


# -- the whole platform ---------------------------------------------------------------------------
def _platform(orders: int, warm: bool = True) -> dict[str, Any]:
    if warm:
        _platform_run(1)  # the interpreter's first-use costs, paid once per process
    return _platform_run(orders)


def _platform_run(orders: int) -> dict[str, Any]:
    from demo.customers import post_order
    from demo.inventory import seed_stock
    from demo.payment_provider import PaymentProvider
    from local_runtime import LocalApp

    sample = json.loads((REPO_ROOT / "sample_events" / "place_order.json").read_text())
    with LocalApp(REPO_ROOT / "cdk.out", log_level="WARNING") as app:
        seed_stock(app, {line["sku"]: 1_000_000 for line in sample["items"]})
        app.add_party(PaymentProvider(app, answer_after=timedelta(seconds=2)))
        started = time.perf_counter()
        for n in range(orders):
            response = post_order(app, {**sample, "customerId": f"load-{n}"})
            assert response.status == 201, response.body
        app.drain(timeout=3600)
        wall = time.perf_counter() - started
        sagas = app.executions(app.output("OrderSagaStateMachineArn"))
        histories = Counter(tuple(app.states_visited(e["executionArn"])) for e in sagas)
        confirmed = sum(1 for e in sagas if app.states_visited(e["executionArn"])[-1:] == ["OrderConfirmed"])
        return {
            "orders": orders,
            "per_order_s": wall / orders,
            "rss_mib": _peak_rss_mib(),
            "confirmed": confirmed,
            "distinct_histories": len(histories),
            "throttled": sum(app.lambdas.throttles.values()),
            "peak_concurrency": max(app.lambdas.peak_concurrency.values()),
        }


def _steady(rate_per_second: float, orders: int) -> dict[str, Any]:
    from demo.customers import post_order
    from local_runtime import LocalApp

    sample = json.loads((REPO_ROOT / "sample_events" / "place_order.json").read_text())
    with LocalApp(REPO_ROOT / "cdk.out", log_level="WARNING") as app:
        app.pause_pipe("OrderSaga")  # the outbox alone: one event per order
        placed: list[int] = []

        def place() -> None:
            post_order(app, {**sample, "customerId": f"steady-{len(placed)}"})
            placed.append(1)
            if len(placed) < orders:
                app.after(1 / rate_per_second, place)

        place()
        app.drain(timeout=600)
        return {"rate": rate_per_second, "orders": orders, "calls": app.bus.calls, "entries": app.bus.entries}


ROUNDS = {10: 5, 100: 3, 500: 1}
"""Rounds per size. This machine's speed drifts by half from one minute to the next (the same
ten-order run measured 150 to 340 ms per order within one process), so each round measures the
floor and the platform back to back in fresh interpreters, and a size's ratio is the median of
its rounds' ratios: adjacent runs share the machine's speed of the moment."""


def measure_platform(sizes: tuple[int, ...] = (10, 100, 500)) -> list[tuple[Any, ...]]:
    floors: list[float] = []
    engines: list[float] = []
    rows: list[tuple[Any, ...]] = []
    runs = [("cold", sizes[0])] + [("warm", size) for size in sizes]
    for mode, size in runs:
        ratios, engine_ratios, per_order, results = [], [], [], []
        for _ in range(ROUNDS.get(size, 1) if mode == "warm" else 1):
            floor = _in_fresh_interpreter("floor", "10")["per_order_s"]
            engine = _in_fresh_interpreter("floor", "10", "speedups")["per_order_s"]
            run = _in_fresh_interpreter("platform", str(size), mode)
            floors.append(floor)
            engines.append(engine)
            ratios.append(run["per_order_s"] / floor)
            engine_ratios.append(run["per_order_s"] / engine)
            per_order.append(run["per_order_s"])
            results.append(run)
        rows.append(
            (
                "embedded runtime, orders at once"
                if mode == "warm"
                else "  the same, first app of a cold interpreter",
                size,
                len(results),
                statistics.median(per_order) * 1000,
                statistics.median(ratios),
                statistics.median(engine_ratios),
                f"{max(r['rss_mib'] for r in results):.0f}",
                f"{min(r['confirmed'] for r in results)}/{size}",
                max(r["distinct_histories"] for r in results),
                max(r["peak_concurrency"] for r in results),
                sum(r["throttled"] for r in results),
            )
        )
    engine_per_floor = statistics.median(e / f for e, f in zip(engines, floors, strict=True))
    floor_rows = [
        (
            "bare moto floor (as shipped, no-op tasks, sequential)",
            10,
            len(floors),
            statistics.median(floors) * 1000,
            1.0,
        ),
        (
            "  the same with the runtime's speedups to moto",
            10,
            len(engines),
            statistics.median(engines) * 1000,
            engine_per_floor,
        ),
    ]
    return [(*row, "", "", "", "", "", "") for row in floor_rows] + rows


def measure_steady(rates: tuple[float, ...] = (1, 2, 5, 10, 20), orders: int = 100) -> list[tuple[Any, ...]]:
    rows = []
    for rate in rates:
        run = _in_fresh_interpreter("steady", str(rate), str(orders))
        rows.append((rate, orders, run["calls"], run["entries"], run["calls"] / run["entries"]))
    return rows


if __name__ == "__main__":
    from local_runtime.gc_policy import collect_less_often

    collect_less_often()  # both sides: the floor's interpreter collects as the platform's does
    mode, *args = sys.argv[1:]
    if mode == "floor":
        print(json.dumps(_floor(int(args[0]), speedups=args[1:] == ["speedups"])))
    elif mode == "platform":
        print(json.dumps(_platform(int(args[0]), warm=args[1:] != ["cold"])))
    elif mode == "steady":
        print(json.dumps(_steady(float(args[0]), int(args[1]))))
    else:
        raise SystemExit(
            f"unknown mode {mode!r}: floor RUNS [speedups] | platform ORDERS [cold] | steady RATE ORDERS"
        )
