"""Failures of the payment webhook besides the request refusals of ``http_api.errors``.

Domain and infrastructure errors stay HTTP-agnostic and are mapped in the handler.
"""


class PaymentNotFound(Exception):
    """No ledger entry has this authorization id (404)."""

    def __init__(self, authorization_id: str) -> None:
        super().__init__(f"authorization {authorization_id} not found")
        self.authorization_id = authorization_id


class NoticeNotAuthenticated(Exception):
    """The request does not prove it comes from the payment provider (401): nothing is read."""

    reason = "unauthenticated"


class SignatureMissing(NoticeNotAuthenticated):
    """No signature header."""

    reason = "missing-signature"


class SignatureInvalid(NoticeNotAuthenticated):
    """A signature header that cannot be read, or no signature made with a valid secret."""

    reason = "invalid-signature"


class NoticeStale(NoticeNotAuthenticated):
    """Correctly signed, but its timestamp is outside the tolerance: an old capture replayed, or
    a provider clock far off."""

    reason = "stale"


class NoticeReplayed(Exception):
    """This very signed notice was received before (409): a replay changes nothing."""

    reason = "replayed"


class NoticeMismatch(Exception):
    """Authentic, but its amount or currency is not what the ledger asked to authorize (422)."""

    reason = "mismatch"

    def __init__(self, authorization_id: str, differences: dict[str, tuple[object, object]]) -> None:
        described = ", ".join(
            f"{field} {got!r} (asked {asked!r})" for field, (got, asked) in differences.items()
        )
        super().__init__(f"authorization {authorization_id}: {described}")
        self.authorization_id = authorization_id
        self.differences = differences


class SigningSecretsUnavailable(Exception):
    """The signing secrets could not be read (503: the provider retries later)."""
