"""The payment provider's notice signature: HMAC-SHA256 over a timestamp and the raw body.

A payment provider holds no AWS credentials; it proves a notice is its own the way providers
do it (Stripe, Adyen, GitHub webhooks): with a secret both sides share. Every notice carries

    Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

The timestamp is signed with the body, so it cannot be moved; a notice whose timestamp is more
than `TOLERANCE_SECONDS` from the platform's clock is refused (a captured notice cannot be
replayed later, and within the window the handler's receipts refuse it: `notice_id`). Several `v1`
entries may be sent (a provider signing with both secrets during a rotation), and the platform
accepts a signature made with either of its two valid secrets (AWSCURRENT and AWSPREVIOUS), so a
rotation loses no notice. Comparison is constant-time (`hmac.compare_digest`).

Plain functions over bytes and integers: no AWS, no clock of their own, so the scheme is tested
exhaustively (tests/unit/test_webhook_signatures.py) and the simulated provider signs with
`sign`, exactly as an integrator must.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from payment_webhook.errors import NoticeStale, SignatureInvalid, SignatureMissing

SIGNATURE_HEADER = "Payment-Signature"
SCHEME = "v1"
TOLERANCE_SECONDS = 300
"""How far a notice's timestamp may be from the platform's clock, either way (5 minutes)."""
MAX_SIGNATURES = 4
"""A header naming more signatures than this is refused: nobody needs more, and each costs an HMAC."""


@dataclass(frozen=True)
class SignatureHeader:
    timestamp: int
    signatures: tuple[str, ...]


def signed_payload(timestamp: int, raw_body: bytes) -> bytes:
    """What is signed: the timestamp in decimal, a dot, and the body exactly as sent."""
    return f"{timestamp}.".encode() + raw_body


def sign(secret: str, timestamp: int, raw_body: bytes) -> str:
    """The hex signature of one notice under one secret."""
    return hmac.new(secret.encode(), signed_payload(timestamp, raw_body), hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, raw_body: bytes) -> str:
    """The header value a provider sends: one `v1` per secret it signs with."""
    return ",".join([f"t={timestamp}", *(f"{SCHEME}={sign(s, timestamp, raw_body)}" for s in secrets)])


def parse_signature_header(value: str | None) -> SignatureHeader:
    """`t=...,v1=...[,v1=...]`; other schemes are ignored (a provider may add newer ones).

    Raises SignatureMissing without a header, SignatureInvalid for one that cannot be read.
    """
    if not value or not value.strip():
        raise SignatureMissing(f"no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        key, separator, item = part.strip().partition("=")
        if not separator:
            raise SignatureInvalid(f"{SIGNATURE_HEADER} is not a list of key=value")
        if key == "t":
            if timestamp is not None or not (item.isascii() and item.isdigit()) or len(item) > 12:
                raise SignatureInvalid(f"{SIGNATURE_HEADER} needs one timestamp in unix seconds")
            timestamp = int(item)
        elif key == SCHEME:
            signatures.append(item.lower())
    if timestamp is None:
        raise SignatureInvalid(f"{SIGNATURE_HEADER} has no timestamp")
    if not signatures:
        raise SignatureInvalid(f"{SIGNATURE_HEADER} has no {SCHEME} signature")
    if len(signatures) > MAX_SIGNATURES:
        raise SignatureInvalid(f"{SIGNATURE_HEADER} has more than {MAX_SIGNATURES} signatures")
    return SignatureHeader(timestamp, tuple(signatures))


def notice_id(timestamp: int, raw_body: bytes) -> str:
    """A notice's identity for replay detection: the digest of what is signed.

    Not the signature: a header may carry one signature per secret, and a replay sending only
    the other one would otherwise pass for a new notice.
    """
    return hashlib.sha256(signed_payload(timestamp, raw_body)).hexdigest()


def verify(
    header: str | None,
    raw_body: bytes,
    secrets: Sequence[str],
    now: float,
    tolerance_seconds: int = TOLERANCE_SECONDS,
) -> SignatureHeader:
    """Check a notice's signature; returns the header read (its timestamp names the notice).

    Every (signature, secret) pair is compared, in constant time each, whatever matched first:
    how long a refusal takes says nothing about which part was right. The timestamp is judged
    only once the signature holds, so an unsigned request learns nothing about the clock.

    Raises SignatureMissing / SignatureInvalid (no valid signature by a valid secret) and
    NoticeStale (signed, but its timestamp is outside the tolerance).
    """
    parsed = parse_signature_header(header)
    matched = False
    for secret in secrets:
        expected = sign(secret, parsed.timestamp, raw_body).encode()
        for candidate in parsed.signatures:
            matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise SignatureInvalid("no signature matches a current signing secret")
    skew = now - parsed.timestamp
    if abs(skew) > tolerance_seconds:
        raise NoticeStale(f"signed {int(skew)} s from now; the tolerance is {tolerance_seconds} s")
    return parsed
