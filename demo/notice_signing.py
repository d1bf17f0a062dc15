"""How a payment provider signs its webhook notices, written from the README's description.

Not imported from the webhook (`lambdas/payment_webhook/signatures.py`): a provider has its own
code, and two implementations agreeing is what proves the documented scheme is the one checked.
The simulated provider and the tests sign with this.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

SIGNATURE_HEADER = "Payment-Signature"


def sign_notice(secrets: Sequence[str], timestamp: int, raw: bytes) -> str:
    """``t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>." + raw)>``, one v1 per secret."""
    signed = f"{timestamp}.".encode() + raw
    signatures = [hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest() for secret in secrets]
    return ",".join([f"t={timestamp}", *(f"v1={signature}" for signature in signatures)])
