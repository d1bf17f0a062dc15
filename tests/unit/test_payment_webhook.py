"""The payment webhook through API Gateway REST proxy events, with the ledger, Step Functions,
the signing secrets and the notice receipts replaced by fakes. Notices are signed as the
provider signs them (`demo.notice_signing`), each delivery at its own second unless a test
replays one."""

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from order_saga.models import SagaOrder
from order_saga.payment_request import request_payment
from payment_webhook import handler
from payment_webhook.errors import SigningSecretsUnavailable
from payments.answers import DEFAULT_DECLINE_CAUSE
from payments.errors import PaymentStoreUnavailable
from payments.models import authorization_id_for
from tests.unit.fakes import (
    FakeLambdaContext,
    FakeTaskCallbacks,
    InMemoryIdempotencyStore,
    InMemoryPaymentLedger,
    RecordingPaymentGateway,
    StaticSigningSecrets,
)
from tests.unit.samples import NOW, WEBHOOK_SECRET, api_event, saga_order, signed_headers

pytestmark = [
    pytest.mark.usefixtures("saga_env"),
    pytest.mark.filterwarnings("error:No application metrics to publish:UserWarning"),
]

ORDER = SagaOrder.model_validate(saga_order())
AUTH_ID = authorization_id_for(ORDER.order_id)
TOKEN = "task-token-1"


@pytest.fixture
def secrets() -> StaticSigningSecrets:
    """The webhook's valid signing secrets (before any rotation: one)."""
    return StaticSigningSecrets(WEBHOOK_SECRET)


@pytest.fixture
def receipts() -> InMemoryIdempotencyStore:
    """The notices the webhook took (Powertools Idempotency records)."""
    return InMemoryIdempotencyStore()


@pytest.fixture(autouse=True)
def _fakes(
    monkeypatch: pytest.MonkeyPatch,
    ledger: InMemoryPaymentLedger,
    callbacks: FakeTaskCallbacks,
    secrets: StaticSigningSecrets,
    receipts: InMemoryIdempotencyStore,
) -> Iterator[None]:
    def ledger_factory(table_name: str) -> InMemoryPaymentLedger:
        assert table_name == "Payments"
        return ledger

    def receipts_factory(table_name: str) -> InMemoryIdempotencyStore:
        assert table_name == "PaymentNotices"
        return receipts

    monkeypatch.setattr(handler, "ledger_factory", ledger_factory)
    monkeypatch.setattr(handler, "callbacks_factory", lambda: callbacks)
    monkeypatch.setattr(handler, "secrets_factory", lambda secret_id: secrets)
    monkeypatch.setattr(handler, "receipts_factory", receipts_factory)
    handler._receipted.cache_clear()
    _deliveries.clear()
    yield
    handler._receipted.cache_clear()


_deliveries: list[int] = []
"""Seconds already signed at in this test: each delivery gets its own, as a provider's would."""


def _delivery_second() -> int:
    second = int(time.time()) - 120 + len(_deliveries)
    _deliveries.append(second)
    return second


@pytest.fixture
def requested(ledger: InMemoryPaymentLedger) -> None:
    """The saga asked for the authorization and waits on TOKEN."""
    request_payment(ORDER, TOKEN, ledger, RecordingPaymentGateway(), FakeTaskCallbacks(), NOW)


def _notice(**fields: Any) -> dict[str, Any]:
    """A notice about the order's authorization: its amount (3499) in its currency (EUR)."""
    return {"authorizationId": AUTH_ID, "amount": 3499, "currency": "EUR", **fields}


def _signed(body: dict[str, Any] | str, **signing: Any) -> tuple[bytes, dict[str, str]]:
    raw = (body if isinstance(body, str) else json.dumps(body)).encode()
    signing.setdefault("at", _delivery_second())
    return raw, signed_headers(raw, **signing)


def _send(
    raw: bytes | None,
    headers: dict[str, str],
    context: FakeLambdaContext,
    *,
    content_type: str | None = "application/json",
    base64_body: bool = False,
) -> tuple[int, dict[str, Any]]:
    text = None if raw is None else raw.decode()
    if base64_body and raw is not None:
        text = base64.b64encode(raw).decode()
    headers = {**({"Content-Type": content_type} if content_type else {}), **headers}
    event = api_event("POST", "/payments/webhook", body=text, headers=headers, is_base64_encoded=base64_body)
    response = handler.lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def _post(
    body: dict[str, Any] | str,
    context: FakeLambdaContext,
    *,
    content_type: str | None = "application/json",
    base64_body: bool = False,
) -> tuple[int, dict[str, Any]]:
    """One delivery of a notice signed by the provider's current secret."""
    return _send(*_signed(body), context, content_type=content_type, base64_body=base64_body)


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
    notice = _signed(_notice(outcome="AUTHORIZED"))
    status, _ = _send(*notice, lambda_context)
    assert status == 503 and _status(ledger) == "AUTHORIZED"
    # When the provider retries the very same signed notice (a failed one leaves no receipt)
    callbacks.unavailable = False
    # Then it is no replay: the answer is delivered now, once
    assert _send(*notice, lambda_context) == (200, {"status": "accepted"})
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
        (_notice(outcome="AUTHORIZED"), "text/plain", 415),
        (_notice(outcome="AUTHORIZED"), None, 415),
        (_notice(outcome="AUTHORIZED"), "application/json; charset=latin-1", 415),
        (_notice(outcome="AUTHORIZED", reason="x" * 9000), "application/json", 413),
        ("{not json", "application/json", 400),
        ('{"authorizationId": NaN}', "application/json", 400),
        (_notice(outcome="MAYBE"), "application/json", 422),
        (_notice(authorizationId="not-a-uuid", outcome="AUTHORIZED"), "application/json", 422),
        ({"outcome": "AUTHORIZED", "amount": 3499, "currency": "EUR"}, "application/json", 422),
        ({"authorizationId": AUTH_ID, "outcome": "AUTHORIZED"}, "application/json", 422),
        (_notice(outcome="AUTHORIZED", amount=-1), "application/json", 422),
        (_notice(outcome="AUTHORIZED", currency="eur"), "application/json", 422),
        (_notice(outcome="DECLINED", reason=42), "application/json", 422),
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


# --- who may answer: the provider's signature --------------------------------------------------


def _unchanged(ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks, writes: int) -> bool:
    return ledger.writes == writes and _status(ledger) == "REQUESTED" and not callbacks.calls


@pytest.mark.usefixtures("requested")
@pytest.mark.parametrize(
    ("signing", "metric"),
    [
        ({"secrets": ["not-the-platforms-secret"]}, "WebhookNoticesUnauthenticated"),
        ({"seconds_from_now": -360}, "WebhookNoticesStale"),  # 6 minutes old
        ({"seconds_from_now": 360}, "WebhookNoticesStale"),  # 6 minutes ahead
    ],
    ids=["wrong-secret", "six-minutes-old", "six-minutes-ahead"],
)
def test_a_notice_not_signed_now_by_a_valid_secret_is_refused_and_changes_nothing(
    lambda_context: FakeLambdaContext,
    ledger: InMemoryPaymentLedger,
    callbacks: FakeTaskCallbacks,
    capsys: pytest.CaptureFixture[str],
    signing: dict[str, Any],
    metric: str,
) -> None:
    writes = ledger.writes
    # (the signing time is taken when the test runs, not when it was collected minutes before)
    if "seconds_from_now" in signing:
        signing = {"at": time.time() + signing["seconds_from_now"]}
    status, body = _send(*_signed(_notice(outcome="AUTHORIZED"), **signing), lambda_context)
    assert status == 401 and "message" in body
    assert _unchanged(ledger, callbacks, writes)
    out = capsys.readouterr().out
    assert metric in out and "WebhookRequestsRefused" in out


@pytest.mark.usefixtures("requested")
@pytest.mark.parametrize(
    "header",
    [None, "", "v1=abc", "t=now,v1=abc", "t=1,t=2,v1=abc", "t=1796212800", "garbage", "t=١٧٩٦,v1=abc"],
)
def test_a_notice_without_a_readable_signature_is_refused(
    lambda_context: FakeLambdaContext,
    ledger: InMemoryPaymentLedger,
    callbacks: FakeTaskCallbacks,
    header: str | None,
) -> None:
    writes = ledger.writes
    headers = {} if header is None else {"Payment-Signature": header}
    status, _ = _send(json.dumps(_notice(outcome="AUTHORIZED")).encode(), headers, lambda_context)
    assert status == 401 and _unchanged(ledger, callbacks, writes)


@pytest.mark.usefixtures("requested")
def test_a_signed_notice_altered_on_the_way_is_refused(
    lambda_context: FakeLambdaContext, ledger: InMemoryPaymentLedger, callbacks: FakeTaskCallbacks
) -> None:
    # Given a genuine decline, captured and turned into an authorization
    raw, headers = _signed(_notice(outcome="DECLINED"))
    forged = raw.replace(b"DECLINED", b"AUTHORIZED")
    # Then the signature no longer holds
    assert _send(forged, headers, lambda_context)[0] == 401
    assert _unchanged(ledger, callbacks, 1)


@pytest.mark.usefixtures("requested")
def test_a_replayed_notice_is_refused_even_with_one_of_its_signatures_left_out(
    lambda_context: FakeLambdaContext,
    ledger: InMemoryPaymentLedger,
    callbacks: FakeTaskCallbacks,
    secrets: StaticSigningSecrets,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a notice signed with both secrets during a rotation, and taken
    secrets.secrets = ["new-secret", WEBHOOK_SECRET]
    raw, headers = _signed(
        _notice(outcome="DECLINED", reason="no funds"), secrets=["new-secret", WEBHOOK_SECRET]
    )
    assert _send(raw, headers, lambda_context) == (200, {"status": "accepted"})
    # When it is sent again as it was, or with only its second signature
    timestamp, _, second = headers["Payment-Signature"].split(",")
    again = _send(raw, headers, lambda_context)
    trimmed = _send(raw, {"Payment-Signature": f"{timestamp},{second}"}, lambda_context)
    # Then both are replays: refused, counted, and the saga heard the first one only
    assert again[0] == trimmed[0] == 409
    assert "WebhookNoticesReplayed" in capsys.readouterr().out
    assert [call[0] for call in callbacks.calls] == ["failure"]


@pytest.mark.usefixtures("requested")
@pytest.mark.parametrize(
    ("terms", "differences"),
    [
        ({"amount": 1}, {"amount": {"notice": 1, "ledger": 3499}}),
        ({"currency": "USD"}, {"currency": {"notice": "USD", "ledger": "EUR"}}),
    ],
)
@pytest.mark.parametrize("outcome", ["AUTHORIZED", "DECLINED", "PENDING"])
def test_an_authentic_notice_for_another_amount_is_refused_and_changes_nothing(
    lambda_context: FakeLambdaContext,
    ledger: InMemoryPaymentLedger,
    callbacks: FakeTaskCallbacks,
    capsys: pytest.CaptureFixture[str],
    terms: dict[str, Any],
    differences: dict[str, Any],
    outcome: str,
) -> None:
    status, body = _post(_notice(outcome=outcome, **terms), lambda_context)
    assert (status, body["differences"]) == (422, differences)
    assert _unchanged(ledger, callbacks, 1)
    assert "WebhookNoticesMismatched" in capsys.readouterr().out


@pytest.mark.usefixtures("requested")
def test_during_a_rotation_both_secrets_sign_valid_notices(
    lambda_context: FakeLambdaContext, secrets: StaticSigningSecrets, callbacks: FakeTaskCallbacks
) -> None:
    # Given the webhook's cache still holds the old secret only, and the secret was rotated since
    secrets.rotated = ["new-secret", WEBHOOK_SECRET]
    # When the provider signs with the new one / Then the secrets are read again, and it is taken
    assert _post(_notice(outcome="PENDING"), lambda_context) == (200, {"status": "accepted"})
    status, _ = _send(*_signed(_notice(outcome="PENDING"), secrets=["new-secret"]), lambda_context)
    assert status == 200 and secrets.refreshes == 1
    # And the old secret still signs valid notices until the next rotation
    assert _post(_notice(outcome="AUTHORIZED"), lambda_context) == (200, {"status": "accepted"})
    # And after the next one, a notice signed with the oldest is refused
    secrets.secrets = secrets.rotated = ["newest-secret", "new-secret"]
    assert _post(_notice(outcome="PENDING"), lambda_context)[0] == 401


@pytest.mark.usefixtures("requested")
def test_unreadable_secrets_ask_the_provider_to_retry(
    lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unreadable(StaticSigningSecrets):
        def valid(self, *, refresh: bool = False) -> list[str]:
            raise SigningSecretsUnavailable("throttled")

    monkeypatch.setattr(handler, "secrets_factory", lambda secret_id: Unreadable())
    status, _ = _post(_notice(outcome="AUTHORIZED"), lambda_context)
    assert status == 503


@pytest.mark.usefixtures("requested")
def test_the_signature_header_is_found_whatever_its_case(lambda_context: FakeLambdaContext) -> None:
    # HTTP header names are case-insensitive, and API Gateway passes them as the client sent them
    raw, headers = _signed(_notice(outcome="AUTHORIZED"))
    lower = {name.lower(): value for name, value in headers.items()}
    assert _send(raw, lower, lambda_context) == (200, {"status": "accepted"})
