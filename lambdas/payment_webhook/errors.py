"""Failures of the payment webhook besides the request refusals of ``http_api.errors``.

Domain and infrastructure errors stay HTTP-agnostic and are mapped in the handler.
"""


class PaymentNotFound(Exception):
    """No ledger entry has this authorization id (404)."""

    def __init__(self, authorization_id: str) -> None:
        super().__init__(f"authorization {authorization_id} not found")
        self.authorization_id = authorization_id
