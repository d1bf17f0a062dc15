"""The local endpoint, driven only as a user would: the AWS CLI (the README's session as a bash
script of ``aws`` commands; elsewhere the CLI's driver in-process, `tests.workflow.aws_cli`), boto3
with ``endpoint_url``, and plain HTTP to the orders API at the URL of the outputs file."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from demo.customers import CustomerAccount, session_arn
from demo.payment_provider import PaymentProvider
from local_runtime import LocalApp
from local_runtime.app import LOCAL_ACCOUNT
from local_runtime.serve import LocalEndpoint
from tests.waiting import until
from tests.workflow.aws_cli import aws
from workflows import constants as c

pytestmark = pytest.mark.workflow

REPO_ROOT = Path(__file__).resolve().parents[2]
_ANY_PORTS = (
    "--party",
    "demo.payment_provider:answering_provider",
    "--virtual-clock",
    "--port",
    "0",
    "--api-port",
    "0",
    "--outputs",
)
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def _port_is_free(port: int) -> bool:
    """True when a server may listen on the port again (as a restarted ``make serve`` would).

    SO_REUSEADDR, as every server sets it: connections the endpoint closed linger in TIME_WAIT on
    the port for a minute, and they do not stop a new listener; a socket still listening does.
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_a_user_session_against_the_local_endpoint(
    assembly_dir: Path, sample_order: dict[str, Any], tmp_path: Path
) -> None:
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        app.add_party(PaymentProvider(app, answer_after=None))  # callbacks are answered by hand below
        endpoint = LocalEndpoint(app, "127.0.0.1", 0, 0).start()
        try:
            _session(endpoint.url, endpoint.outputs()[app.stack.name], sample_order, tmp_path)
        finally:
            endpoint.stop()
        port = int(endpoint.url.rsplit(":", 1)[1])
        # Stopping leaves no thread and no port behind, and it starts again on that port
        assert not [t for t in threading.enumerate() if t.name.startswith("local-")]
        assert _port_is_free(port)
        again = LocalEndpoint(app, "127.0.0.1", port, 0).start()
        try:
            assert _client(again.url, "stepfunctions").list_state_machines()["stateMachines"]
        finally:
            again.stop()


def _customer(url: str, out: dict[str, Any], name: str) -> CustomerAccount:
    """A customer signed up and signed in through the endpoint's cognito-idp, as on AWS."""
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    account = CustomerAccount(_client(url, "cognito-idp"), out["CustomerClientId"], email)
    account.sign_up()
    account.sign_in()
    return account


def _order_request(url: str, out: dict[str, Any], order: dict[str, Any]) -> urllib.request.Request:
    """POST /orders in plain HTTP at the outputs file's API URL, by a customer signed in to the
    stack's pool (`Authorization: Bearer <access token>`)."""
    customer = _customer(url, out, str(order["customerId"]))
    return urllib.request.Request(
        out["OrdersApiUrl"] + "orders",
        data=json.dumps({**order, "customerId": customer.customer_id}).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
            **customer.bearer(),
        },
    )


def _session(url: str, out: dict[str, Any], sample_order: dict[str, Any], tmp_path: Path) -> None:
    # Given stock, seeded with boto3 against the endpoint
    for sku in ("SKU-KETTLE-01", "SKU-MUG-02"):
        _client(url, "dynamodb").put_item(
            TableName=out["InventoryTableName"],
            Item={"pk": {"S": f"SKU#{sku}"}, "sku": {"S": sku}, "available": {"N": "100"}},
        )
    # When an order is placed with plain HTTP at the outputs file's API URL, by its customer
    with urllib.request.urlopen(_order_request(url, out, sample_order), timeout=30) as response:
        assert response.status == 201
        order_id = json.loads(response.read())["orderId"]

    # Then its saga asks for payment, and the callback is answered with the AWS CLI
    def requested() -> Any:
        items = _client(url, "dynamodb").scan(TableName=out["PaymentsTableName"])["Items"]
        return [item for item in items if "taskToken" in item]

    (entry,) = until(requested)
    answer = {
        "authorizationId": entry["authorizationId"]["S"],
        "amount": int(entry["amount"]["N"]),
        "currency": entry["currency"]["S"],
        "status": "AUTHORIZED",
    }
    aws(
        url,
        "stepfunctions",
        "send-task-success",
        "--task-token",
        entry["taskToken"]["S"],
        "--task-output",
        json.dumps(answer),
    )
    # And the saga ends CONFIRMED; its history is read back
    sfn = _client(url, "stepfunctions")

    def succeeded() -> Any:
        executions = sfn.list_executions(stateMachineArn=out["OrderSagaStateMachineArn"])["executions"]
        return [e for e in executions if e["status"] == "SUCCEEDED"]

    (execution,) = until(succeeded)
    history = sfn.get_execution_history(executionArn=execution["executionArn"])
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in history["events"] if "stateEnteredEventDetails" in e
    ]
    assert entered[-2:] == ["ConfirmOrder", "OrderConfirmed"]
    # An operator reads it: a session of the operator role (who signs, given locally)
    operator = session_arn(LOCAL_ACCOUNT, out["OperatorRoleArn"].rsplit("/", 1)[-1], "support")
    read = urllib.request.Request(
        out["OrdersApiUrl"] + f"{c.ORDERS_OPERATOR_PATH}/orders/{order_id}",
        headers={"X-Local-Caller": operator},
    )
    with urllib.request.urlopen(read, timeout=30) as response:
        assert json.loads(response.read())["status"] == "CONFIRMED"
    # And lambda invoke runs the real handler (which refuses a malformed task input by name)
    functions = _client(url, "lambda").list_functions()["Functions"]
    mark_failed = next(f["FunctionName"] for f in functions if "MarkClaimFailed" in f["FunctionName"])
    result = tmp_path / "invoke.json"
    invoked = aws(url, "lambda", "invoke", "--function-name", mark_failed, "--payload", "{}", str(result))
    assert invoked["FunctionError"] == "Unhandled"
    assert json.loads(result.read_text())["errorType"] == "InvalidClaimInput"
    _more_of_the_session(url, out, sample_order, requested)


def _more_of_the_session(
    url: str, out: dict[str, Any], sample_order: dict[str, Any], requested: Callable[[], Any]
) -> None:
    sfn = _client(url, "stepfunctions")
    # A second order's payment is declined with send-task-failure: its saga undoes and cancels
    second_order = {**sample_order, "customerId": "cust-0043"}
    with urllib.request.urlopen(_order_request(url, out, second_order), timeout=30) as response:
        second = json.loads(response.read())["orderId"]
    (declined,) = until(lambda: [i for i in requested() if i["orderId"]["S"] == second])
    aws(
        url,
        "stepfunctions",
        "send-task-failure",
        "--task-token",
        declined["taskToken"]["S"],
        "--error",
        "PaymentDeclined",
        "--cause",
        "insufficient funds",
    )

    def cancelled() -> Any:
        items = _client(url, "dynamodb").scan(TableName=out["OrdersTableName"])["Items"]
        return [
            i
            for i in items
            if i.get("orderId", {}).get("S") == second and i.get("status", {}).get("S") == "CANCELLED"
        ]

    until(cancelled)
    # And events, queues and executions answer as on AWS (the CLI's own parsing is AWS's: the
    # README session and the calls above show it reaching this endpoint)
    put = _client(url, "events").put_events(
        Entries=[
            {
                "Source": "local.test",
                "DetailType": "Ping",
                "Detail": "{}",
                "EventBusName": out["EventBusName"],
            }
        ]
    )
    assert put["FailedEntryCount"] == 0
    sqs = _client(url, "sqs")
    queue = sqs.create_queue(QueueName="local-session")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="hello")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue)["Messages"]] == ["hello"]
    started = sfn.start_execution(
        stateMachineArn=out["ClaimCheckResolveStateMachineArn"], name="not-a-claim", input="[]"
    )
    ended = until(
        lambda: (
            (d := sfn.describe_execution(executionArn=started["executionArn"]))["status"] != "RUNNING" and d
        )
    )
    assert (ended["status"], ended["error"]) == ("FAILED", "ClaimEventRejected")
    # And a failed execution is redriven with the CLI: an intake message that is no intake fails the
    # split at its IntakeRejected Fail state, and the redrive runs that state again (failing again)
    not_an_intake = json.dumps({"source": "aws.s3", "detail-type": "Object Deleted", "detail": {}})
    sqs.send_message(QueueUrl=out["ClaimIntakeQueueUrl"], MessageBody=not_an_intake)
    split = out["ClaimCheckSplitStateMachineArn"]
    (failed,) = until(
        lambda: [
            e for e in sfn.list_executions(stateMachineArn=split)["executions"] if e["status"] == "FAILED"
        ]
    )
    aws(url, "stepfunctions", "redrive-execution", "--execution-arn", failed["executionArn"])

    def redriven_and_ended() -> Any:
        events = sfn.get_execution_history(executionArn=failed["executionArn"])["events"]
        types = [event["type"] for event in events]
        return types if "ExecutionRedriven" in types and types[-1] == "ExecutionFailed" else None

    types = until(redriven_and_ended)
    assert types.count("ExecutionFailed") == 2 and types.count("TaskStateEntered") == 1  # IssueClaim ran once
    # And the synchronous APIs answer (their "sync-" host prefix switched off, as the README says)
    sync = boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(inject_host_prefix=False),
    )
    ran = sync.start_sync_execution(
        stateMachineArn=out["AccountChangeNotificationStateMachineArn"], input="[]"
    )
    assert (ran["status"], ran["error"]) == ("FAILED", "InvalidAccountChange")
    tested = sync.test_state(
        definition=(REPO_ROOT / "asl" / "order_saga.asl.json").read_text(),
        stateName="AlreadyHandled",
        input=json.dumps({"duplicate": True}),
    )
    assert (tested["status"], tested["nextState"]) == ("SUCCEEDED", "DuplicateDelivery")


def _readme_session() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("## Drive it like AWS") :]
    block = section[
        section.index("```bash\n") + len("```bash\n") : section.index("```\n", section.index("```bash"))
    ]
    return "\n".join(line for line in block.splitlines() if not line.startswith("make serve"))


def test_make_serve_runs_the_readme_session_and_stops_cleanly_on_sigterm(
    assembly_dir: Path, tmp_path: Path
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text('{"OrderPlatformStack": {"OrdersApiUrl": "http://stale/"}}')  # an earlier session's
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local_runtime.serve",
            "--assembly",
            str(assembly_dir),
            *_ANY_PORTS,
            str(outputs),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **CREDENTIALS},
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        assert line.startswith("AWS endpoint "), line
        url = line.split()[2]
        (values,) = json.loads(outputs.read_text()).values()
        assert values["OrdersApiUrl"].startswith("http://127.0.0.1:")
        # The README's session, run as it is written (but for starting the server)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", _readme_session()],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "ENDPOINT": url, "OUTPUTS": str(outputs), "AWS_PAGER": ""},
        )
        assert done.returncode == 0, done.stderr
        assert "OrderConfirmed" in done.stdout and "InvalidAccountChange" in done.stdout
        assert "401" in done.stdout.split()  # the unsigned notice, refused at the webhook's own URL
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert _port_is_free(int(url.rsplit(":", 1)[1]))
    assert not outputs.exists()  # it described an endpoint that is gone


def test_on_a_virtual_clock_a_payment_answered_minutes_later_confirms_at_once(
    assembly_dir: Path, sample_order: dict[str, Any]
) -> None:
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        app.add_party(PaymentProvider(app, answer_after=240.0))  # 4 virtual minutes, inside the heartbeat
        endpoint = LocalEndpoint(app, "127.0.0.1", 0, 0, virtual_clock=True).start()
        try:
            out = endpoint.outputs()[app.stack.name]
            for sku in ("SKU-KETTLE-01", "SKU-MUG-02"):
                _client(endpoint.url, "dynamodb").put_item(
                    TableName=out["InventoryTableName"],
                    Item={"pk": {"S": f"SKU#{sku}"}, "sku": {"S": sku}, "available": {"N": "100"}},
                )
            urllib.request.urlopen(_order_request(endpoint.url, out, sample_order), timeout=30).close()
            sfn = _client(endpoint.url, "stepfunctions")
            started = time.monotonic()
            (execution,) = until(
                lambda: [
                    e
                    for e in sfn.list_executions(stateMachineArn=out["OrderSagaStateMachineArn"])[
                        "executions"
                    ]
                    if e["status"] == "SUCCEEDED"
                ]
            )
            assert time.monotonic() - started < 20  # not the 4 minutes of wall time
            assert (execution["stopDate"] - execution["startDate"]).total_seconds() >= 240
        finally:
            endpoint.stop()
