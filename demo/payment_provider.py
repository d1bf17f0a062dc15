"""The payment provider, played locally: not deployed, it lives with the demo and the tests.

On AWS, AuthorizePayment POSTs each authorization request to the provider's endpoint (CDK
context ``paymentProviderEndpoint``), and the provider calls ``POST /payments/webhook`` when
it has decided. Here this class is that provider: it answers the endpoint the template gives
the function (through the runtime's outside world, `LocalApp.serve_outside`), deduplicates
requests on their ``Idempotency-Key`` as a real provider does, decides by its rule (decline
above its authorization limit) and delivers the decision through the real webhook route: on
time, late, twice, or never, as a scenario needs. It can also fail requests, before or after
taking them (`fail_next`), to exercise the saga's retries.

It signs every notice exactly as a real provider integrating with the platform must (README,
"Payment notices"): the `Payment-Signature` header, HMAC-SHA256 over the timestamp and the raw
body, with the secret the platform handed over (the stack's `PaymentWebhookSecretArn`, read
once as an operator would read it to give it to the provider). After a rotation the operator
hands the new value over (`take_secret`); until then the provider keeps signing with the old
one, which the webhook still accepts. The signing (`demo.notice_signing`) is the provider's
own code, not the webhook's.

It is an outside party on the app's virtual clock (`LocalApp.add_party`): each time the app is
quiet it looks for new requests and answers each one `answer_after` (virtual) seconds after it
saw it, or never (`None`). A provider answering after 4 minutes is waited for; one answering
after 6 minutes finds the saga's 300 s heartbeat expired, whatever the machine's load.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from datetime import timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from demo.notice_signing import SIGNATURE_HEADER, sign_notice
from local_runtime import LocalApp
from local_runtime.clock import as_seconds
from local_runtime.outside_http import OutsideRequest, OutsideResponse
from workflows import constants as c

_deserializer = TypeDeserializer()
WEBHOOK_PATH = f"/{c.PAYMENT_WEBHOOK_PATH}"
WEBHOOK_API = c.PAYMENT_WEBHOOK_API_NAME
SECRET_OUTPUT = c.OUTPUT_PAYMENT_WEBHOOK_SECRET_ARN
ENDPOINT_VARIABLE = "PAYMENT_PROVIDER_ENDPOINT"
AUTHORIZATION_LIMIT = 500_000
"""The simulated provider declines authorizations above this amount (minor units)."""


def provider_decision(amount: int, limit: int = AUTHORIZATION_LIMIT) -> tuple[str, str | None]:
    """The simulated provider's rule: the webhook outcome, and the reason of a decline."""
    if amount > limit:
        return "DECLINED", f"amount {amount} exceeds the authorization limit {limit}"
    return "AUTHORIZED", None


def _json(status: int, body: dict[str, Any]) -> OutsideResponse:
    return OutsideResponse(status=status, body=json.dumps(body).encode())


class PaymentProvider:
    def __init__(
        self,
        app: LocalApp,
        answer_after: float | timedelta | None = 2.0,
        limit: int = AUTHORIZATION_LIMIT,
    ) -> None:
        self._app = app
        self.answer_after = answer_after
        self.limit = limit
        self.endpoint = provider_endpoint(app)
        self.signing_secrets: list[str] = [handed_over_secret(app)]
        """The secrets the provider signs with (more than one while it switches to a new one)."""
        self.answers: list[tuple[str, str, int]] = []
        self.received: dict[str, dict[str, Any]] = {}
        """Every distinct request taken, by authorization id, in arrival order."""
        self.deliveries = 0
        """Requests delivered to the endpoint, duplicates and failed ones included."""
        self._failures: list[tuple[int | None, bool]] = []
        self._answered: set[str] = set()
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        app.serve_outside(self.endpoint, self.receive)

    # -- the endpoint -----------------------------------------------------------------------
    def fail_next(self, count: int = 1, *, status: int | None = 503, after_receipt: bool = False) -> None:
        """Fail the next ``count`` deliveries: answer ``status`` (None: time out instead), before
        taking the request or, with ``after_receipt``, after taking it (the response is lost)."""
        with self._lock:
            self._failures.extend([(status, after_receipt)] * count)

    def receive(self, request: OutsideRequest) -> OutsideResponse:
        """Take one authorization request (the provider's HTTP endpoint)."""
        with self._lock:
            self.deliveries += 1
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None and not failure[1]:
            return self._fail(failure[0])
        try:
            body = json.loads(request.body)
            authorization_id = str(body["authorizationId"])
            amount = int(body["amount"])
            currency = str(body["currency"])
        except (ValueError, KeyError, TypeError):
            return _json(400, {"message": "malformed authorization request"})
        if request.method != "POST" or request.header("Idempotency-Key") != authorization_id:
            return _json(400, {"message": "POST with Idempotency-Key equal to the authorization id"})
        with self._lock:
            self.received.setdefault(
                authorization_id,
                {
                    "authorizationId": authorization_id,
                    "orderId": body.get("orderId"),
                    "amount": amount,
                    "currency": currency,
                },
            )
        if failure is not None:
            return self._fail(failure[0])
        return _json(202, {"authorizationId": authorization_id, "status": "PENDING"})

    @staticmethod
    def _fail(status: int | None) -> OutsideResponse:
        if status is None:
            raise TimeoutError("the provider did not answer in time")
        return _json(status, {"message": "provider unavailable"})

    # -- reading and answering --------------------------------------------------------------
    def ledger(self) -> list[dict[str, Any]]:
        """The platform's payment ledger (the payments table)."""
        table = self._app.output("PaymentsTableName")
        items = self._app.client("dynamodb").scan(TableName=table)["Items"]
        return [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in items]

    def requested(self) -> list[dict[str, Any]]:
        """Requests taken and not answered yet, in arrival order."""
        with self._lock:
            return [request for key, request in self.received.items() if key not in self._answered]

    def take_secret(self, secret: str, *, keep_old: bool = False) -> None:
        """An operator hands over a rotated secret: sign with it from now on (and, with
        ``keep_old``, with the old one too, as a provider switching over may)."""
        self.signing_secrets = [secret, *self.signing_secrets] if keep_old else [secret]

    def notice(
        self, authorization_id: str, outcome: str, reason: str | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """The notice for one authorization: its outcome, with the amount and currency the
        provider was asked for (``overrides`` replace any field, for a scenario)."""
        with self._lock:
            asked = self.received.get(authorization_id)
        if asked is None:
            asked = next((e for e in self.ledger() if e.get("authorizationId") == authorization_id), {})
        body: dict[str, Any] = {
            "authorizationId": authorization_id,
            "outcome": outcome,
            "amount": int(asked.get("amount", 0)),
            "currency": str(asked.get("currency", "")),
        }
        if reason:
            body["reason"] = reason
        return {**body, **overrides}

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        """POST raw bytes to the webhook's own API, as the provider's HTTP client does."""
        response = self._app.api.request(
            "POST",
            WEBHOOK_PATH,
            body=body,
            headers={"Content-Type": "application/json", **headers},
            api=WEBHOOK_API,
        )
        return response.status

    def signed(self, body: dict[str, Any], *, at: float | None = None) -> tuple[bytes, dict[str, str]]:
        """A notice's raw body and its signature header, signed at ``at`` (now by default)."""
        raw = json.dumps(body).encode()
        timestamp = int(time.time() if at is None else at)
        return raw, {SIGNATURE_HEADER: sign_notice(self.signing_secrets, timestamp, raw)}

    def answer(self, authorization_id: str, outcome: str, reason: str | None = None) -> int:
        """Deliver one signed webhook call; returns the HTTP status the platform answered."""
        body = self.notice(authorization_id, outcome, reason)
        with self._lock:
            self._answered.add(authorization_id)
        status = self.post(*self.signed(body))
        self.answers.append((authorization_id, outcome, status))
        return status

    def decide(self, request: dict[str, Any]) -> int:
        """Answer one request by the provider's rule."""
        outcome, reason = provider_decision(int(request["amount"]), self.limit)
        return self.answer(request["authorizationId"], outcome, reason)

    def answer_pending(self) -> int:
        """Answer every pending request once; returns how many were answered."""
        pending = self.requested()
        for request in pending:
            self.decide(request)
        return len(pending)

    def act(self, app: LocalApp) -> int:
        """As a party: take every request not seen yet and answer it `answer_after` from now."""
        if self.answer_after is None:
            return 0
        with self._lock:
            new = [request for key, request in self.received.items() if key not in self._seen]
            self._seen.update(request["authorizationId"] for request in new)
        delay = as_seconds(self.answer_after)
        for request in new:
            if delay <= 0:
                self.decide(request)
            else:
                app.after(delay, functools.partial(self.decide, request))
        return len(new)

    def settle(self, timeout: float = 120.0) -> None:
        """Run the platform until nothing waits on the provider, the provider answering each
        request `answer_after` after it appeared (by default 2 s: well inside the heartbeat)."""
        self._app.drain(timeout=timeout, each_round=lambda: self.act(self._app))


def answering_provider(app: LocalApp) -> PaymentProvider:
    """The provider of a served endpoint (``--party demo.payment_provider:answering_provider``):
    it answers each request 2 seconds after it came, by its rule."""
    return PaymentProvider(app, answer_after=2.0)


def silent_provider(app: LocalApp) -> PaymentProvider:
    """A provider that takes requests and never answers
    (``--party demo.payment_provider:silent_provider``): answer them yourself."""
    return PaymentProvider(app, answer_after=None)


def handed_over_secret(app: LocalApp) -> str:
    """The signing secret as an operator reads it to hand it to the provider."""
    secret_id = app.output(SECRET_OUTPUT)
    return str(app.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])


def provider_endpoint(app: LocalApp) -> str:
    """The endpoint the deployed AuthorizePayment function sends requests to (its template
    environment), which the simulated provider answers."""
    endpoints = {
        spec.environment[ENDPOINT_VARIABLE]
        for spec in app.lambdas.functions()
        if ENDPOINT_VARIABLE in spec.environment
    }
    if len(endpoints) != 1:
        raise LookupError(f"expected one {ENDPOINT_VARIABLE} in the template, found {sorted(endpoints)}")
    return endpoints.pop()
