"""Failures of the payment webhook besides the request refusals of ``http_api.errors``.

Domain and infrastructure errors stay HTTP-agnostic and are mapped in the handler.
"""


class PaymentNotFound(Exception):
    """No ledger entry has this authorization id (404)."""

    def __init__(self, authorization_id: str) -> None:
        super().__init__(f"authorization {authorization_id} not found")
        self.authorization_id = authorization_id


class TaskNoLongerOpen(Exception):
    """Step Functions no longer waits on the token (answered, timed out, execution ended): the
    answer is moot, and the webhook acknowledges it so the provider stops retrying."""


class CallbackUnavailable(Exception):
    """Step Functions throttled or failed transiently; the provider should retry (503)."""
