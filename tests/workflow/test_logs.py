"""Where an order's logs land: each function's lines in the log group its LoggingConfig names,
one stream per execution environment, framed by Lambda's JSON platform records; each state
machine's history in its logging destination, at level ALL with the execution data. Both read
back with the CloudWatch Logs API, as `aws logs filter-log-events` reads them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from tests.workflow.saga_helpers import STOCK, order_for, saga_of, seed_stock, start_order

pytestmark = pytest.mark.workflow


def _group_of(app: LocalApp, path: str) -> str:
    return str(app.lambdas.spec(app.function_name(path)).log_group_name)


@pytest.fixture
def saga_app(assembly_dir: Path) -> Iterator[LocalApp]:
    """The platform at its template's log level (INFO: the handlers' own lines are logged)."""
    with LocalApp(assembly_dir) as app:
        seed_stock(app, STOCK)
        app.add_party(PaymentProvider(app))
        yield app


def test_an_orders_functions_and_saga_log_where_the_template_says(
    saga_app: LocalApp, sample_order: dict[str, Any]
) -> None:
    # Given an order confirmed end to end
    order_id = start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    saga = saga_of(saga_app, order_id)
    logs = saga_app.client("logs")
    # Then BeginSaga's group (its LoggingConfig's, 30 days) holds that invocation, framed by Lambda
    group = _group_of(saga_app, "OrderSaga/BeginSagaFunction")
    (described,) = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert described["retentionInDays"] == 30
    (stream,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert stream["logStreamName"].split("/")[3].startswith("[$LATEST]")
    records = [
        json.loads(e["message"])
        for e in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]
    ]
    assert records[0]["type"] == "platform.start" and records[-1]["type"] == "platform.report"
    assert any(r.get("message") == "Saga started" and r.get("orderId") == order_id for r in records[1:-1])
    # And the saga's history is in its logging destination, every event, with its data
    destination = saga_app.client("stepfunctions").describe_state_machine(
        stateMachineArn=saga_app.output("OrderSagaStateMachineArn")
    )["loggingConfiguration"]["destinations"][0]["cloudWatchLogsLogGroup"]["logGroupArn"]
    saga_group = destination.split(":log-group:", 1)[1].removesuffix(":*")
    logged = [
        json.loads(e["message"])
        for e in logs.filter_log_events(logGroupName=saga_group)["events"]
        if saga["executionArn"] in e["message"]
    ]
    history = saga_app.history(saga["executionArn"])
    assert [r["type"] for r in logged] == [e["type"] for e in history]
    assert order_id in logged[0]["details"]["input"]  # IncludeExecutionData
