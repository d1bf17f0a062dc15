"""A day replayed from the bus's archive (issue 24): orders, an import and an account change, then
every archived event put back through `operations.replay`. Nothing changes twice: no stock moves,
no payment is asked for, no email is sent and no claim is imported again, and each replayed
delivery ends as a named duplicate."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from moto.ses.models import ses_backends

from demo.customers import customers
from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from operations.replay import main as replay_main
from tests.workflow.saga_helpers import order_for, payments, reservations, shipments, start_order, stock

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "sample_events" / "place_order.json").read_text())


def _ledgers(app: LocalApp) -> dict[str, Any]:
    """Everything a consumer of the platform's events could change."""
    scan = app.client("dynamodb").get_paginator("scan")
    tables = {
        name: sorted(
            json.dumps(item, sort_keys=True)
            for page in scan.paginate(TableName=app.output(name))
            for item in page["Items"]
        )
        for name in ("OrdersTableName", "ClaimsTableName", "NoticesTableName")
    }
    return {
        **tables,
        "stock": stock(app),
        "reservations": reservations(app),
        "payments": payments(app),
        "shipments": shipments(app),
        "emails": len(ses_backends[app.account][app.region].sent_messages),
    }


def _waiting_on(app: LocalApp) -> Any:
    """The command's wait between polls, on the app's virtual clock (time passes for the replay)."""
    return lambda seconds: app.advance(timedelta(seconds=seconds))


def _last_state(app: LocalApp, execution_arn: str) -> str:
    entered = [e for e in app.history(execution_arn) if e["type"].endswith("StateEntered")]
    return str(entered[-1]["stateEnteredEventDetails"]["name"])


def _ended(app: LocalApp, machine: str) -> dict[str, tuple[str, str]]:
    return {
        e["executionArn"]: (e["status"], _last_state(app, e["executionArn"]))
        for e in app.executions(app.output(machine))
    }


def test_a_day_replayed_changes_nothing_and_every_delivery_is_a_named_duplicate(
    saga_app: LocalApp, provider: PaymentProvider, sample_order: dict[str, Any], tmp_path: Path
) -> None:
    app = saga_app
    day_began = app.now()
    # Given a day: orders confirmed and declined hours apart, a file imported, an account changed
    start_order(app, order_for(sample_order))
    app.advance(timedelta(hours=3))
    start_order(
        app, order_for(sample_order, items=[{"sku": "SKU-KETTLE-01", "quantity": 1, "unitPrice": 10**8}])
    )
    app.advance(timedelta(hours=3))
    app.client("s3").put_object(
        Bucket=app.output("PayloadBucketName"),
        Key="intake/day.jsonl",
        Body=(json.dumps(order_for(SAMPLE)) + "\n").encode(),
    )
    provider.settle()
    app.drain()
    sub = customers(app)["ada"].customer_id  # the customer whose account changes
    accounts = app.output("AccountsTableName")
    app.client("dynamodb").put_item(
        TableName=accounts, Item={"pk": {"S": sub}, "sub": {"S": sub}, "phone": {"S": "1"}}
    )
    app.client("dynamodb").update_item(
        TableName=accounts,
        Key={"pk": {"S": sub}},
        UpdateExpression="SET phone = :p",
        ExpressionAttributeValues={":p": {"S": "2"}},
    )
    provider.settle()
    app.drain()
    before = _ledgers(app)
    sagas, resolves = _ended(app, "OrderSagaStateMachineArn"), _ended(app, "ClaimCheckResolveStateMachineArn")
    assert before["emails"] == 1 and len(before["payments"]) == 3 and len(sagas) == 3 and len(resolves) == 1
    # When the whole day is replayed from the archive
    outputs = tmp_path / "outputs.json"
    names = ("EventArchiveArn", "EventBusName")
    outputs.write_text(json.dumps({"OrderPlatformStack": {name: app.output(name) for name in names}}))
    window = ["--from", (day_began - timedelta(minutes=1)).isoformat(), "--to", app.now().isoformat()]
    command = ["--outputs", str(outputs), *window, "--timeout", "600"]
    assert replay_main(command, events=app.client("events"), sleep=_waiting_on(app)) == 0
    provider.settle()
    app.drain()
    # Then nothing changed twice ...
    assert _ledgers(app) == before
    # ... and every replayed OrderPlaced and ClaimCheckIssued started a consumer that ended as a
    # named duplicate
    replayed_sagas = {
        arn: end for arn, end in _ended(app, "OrderSagaStateMachineArn").items() if arn not in sagas
    }
    replayed_resolves = {
        arn: end
        for arn, end in _ended(app, "ClaimCheckResolveStateMachineArn").items()
        if arn not in resolves
    }
    assert sorted(replayed_sagas.values()) == [("SUCCEEDED", "DuplicateDelivery")] * 3
    assert list(replayed_resolves.values()) == [("SUCCEEDED", "DuplicateClaim")]


def test_a_replay_to_one_rule_reaches_only_its_consumer_and_a_bad_window_is_refused(
    saga_app: LocalApp, sample_order: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    app = saga_app
    began = app.now()
    start_order(app, order_for(sample_order))
    app.drain()
    sagas = app.executions(app.output("OrderSagaStateMachineArn"))
    outputs = tmp_path / "outputs.json"
    names = ("EventArchiveArn", "EventBusName")
    outputs.write_text(json.dumps({"OrderPlatformStack": {name: app.output(name) for name in names}}))
    window = ["--from", (began - timedelta(minutes=1)).isoformat(), "--to", app.now().isoformat()]
    events = app.client("events")
    # a rule the bus does not have, and a window that is not one, are usage errors with a message
    assert replay_main(["--outputs", str(outputs), *window, "--rule", "nobody"], events=events) == 2
    assert "has no rule nobody" in capsys.readouterr().err
    backwards = ["--from", app.now().isoformat(), "--to", began.isoformat()]
    assert replay_main(["--outputs", str(outputs), *backwards], events=events) == 2
    assert "is not before --to" in capsys.readouterr().err
    # a replay to the claim check's rule only starts no saga
    claim_rules = [
        rule["Name"]
        for rule in events.list_rules(EventBusName=app.output("EventBusName"))["Rules"]
        if "ClaimCheckIssued" in rule.get("EventPattern", "")
    ]
    assert len(claim_rules) == 1
    to_claims = ["--outputs", str(outputs), *window, "--rule", claim_rules[0]]
    assert replay_main(to_claims, events=events, sleep=_waiting_on(app)) == 0
    report = capsys.readouterr().out
    assert ": COMPLETED" in report and f"to rules     {claim_rules[0]}" in report
    app.drain()
    assert len(app.executions(app.output("OrderSagaStateMachineArn"))) == len(sagas)
