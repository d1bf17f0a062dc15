"""The payment webhook through API Gateway REST proxy events, with the ledger and Step Functions
replaced by fakes."""

import base64
import json
from typing import Any

import pytest
from payments.answers import DEFAULT_DECLINE_CAUSE
from payments.errors import PaymentStoreUnavailable
from payments.models import authorization_id_for

from order_saga.logic import request_payment
from order_saga.models import SagaOrder
from payment_webhook import handler
from tests.unit.fakes import (
    FakeLambdaContext,
    FakeTaskCallbacks,
    InMemoryPaymentLedger,
    RecordingPaymentGateway,
)
from tests.unit.samples import NOW, api_event, saga_order

pytestmark = [
    pytest.mark.usefixtures("saga_env"),
    pytest.mark.filterwarnings("error:No application metrics to publish:UserWarning"),
]

ORDER = SagaOrder.model_validate(saga_order())
AUTH_ID = authorization_id_for(ORDER.order_id)
TOKEN = "task-token-1"


@pytest.fixture(autouse=True)
def _fakes(
    monkeypatch: pytest.MonkeyPatch, ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks
) -> None:
    def ledger_factory(table_name: str) -> InMemoryPaymentLedger:
        assert table_name == "Payments"
        return ledger

    monkeypatch.setattr(handler, "ledger_factory", ledger_factory)
    monkeypatch.setattr(handler, "callbacks_factory", lambda: callbacks)


@pytest.fixture
def requested(ledger: InMemoryPaymentLedger) -> None:
    """The saga asked for the authorization and waits on TOKEN."""
    request_payment(ORDER, TOKEN, ledger, RecordingPaymentGateway(), FakeTaskCallbacks(), NOW)


def _notice(**fields: Any) -> dict[str, Any]:
    return {"authorizationId": AUTH_ID, **fields}


def _post(
    body: dict[str, Any] | str | None,
    context: FakeLambdaContext,
    *,
    content_type: str | None = "application/json",
    base64_body: bool = False,
) -> tuple[int, dict[str, Any]]:
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    if base64_body and text is not None:
        text = base64.b64encode(text.encode()).decode()
    headers = {"Content-Type": content_type} if content_type else {}
    event = api_event("POST", "/payments/webhook", body=text, headers=headers, is_base64_encoded=base64_body)
    response = handler.lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def _status(ledger: InMemoryPaymentLedger) -> str:
    entry = ledger.get(AUTH_ID)
    assert entry is not None
    return entry.status


@pytest.mark.usefixtures("requested")
def test_an_authorization_answers_the_task_with_success(
    lambda_context: FakeLambdaContext, ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks
) -> None:
    # When the provider authorizes
    status, body = _post(_notice(outcome="AUTHORIZED"), lambda_context)
    # Then the ledger records it and the task succeeds with what ConfirmOrder reads as the payment
    assert (status, body) == (200, {"status": "accepted"})
    assert _status(ledger) == "AUTHORIZED"
    assert callbacks.calls == [
        (
            "success",
            TOKEN,
            {
                "output": {
                    "authorizationId": AUTH_ID,
                    "amount": 3499,
                    "currency": "EUR",
                    "status": "AUTHORIZED",
                }
            },
        )
    ]
    # And the delivered token is dropped from the ledger
    entry = ledger.get(AUTH_ID)
    assert entry is not None and entry.task_token is None and entry.notified_at is not None


@pytest.mark.usefixtures("requested")
def test_a_decline_fails_the_task_with_payment_declined(
    lambda_context: FakeLambdaContext, ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks
) -> None:
    status, body = _post(_notice(outcome="DECLINED", reason="insufficient funds"), lambda_context)
    assert (status, body) == (200, {"status": "accepted"})
    entry = ledger.get(AUTH_ID)
    assert entry is not None and (entry.status, entry.decline_reason) == ("DECLINED", "insufficient funds")
    assert callbacks.calls == [
        ("failure", TOKEN, {"error": "PaymentDeclined", "cause": "insufficient funds"})
    ]


def test_a_decline_without_a_reason_says_the_provider_declined(
    lambda_context: FakeLambdaContext, ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks
) -> None:
    request_payment(ORDER, TOKEN, ledger, RecordingPaymentGateway(), FakeTaskCallbacks(), NOW)
    _post(_notice(outcome="DECLINED"), lambda_context)
    assert callbacks.calls[0][2] == {"error": "PaymentDeclined", "cause": DEFAULT_DECLINE_CAUSE}


@pytest.mark.usefixtures("requested")
def test_pending_sends_a_heartbeat_and_changes_nothing(
    lambda_context: FakeLambdaContext, ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks
) -> None:
    assert _post(_notice(outcome="PENDING"), lambda_context) == (200, {"status": "accepted"})
    assert callbacks.calls == [("heartbeat", TOKEN, {})]
    assert _status(ledger) == "REQUESTED"


@pytest.mark.usefixtures("requested")
def test_a_repeated_answer_is_ignored_without_calling_step_functions(
    lambda_context: FakeLambdaContext, callbacks: FakeTaskCallbacks
) -> None:
    # Given an answer delivered once
    _post(_notice(outcome="AUTHORIZED"), lambda_context)
    # When the provider retries it, or contradicts it
    again = _post(_notice(outcome="AUTHORIZED"), lambda_context)
    contradiction = _post(_notice(outcome="DECLINED", reason="late"), lambda_context)
    pending = _post(_notice(outcome="PENDING"), lambda_context)
    # Then each is acknowledged as ignored, with the ledger's status, and Step Functions hears nothing more
    assert again == contradiction == pending == (200, {"status": "ignored", "ledgerStatus": "AUTHORIZED"})
    assert len(callbacks.calls) == 1


@pytest.mark.usefixtures("requested")
def test_an_answer_after_the_void_is_ignored(
    lambda_context: FakeLambdaContext, ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks
) -> None:
    # Given the saga withdrew the request (the payment step timed out)
    ledger.transition(AUTH_ID, "REQUESTED", "WITHDRAWN", NOW)
    # When the provider's late authorization arrives / Then it is ignored and authorizes nothing
    assert _post(_notice(outcome="AUTHORIZED"), lambda_context) == (
        200,
        {"status": "ignored", "ledgerStatus": "WITHDRAWN"},
    )
    assert _status(ledger) == "WITHDRAWN" and not callbacks.calls


@pytest.mark.usefixtures("requested")
def test_a_task_step_functions_no_longer_waits_for_is_acknowledged(
    lambda_context: FakeLambdaContext, ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks
) -> None:
    # Given the token is dead (the state timed out, the execution ended)
    callbacks.closed.add(TOKEN)
    # When the provider answers / Then 200 ignored: retrying could not help
    assert _post(_notice(outcome="AUTHORIZED"), lambda_context) == (200, {"status": "ignored"})
    assert _post(_notice(outcome="PENDING"), lambda_context) == (
        200,
        {"status": "ignored", "ledgerStatus": "AUTHORIZED"},
    )


@pytest.mark.usefixtures("requested")
def test_a_delivery_that_failed_is_made_by_the_providers_retry(
    lambda_context: FakeLambdaContext, ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks
) -> None:
    # Given Step Functions throttled the first delivery (after the ledger recorded the answer)
    callbacks.unavailable = True
    status, _ = _post(_notice(outcome="AUTHORIZED"), lambda_context)
    assert status == 503 and _status(ledger) == "AUTHORIZED"
    # When the provider retries / Then the answer is delivered now, once
    assert _post(_notice(outcome="AUTHORIZED"), lambda_context) == (200, {"status": "accepted"})
    assert [call[0] for call in callbacks.calls] == ["success"]


def test_an_unknown_authorization_is_not_found(
    lambda_context: FakeLambdaContext, ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks
) -> None:
    status, body = _post(_notice(outcome="AUTHORIZED"), lambda_context)
    assert status == 404 and body == {"message": "Authorization not found"}
    assert not ledger.entries and not callbacks.calls


@pytest.mark.usefixtures("requested")
@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ({"authorizationId": AUTH_ID, "outcome": "AUTHORIZED"}, "text/plain", 415),
        ({"authorizationId": AUTH_ID, "outcome": "AUTHORIZED"}, None, 415),
        ({"authorizationId": AUTH_ID, "outcome": "AUTHORIZED"}, "application/json; charset=latin-1", 415),
        (
            {"authorizationId": AUTH_ID, "outcome": "AUTHORIZED", "reason": "x" * 9000},
            "application/json",
            413,
        ),
        ("{not json", "application/json", 400),
        ('{"authorizationId": NaN}', "application/json", 400),
        ({"authorizationId": AUTH_ID, "outcome": "MAYBE"}, "application/json", 422),
        ({"authorizationId": "not-a-uuid", "outcome": "AUTHORIZED"}, "application/json", 422),
        ({"outcome": "AUTHORIZED"}, "application/json", 422),
        ({"authorizationId": AUTH_ID, "outcome": "DECLINED", "reason": 42}, "application/json", 422),
        ([AUTH_ID], "application/json", 422),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    lambda_context: FakeLambdaContext,
    ledger: InMemoryPaymentLedger,
    callbacks: FakeTaskCallbacks,
    capsys: pytest.CaptureFixture[str],
    body: Any,
    content_type: str | None,
    status: int,
) -> None:
    writes = ledger.writes
    answered_status, answer = _post(
        body if isinstance(body, str) else json.dumps(body), lambda_context, content_type=content_type
    )
    assert answered_status == status and "message" in answer
    assert ledger.writes == writes and _status(ledger) == "REQUESTED" and not callbacks.calls
    assert "WebhookRequestsRefused" in capsys.readouterr().out


@pytest.mark.usefixtures("requested")
def test_validation_errors_name_the_field(lambda_context: FakeLambdaContext) -> None:
    status, body = _post(_notice(outcome="SOMETIMES"), lambda_context)
    assert status == 422 and body["errors"][0]["field"] == "outcome"


@pytest.mark.usefixtures("requested")
def test_a_base64_body_is_accepted(lambda_context: FakeLambdaContext, callbacks: FakeTaskCallbacks) -> None:
    assert _post(_notice(outcome="AUTHORIZED"), lambda_context, base64_body=True) == (
        200,
        {"status": "accepted"},
    )


@pytest.mark.usefixtures("requested")
def test_a_ledger_outage_asks_the_provider_to_retry(
    lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch, ledger: InMemoryPaymentLedger
) -> None:
    class Down(InMemoryPaymentLedger):
        def get(self, authorization_id: str) -> Any:
            raise PaymentStoreUnavailable("throttled")

    monkeypatch.setattr(handler, "ledger_factory", lambda _: Down())
    status, body = _post(_notice(outcome="AUTHORIZED"), lambda_context)
    assert status == 503 and "retry" in body["message"]
