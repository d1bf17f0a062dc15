"""The local console in a real headless Chromium (Debian's), driven by Playwright, against a
served endpoint: what a user clicks, and what they see.

The tier skips, saying so, on a machine without Chromium, except under ``CI=true`` (where
``.ci/run`` installs it): there it must run. ``CONSOLE_SCREENSHOTS=docs/console`` (``make
screenshots``) keeps the README's screenshots, taken by these tests.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from demo.customers import customers
from demo.payment_provider import silent_provider
from local_runtime import LocalApp
from local_runtime.app import LOCAL_ACCOUNT
from local_runtime.serve import LocalEndpoint, publish_outputs
from tests.waiting import until

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
"""As the machine notes say: without the background-networking flags Chromium's own connections
are refused by the closed network, many at a time."""


def _chromium_or_skip() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true and no Chromium: .ci/run installs Debian's chromium before the tests")
    pytest.skip("no Chromium on this machine (apt-get install chromium): the browser tier is skipped")


def _screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("CONSOLE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


class Served:
    def __init__(self, app: LocalApp, endpoint: LocalEndpoint) -> None:
        self.app = app
        self.endpoint = endpoint
        self.console = f"{endpoint.url}/console/"
        self.outputs = endpoint.outputs()[app.stack.name]

    def machine(self, output: str) -> str:
        return str(self.outputs[output])

    def executions(self, machine: str) -> list[dict[str, Any]]:
        listed = self.app.client("stepfunctions").list_executions(stateMachineArn=machine)
        return list(listed["executions"])


@pytest.fixture(scope="module")
def served(assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    _chromium_or_skip()
    outputs = tmp_path_factory.mktemp("console") / "outputs.json"
    static = {
        "/console/": REPO_ROOT / "console",
        "/console/vendor/": REPO_ROOT / "node_modules" / "mermaid" / "dist",
        "/console/samples/": REPO_ROOT / "sample_events",
        "/console/outputs.json": outputs,
    }
    with LocalApp(assembly_dir, log_level="WARNING") as app:
        app.add_party(silent_provider(app))  # payments wait for an answer given from the page
        # wall time, as `make serve` runs by default: a Wait takes its time unless the clock is advanced
        endpoint = LocalEndpoint(app, "127.0.0.1", 0, 0, static=static).start()
        try:
            publish_outputs(outputs, endpoint.outputs())
            yield Served(app, endpoint)
        finally:
            endpoint.stop()


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(30_000)
    yield page
    page.close()
    assert errors == [], "the page raised"


def _place_order(served: Served, order: dict[str, Any]) -> None:
    """POST /orders over HTTP at the outputs file's API URL, by the order's customer signed in to
    the stack's user pool."""
    for sku in {line["sku"] for line in order["items"]}:
        served.app.client("dynamodb").put_item(
            TableName=served.outputs["InventoryTableName"],
            Item={"pk": {"S": f"SKU#{sku}"}, "sku": {"S": sku}, "available": {"N": "100"}},
        )
    customer = customers(served.app)[str(order["customerId"])]
    request = urllib.request.Request(
        served.outputs["OrdersApiUrl"] + "orders",
        data=json.dumps({**order, "customerId": customer.customer_id}).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
            **customer.bearer(),
        },
    )
    urllib.request.urlopen(request, timeout=30).close()


def _failed_saga(served: Served, name: str) -> str:
    """A saga started by hand with the sample event, whose order does not exist: it fails (the
    event is refused by name), and its failure is parked in the workflow failures queue."""
    sfn = served.app.client("stepfunctions")
    sample = (REPO_ROOT / "sample_events" / "order_saga.json").read_text()
    saga = served.machine("OrderSagaStateMachineArn")
    arn = str(sfn.start_execution(stateMachineArn=saga, name=name, input=sample)["executionArn"])
    until(lambda: sfn.describe_execution(executionArn=arn)["status"] == "FAILED")
    return arn


def _where_it_stands(served: Served, arn: str, answer: Any) -> str:
    """What a stuck answer test needs to be read: the form's message and the execution's last events."""
    sfn = served.app.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=8)["events"]
    said = answer.inner_text() if answer.count() else "(no answer form on the page)"
    tail = [(e["type"], (e.get("stateEnteredEventDetails") or {}).get("name", "")) for e in events]
    return f"the answer form says {said!r}; the execution's newest events: {tail}"


def _open_execution(page: Any, served: Served, arn: str) -> None:
    page.goto(f"{served.console}#/execution/{arn}")
    page.wait_for_selector(".graph svg g[data-state]")


def test_an_order_placed_through_the_api_shows_its_path_and_is_answered_from_the_page(
    page: Any, served: Served, sample_order: dict[str, Any]
) -> None:
    # Given an order placed through the API, whose saga waits for the (silent) payment provider
    saga = served.machine("OrderSagaStateMachineArn")
    _place_order(served, {**sample_order, "customerId": "cust-console"})
    (running,) = until(lambda: [e for e in served.executions(saga) if e["status"] == "RUNNING"])
    until(served.app.parked_executions)
    # When its page is opened, the path so far is drawn and the payment step waits for its token
    _open_execution(page, served, running["executionArn"])
    page.wait_for_selector('.graph g[data-outcome="waiting"]')
    assert page.locator('.graph g[data-outcome="succeeded"]').count() >= 2
    waiting = page.locator('.graph g[data-outcome="waiting"]').first.get_attribute("data-state")
    assert page.get_by_role("region", name=f"answer {waiting}").is_visible()
    _screenshot(page, "waiting-for-a-payment")
    # When the payment is answered from the page with a decline
    answer = page.get_by_role("region", name=f"answer {waiting}")
    answer.get_by_label(f"error for {waiting}").fill("PaymentDeclined")
    answer.get_by_label(f"cause for {waiting}").fill("declined from the console")
    # (a live page is redrawn when an event arrives: what was typed survives the redraw)
    page.evaluate("window.dispatchEvent(new HashChangeEvent('hashchange'))")
    page.wait_for_selector(f'section[aria-label="answer {waiting}"]')
    assert answer.get_by_label(f"error for {waiting}").input_value() == "PaymentDeclined"
    answer.get_by_role("button", name="Send failure").click()
    # Then the answer is acknowledged, and the page follows the execution to its end, the
    # compensation drawn on the path
    try:
        answer.get_by_text("SendTaskFailure sent.").wait_for(timeout=30_000)
        page.wait_for_function(
            "document.getElementById('execution-status')?.textContent !== 'RUNNING'", timeout=60_000
        )
    except Exception as stuck:
        raise AssertionError(_where_it_stands(served, running["executionArn"], answer)) from stuck
    page.wait_for_selector('.graph g[data-outcome="compensating"]')
    ended = served.app.client("stepfunctions").describe_execution(executionArn=running["executionArn"])
    assert ended["status"] != "RUNNING"
    assert page.inner_text("#execution-status") == ended["status"]
    # and, the state no longer waiting, the page still says the answer was sent from it
    assert "SendTaskFailure sent." in answer.inner_text()
    _screenshot(page, "compensation-path")


def test_an_execution_is_started_from_the_form_and_a_refusal_shows_aws_error(
    page: Any, served: Served
) -> None:
    outbox = served.machine("OutboxPublisherStateMachineArn")
    page.goto(f"{served.console}#/start/{outbox}")
    page.wait_for_selector("#start-form")
    # the machine's sample input is offered, and what is not JSON is refused before it is sent
    assert page.input_value("#sample") == "outbox_publisher.json"
    assert json.loads(page.input_value("#input"))
    _screenshot(page, "start-form")
    page.fill("#input", "{not json")
    page.get_by_role("button", name="Start execution").click()
    assert "not JSON" in page.get_by_role("alert").inner_text()
    # a start AWS refuses shows AWS's error
    page.select_option("#sample", "outbox_publisher.json")
    page.wait_for_function("document.getElementById('input').value.startsWith('{')")
    page.fill("#name", "spaces are not allowed")
    page.get_by_role("button", name="Start execution").click()
    assert "InvalidName" in page.get_by_role("alert").inner_text()
    # a valid start opens the new execution
    before = len(served.executions(outbox))
    page.fill("#name", "from-the-console")
    page.get_by_role("button", name="Start execution").click()
    page.wait_for_selector("#execution-status")
    assert "from-the-console" in page.inner_text("h1")
    assert len(served.executions(outbox)) == before + 1


def test_a_failed_execution_is_redriven_from_its_page(page: Any, served: Served) -> None:
    # Given a saga started by hand with an event for an order that does not exist: it fails
    arn = _failed_saga(served, "refused-then-redriven")
    sfn = served.app.client("stepfunctions")
    _open_execution(page, served, arn)
    assert page.locator('.graph g[data-outcome="failed"]').count() >= 1
    # the page says what a redrive would do before it is asked for: the refusal's Fail state again
    preview = page.get_by_role("region", name="what a redrive would do").inner_text()
    assert "runs again from OrderEventRefused" in preview and "AlertOrderEventRefused" in preview
    # When it is redriven from the page
    page.get_by_role("button", name="Redrive", exact=True).click()
    # Then it ran again from the state it did not get through (and, the order still missing, failed again)
    until(lambda: sfn.describe_execution(executionArn=arn).get("redriveCount") == 1)
    page.wait_for_function(
        "document.querySelector('.actions')?.textContent.includes('redriven 1 time')", timeout=60_000
    )


def test_the_state_machines_are_listed_and_each_draws_its_definition(page: Any, served: Served) -> None:
    page.goto(served.console)
    page.wait_for_selector("table a")
    names = page.locator("tbody a").all_inner_texts()
    assert any("OrderSaga" in name for name in names) and len(names) == 5
    page.get_by_role("link", name=next(n for n in names if "ClaimCheckResolve" in n)).click()
    page.wait_for_selector(".graph svg")
    # a Map is drawn as a box holding its own states
    assert page.locator(".graph g.cluster").count() >= 1
    page.select_option("#status-filter", "FAILED")
    page.wait_for_function("location.hash.endsWith('/FAILED')")


def test_a_parked_message_is_found_with_the_execution_that_parked_it(page: Any, served: Served) -> None:
    # Given a saga that failed (its event names an order that does not exist)
    arn = _failed_saga(served, "parks-its-event")
    # When the platform's view is opened
    page.goto(f"{served.console}#/platform")
    page.wait_for_selector("#parked-heading")
    # Then the failure is parked in the workflow failures queue, linked to its execution
    queue = served.outputs["WorkflowFailuresQueueUrl"].rsplit("/", 1)[-1]
    parked = page.get_by_role("region", name=f"queue {queue}")
    link = parked.locator(f'a[href="#/execution/{quote(arn, safe="")}"]').first
    link.wait_for()
    _screenshot(page, "platform-view")
    link.click()
    page.wait_for_selector("#execution-status")
    assert page.inner_text("#execution-status") == "FAILED"


def test_advancing_the_clock_ends_a_wait(page: Any, served: Served) -> None:
    sfn = served.app.client("stepfunctions")
    hour = {"StartAt": "AnHour", "States": {"AnHour": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    machine = sfn.create_state_machine(
        name="waits-an-hour", definition=json.dumps(hour), roleArn=f"arn:aws:iam::{LOCAL_ACCOUNT}:role/r"
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, name="an-hour")["executionArn"]
    page.goto(f"{served.console}#/clock")
    page.wait_for_selector("#timers")
    assert page.locator("#timers tbody tr").count() >= 1  # the Wait's timer, an hour from now
    page.fill("#advance-by", "61")
    page.select_option("#advance-unit", "minutes")
    page.get_by_role("button", name="Advance").click()
    until(lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED")
    page.goto(f"{served.console}#/execution/{arn}")
    page.wait_for_selector('.graph g[data-outcome="succeeded"]')
    assert page.inner_text("#execution-status") == "SUCCEEDED"


def test_a_state_is_opened_from_the_keyboard(page: Any, served: Served) -> None:
    # Given a failed execution's page, reached and read without a mouse
    arn = _failed_saga(served, "read-by-keyboard")
    _open_execution(page, served, arn)
    # When focus moves to the BeginSaga node of the graph and Enter is pressed
    node = page.locator('.graph g[data-state="BeginSaga"]')
    node.focus()
    assert page.evaluate("document.activeElement.dataset.state") == "BeginSaga"
    page.keyboard.press("Enter")
    # Then its detail opens, with the error it failed with
    detail = page.locator("#state-detail")
    assert "BeginSaga" in detail.locator("h3").inner_text()
    assert "ForgedOrderEvent" in detail.inner_text()
    # the graph fits its box, and shows its actual size on demand (legible for forty states)
    assert "fit" in (page.locator(".graph").first.get_attribute("class") or "")
    page.get_by_role("button", name="Actual size").click()
    assert "fit" not in (page.locator(".graph").first.get_attribute("class") or "")
    page.get_by_role("button", name="Fit to the box").click()
    # and the states table's buttons reach every visited state by Tab and Enter as well
    button = page.get_by_role("button", name="OrderEventRefused", exact=True)
    button.focus()
    page.keyboard.press("Enter")
    assert "OrderEventRefused" in detail.locator("h3").inner_text()
