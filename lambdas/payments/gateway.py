"""The port through which an authorization is requested, and its HTTPS adapter.

The saga records the request in its ledger first, then sends it; the provider answers later
through the webhook. A send whose outcome is unknown (timeout, network failure, 429, 5xx) is
PaymentProviderUnavailable, and the retried task sends the same request again: the provider
deduplicates on the ``Idempotency-Key`` header, the authorization id, so it never authorizes
twice. The endpoint is configured per deployment (CDK context ``paymentProviderEndpoint``);
locally the simulated provider of the demo answers it (``demo/payment_provider.py``).

Why ``urllib`` and not an HTTP library: one JSON POST with a timeout is all it takes, and the
standard library keeps the function's dependencies (and cold start) unchanged.
"""

import json
import urllib.error
import urllib.request
from typing import Protocol
from urllib.parse import urlsplit

from payments.errors import InvalidProviderEndpoint, PaymentProviderUnavailable, PaymentRequestRejected
from payments.models import AuthorizationRequest

REQUEST_TIMEOUT_SECONDS = 3.0
"""Connect and each read; well inside AuthorizePayment's 10 s function timeout."""
MAX_DETAIL_LENGTH = 512
RETRYABLE_STATUSES = frozenset({408, 425, 429})


class PaymentGateway(Protocol):
    """Sends an authorization request to the provider."""

    def request_authorization(self, request: AuthorizationRequest) -> None:
        """Hand the request over; returns once the provider accepted it (2xx). Raises
        PaymentProviderUnavailable when a retry may succeed, PaymentRequestRejected when not."""
        ...


def validated_endpoint(endpoint: str) -> str:
    """The endpoint if it is an absolute https:// URL with a host; InvalidProviderEndpoint
    otherwise (payment requests never travel unencrypted)."""
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidProviderEndpoint(f"the payment provider endpoint must be an https:// URL: {endpoint!r}")
    return endpoint


class HttpsPaymentGateway:
    """PaymentGateway over HTTPS: one JSON POST per request."""

    def __init__(self, endpoint: str, timeout_seconds: float = REQUEST_TIMEOUT_SECONDS) -> None:
        self._endpoint = validated_endpoint(endpoint)
        self._timeout = timeout_seconds

    def request_authorization(self, request: AuthorizationRequest) -> None:
        body = json.dumps(request.model_dump(mode="json"), separators=(",", ":")).encode()
        http_request = urllib.request.Request(
            self._endpoint,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Idempotency-Key": request.authorization_id,
            },
        )
        try:
            with urllib.request.urlopen(http_request, timeout=self._timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            detail = _detail(error)
            if error.code in RETRYABLE_STATUSES or error.code >= 500:
                raise PaymentProviderUnavailable(f"provider answered {error.code}: {detail}") from error
            raise PaymentRequestRejected(f"provider refused the request ({error.code}): {detail}") from error
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise PaymentProviderUnavailable(f"provider unreachable: {error}") from error


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        return error.read(MAX_DETAIL_LENGTH).decode("utf-8", "replace")
    except OSError:
        return error.reason if isinstance(error.reason, str) else ""


def https_gateway(endpoint: str) -> HttpsPaymentGateway:
    """The production gateway for the configured endpoint."""
    return HttpsPaymentGateway(endpoint)
