"""Named failures of the claim-check tasks: the error names the state machines retry
(``*Unavailable``) or catch (every other one, which marks the claim failed and parks the
message)."""

from dynamo_tables.errors import StoreUnavailable


class ClaimStoreUnavailable(StoreUnavailable):
    """The claims table throttled or failed transiently; the task is retried."""


class PayloadStoreUnavailable(Exception):
    """S3 throttled, failed transiently or the connection broke mid-stream; the task is retried
    (every read starts again from the first byte: nothing half-read is kept)."""


class InvalidIntakeMessage(Exception):
    """The intake message is none of the three doors' formats, or names an unusable object:
    never retried, the message is parked."""


class InvalidClaimInput(Exception):
    """A task's input does not match the workflow contract: a bug upstream, never retried."""


class ClaimNotFound(Exception):
    """The claim, or the object version it names, does not exist."""


class ClaimIntegrityError(Exception):
    """The stored object's size or SHA-256 differs from the claim's: it was tampered with or
    replaced, and nothing in it is processed."""


class ClaimExpired(Exception):
    """The claim's expiry has passed: its payload may already be gone, nothing is processed."""
