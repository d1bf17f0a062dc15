"""The payment ledger and gateway factories, importable at a handler's init without them.

The saga's payment tasks and the webhook name these at module level (tests replace them
there); the ledger and the gateway import the payment models, and with them pydantic, so each
factory imports its adapter when a first invocation calls it (README, "Cold start").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payments.gateway import HttpsPaymentGateway
    from payments.ledger import DynamoPaymentLedger


def payment_ledger(table_name: str) -> DynamoPaymentLedger:
    """The payments table's ledger."""
    from payments import ledger

    return ledger.payment_ledger(table_name)


def https_gateway(endpoint: str) -> HttpsPaymentGateway:
    """The provider's HTTPS endpoint of this deployment."""
    from payments import gateway

    return gateway.https_gateway(endpoint)
