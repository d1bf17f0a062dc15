"""A partner's bulk order import through the claim check, played locally: a JSON Lines file is
uploaded under intake/, claimed, verified and imported line by line; bad lines end in a report."""

from __future__ import annotations

import json
from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp

_deserializer = TypeDeserializer()


class Expectations(Protocol):
    def expect(self, condition: bool, problem: str) -> None: ...


def _batch(sample: dict[str, Any]) -> tuple[bytes, int, list[int]]:
    """Two good orders, a line that is not JSON, an order in an unknown currency, one more good."""
    good = [json.dumps({**sample, "customerId": f"partner-7-{n}"}) for n in range(3)]
    lines = [
        good[0],
        good[1],
        '{"customerId": "partner-7-x", "items": [',
        json.dumps({**sample, "currency": "eur"}),
        good[2],
    ]
    return ("\n".join(lines) + "\n").encode(), 3, [3, 4]


def _claims(app: LocalApp) -> list[dict[str, Any]]:
    items = app.client("dynamodb").scan(TableName=app.output("ClaimsTableName"))["Items"]
    return [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in items]


def run_bulk_import(
    app: LocalApp, sample: dict[str, Any], provider: PaymentProvider, checks: Expectations
) -> None:
    """Upload a batch with two bad lines; show the claim, the import, the report and the sagas."""
    print("\n== Bulk import (claim check: upload -> split -> ClaimCheckIssued -> resolve, Distributed Map)")
    claim_tap = app.subscribe(app.output("EventBusName"), {"source": ["order-platform.claim-check"]})
    body, good, bad_lines = _batch(sample)
    bucket = app.output("PayloadBucketName")
    app.client("s3").put_object(Bucket=bucket, Key="intake/partner-7-batch.jsonl", Body=body)
    provider.settle()
    (claim,) = _claims(app)
    print(
        f"   claim {claim['claimId'][:8]}: {claim['size']} bytes, sha256 {claim['sha256'][:12]}...,"
        f" {claim['ranges']} range(s), door {claim['door']}"
    )
    issued = app.receive_all(claim_tap)
    sizes = [len(json.dumps(event)) for event in issued]
    print(f"   ClaimCheckIssued on the bus: {len(issued)} event(s) of {sizes} bytes (the claim only)")
    for machine in ("ClaimCheck/Split", "ClaimCheck/Resolve"):
        for execution in app.executions(machine):
            path = " -> ".join(app.states_visited(execution["executionArn"]))
            print(f"   {machine.split('/')[1].lower()} {execution['status']}: {path}")
    print(f"   result: {claim['status']}, {claim.get('accepted')} imported, {claim.get('rejected')} rejected")
    report = app.client("s3").get_object(Bucket=bucket, Key=claim["reportKey"])["Body"].read().decode()
    for line in report.splitlines():
        entry = json.loads(line)
        print(f"   | line {entry['line']}: {entry['error'][:90]}")
    checks.expect(claim["status"] == "RESOLVED", f"the import ended {claim['status']}")
    checks.expect((claim.get("accepted"), claim.get("rejected")) == (good, len(bad_lines)), "import counts")
    checks.expect(
        [json.loads(line)["line"] for line in report.splitlines()] == bad_lines, "report line numbers"
    )
    checks.expect(len(issued) == 1 and max(sizes) < 2048, "one small ClaimCheckIssued event")
    items = app.client("dynamodb").scan(TableName=app.output("OrdersTableName"))["Items"]
    imported = [
        {k: _deserializer.deserialize(v) for k, v in item.items()}
        for item in items
        if item.get("recordType", {}).get("S") == "ORDER" and item["customerId"]["S"].startswith("partner-7-")
    ]
    outcomes = sorted(order["status"] for order in imported)
    print(f"   imported orders ran the saga: {outcomes}")
    checks.expect(len(imported) == good, f"{len(imported)} imported orders")
    checks.expect(all(status in {"CONFIRMED", "CANCELLED"} for status in outcomes), f"sagas ended {outcomes}")
