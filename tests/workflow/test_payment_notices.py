"""Only the payment provider can answer a payment: notices through the template's own route.

The webhook runs as deployed: its own API (no AWS credentials), the secret the stack generated
in Secrets Manager, its receipts table, the saga waiting on the task token. The provider signs
as the README tells an integrator to (`demo.notice_signing`). A notice that is unsigned, signed
by a wrong or rotated-out secret, stale, replayed or about another amount changes nothing: the
ledger entry stays REQUESTED, the saga keeps waiting, and the refusal is counted in the
function's metrics (what the refusal-spike alarm watches).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from demo.payment_provider import SECRET_OUTPUT, WEBHOOK_API, WEBHOOK_PATH, PaymentProvider
from local_runtime import LocalApp
from operations.rotate_webhook_secret import rotate_webhook_secret
from tests.workflow.saga_helpers import order_for, order_status, payments, saga_of, start_order
from workflows import constants as c

pytestmark = pytest.mark.workflow

SIX_MINUTES = 360


@pytest.fixture
def waiting(saga_app: LocalApp, sample_order: dict[str, Any]) -> tuple[PaymentProvider, dict[str, Any], str]:
    """An order whose saga waits for the provider's answer: (provider, its request, order id)."""
    provider = PaymentProvider(saga_app, answer_after=None)
    order_id = start_order(saga_app, order_for(sample_order))
    saga_app.drain()
    (request,) = provider.requested()
    return provider, request, order_id


def metrics(app: LocalApp) -> Counter[str]:
    """Every metric the webhook function emitted (EMF lines of its log), summed by name."""
    (function,) = [f for f in app.lambdas.functions() if f.handler == c.PAYMENT_WEBHOOK_HANDLER]
    counted: Counter[str] = Counter()
    for line in app.logs.lines(function.name):
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                counted[metric["Name"]] += int(sum(document[metric["Name"]]))
    return counted


def unchanged(app: LocalApp, order_id: str) -> bool:
    """The ledger still waits for an answer, and so does the saga."""
    (entry,) = payments(app)
    return entry["status"] == "REQUESTED" and saga_of(app, order_id)["status"] == "RUNNING"


def rotate(app: LocalApp) -> str:
    """An operator's rotation (the README's command), and the new value it hands over."""
    client = app.client("secretsmanager")
    return rotate_webhook_secret(client, app.output(SECRET_OUTPUT)).value


def test_a_correctly_signed_notice_answers_the_saga(
    saga_app: LocalApp, waiting: tuple[PaymentProvider, dict[str, Any], str]
) -> None:
    provider, request, order_id = waiting
    assert provider.answer(request["authorizationId"], "AUTHORIZED") == 200
    saga_app.drain()
    assert saga_of(saga_app, order_id)["status"] == "SUCCEEDED"
    assert order_status(saga_app, order_id)["status"] == "CONFIRMED"
    assert metrics(saga_app)["WebhookAnswers"] == 1


def _unsigned(provider: PaymentProvider, notice: dict[str, Any]) -> int:
    return provider.post(json.dumps(notice).encode(), {})


def _wrong_secret(provider: PaymentProvider, notice: dict[str, Any]) -> int:
    provider.signing_secrets = ["a-guess-at-the-secret"]
    return provider.post(*provider.signed(notice))


def _rotated_out(provider: PaymentProvider, notice: dict[str, Any]) -> int:
    # Two rotations since the provider was handed its secret: that one is retired
    rotate(provider._app)
    rotate(provider._app)
    provider._app.advance(31)  # past the webhook's refresh floor: it reads the secrets again
    return provider.post(*provider.signed(notice))


def _six_minutes_old(provider: PaymentProvider, notice: dict[str, Any]) -> int:
    # Signed six minutes ago (letting six minutes pass instead would time the saga's wait out)
    return provider.post(*provider.signed(notice, at=time.time() - SIX_MINUTES))


def _replayed(provider: PaymentProvider, notice: dict[str, Any]) -> int:
    # A genuine "still pending" notice is taken once (a heartbeat: nothing changes) ...
    pending = provider.signed({**notice, "outcome": "PENDING"})
    assert provider.post(*pending) == 200
    # ... and captured and sent again
    return provider.post(*pending)


def _wrong_amount(provider: PaymentProvider, notice: dict[str, Any]) -> int:
    return provider.post(*provider.signed({**notice, "amount": notice["amount"] - 1}))


def _wrong_currency(provider: PaymentProvider, notice: dict[str, Any]) -> int:
    return provider.post(*provider.signed({**notice, "currency": "USD"}))


@pytest.mark.parametrize(
    ("send", "status", "metric"),
    [
        (_unsigned, 401, "WebhookNoticesUnauthenticated"),
        (_wrong_secret, 401, "WebhookNoticesUnauthenticated"),
        (_rotated_out, 401, "WebhookNoticesUnauthenticated"),
        (_six_minutes_old, 401, "WebhookNoticesStale"),
        (_replayed, 409, "WebhookNoticesReplayed"),
        (_wrong_amount, 422, "WebhookNoticesMismatched"),
        (_wrong_currency, 422, "WebhookNoticesMismatched"),
    ],
    ids=lambda value: getattr(value, "__name__", "").strip("_") or None,
)
def test_a_notice_the_provider_did_not_sign_now_for_this_amount_changes_nothing_and_is_counted(
    saga_app: LocalApp,
    waiting: tuple[PaymentProvider, dict[str, Any], str],
    send: Callable[[PaymentProvider, dict[str, Any]], int],
    status: int,
    metric: str,
) -> None:
    provider, request, order_id = waiting
    notice = provider.notice(request["authorizationId"], "AUTHORIZED")
    assert send(provider, notice) == status
    saga_app.drain()
    assert unchanged(saga_app, order_id)
    counted = metrics(saga_app)
    assert counted[metric] == 1 and counted[c.PAYMENT_WEBHOOK_REFUSAL_METRIC] == 1
    assert counted["WebhookAnswers"] == (1 if send is _replayed else 0)  # the genuine heartbeat


def test_during_a_rotation_both_secrets_sign_valid_notices(
    saga_app: LocalApp, waiting: tuple[PaymentProvider, dict[str, Any], str]
) -> None:
    provider, request, order_id = waiting
    authorization_id = request["authorizationId"]
    # Given the webhook read its secret, and an operator rotated it since
    assert provider.answer(authorization_id, "PENDING") == 200
    new_secret = rotate(saga_app)
    saga_app.advance(31)
    # When the provider, not told yet, signs with the old secret / Then it is still taken
    assert provider.answer(authorization_id, "PENDING") == 200
    # When it was handed the new one / Then that is taken too, and the saga goes on
    provider.take_secret(new_secret)
    assert provider.answer(authorization_id, "AUTHORIZED") == 200
    saga_app.drain()
    assert order_status(saga_app, order_id)["status"] == "CONFIRMED"
    assert c.PAYMENT_WEBHOOK_REFUSAL_METRIC not in metrics(saga_app)


def test_the_orders_api_no_longer_takes_payment_notices(
    saga_app: LocalApp, waiting: tuple[PaymentProvider, dict[str, Any], str]
) -> None:
    provider, request, order_id = waiting
    raw, headers = provider.signed(provider.notice(request["authorizationId"], "AUTHORIZED"))
    answer = saga_app.api.request(
        "POST",
        WEBHOOK_PATH,
        body=raw,
        headers={"Content-Type": "application/json", **headers},
        api=c.ORDERS_API_NAME,
    )
    assert answer.status == 403 and answer.json() == {"message": "Missing Authentication Token"}
    assert unchanged(saga_app, order_id)
    # And the webhook's own API has no other route
    assert saga_app.api.request("GET", "/orders/anything", api=WEBHOOK_API).status == 403


SAMPLES = Path(__file__).resolve().parents[2] / "sample_events"


def _sample_answer(name: str, request: dict[str, Any]) -> dict[str, Any]:
    """A sample answer as the README has a user fill it in: the authorization id from the payments
    table; the amount and currency are the sample order's (place_order.json), as they stand."""
    answer: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    assert (answer["amount"], answer["currency"]) == (int(request["amount"]), request["currency"])
    return {**answer, "authorizationId": request["authorizationId"]}


def test_the_sample_callback_answer_confirms_the_sample_order(saga_app: LocalApp) -> None:
    # Given the sample order placed, its saga waiting for the provider
    PaymentProvider(saga_app, answer_after=None)
    order_id = start_order(saga_app, json.loads((SAMPLES / "place_order.json").read_text()))
    saga_app.drain()
    (entry,) = payments(saga_app)
    # When a user answers the task token with the sample callback output
    answer = _sample_answer("payment_callback_authorized.json", entry)
    saga_app.client("stepfunctions").send_task_success(
        taskToken=entry["taskToken"], output=json.dumps(answer)
    )
    saga_app.drain()
    # Then the order is confirmed
    assert order_status(saga_app, order_id)["status"] == "CONFIRMED"


def test_the_sample_notice_signed_confirms_the_sample_order(saga_app: LocalApp) -> None:
    provider = PaymentProvider(saga_app, answer_after=None)
    order_id = start_order(saga_app, json.loads((SAMPLES / "place_order.json").read_text()))
    saga_app.drain()
    (request,) = provider.requested()
    notice = _sample_answer("payment_notice_authorized.json", request)
    assert provider.post(*provider.signed(notice)) == 200
    saga_app.drain()
    assert order_status(saga_app, order_id)["status"] == "CONFIRMED"
