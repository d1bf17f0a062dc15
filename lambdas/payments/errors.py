"""Named failures of the payment adapters: the error names the saga's AuthorizePayment state
retries (``*Unavailable``) or sends to its outcome check (everything else)."""

from dynamo_tables.errors import StoreUnavailable

PAYMENT_DECLINED = "PaymentDeclined"
"""The error a declined authorization is reported with through SendTaskFailure; never raised in
Python, caught by the AuthorizePayment state's Catch like any other task error."""


class PaymentStoreUnavailable(StoreUnavailable):
    """The payments table throttled or failed transiently; the caller retries."""


class PaymentProviderUnavailable(Exception):
    """The provider did not take the request (network failure, timeout, 429 or 5xx): whether it
    arrived is unknown, and a retry is safe because the provider deduplicates on the
    authorization id (the request's idempotency key)."""


class PaymentRequestRejected(Exception):
    """The provider refused the request itself (a 4xx other than 429): a contract or
    configuration problem that repeating will not fix."""


class InvalidProviderEndpoint(ValueError):
    """The configured provider endpoint is not an absolute https:// URL."""
