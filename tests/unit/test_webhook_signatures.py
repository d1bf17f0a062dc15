"""The notice signature scheme on its own: what the header may say, and what verifies."""

import pytest

from demo.notice_signing import sign_notice
from payment_webhook.errors import NoticeStale, SignatureInvalid, SignatureMissing
from payment_webhook.signatures import (
    MAX_SIGNATURES,
    notice_id,
    parse_signature_header,
    signature_header,
    verify,
)

RAW = b'{"authorizationId": "a", "outcome": "AUTHORIZED", "amount": 1, "currency": "EUR"}'
NOW = 1_796_212_800


def test_the_platform_and_a_providers_own_code_sign_alike() -> None:
    # The webhook's scheme and the one written from the README (demo.notice_signing) agree
    assert signature_header(["s1", "s2"], NOW, RAW) == sign_notice(["s1", "s2"], NOW, RAW)


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, SignatureMissing),
        ("  ", SignatureMissing),
        ("t=1796212800", SignatureInvalid),  # no signature
        ("v1=ab", SignatureInvalid),  # no timestamp
        ("t=١٧٩٦٢١٢٨٠٠,v1=ab", SignatureInvalid),  # digits, but not ASCII ones
        ("t=-1,v1=ab", SignatureInvalid),
        ("t=1,t=2,v1=ab", SignatureInvalid),
        ("t=1;v1=ab", SignatureInvalid),
        ("t=1," + ",".join(["v1=ab"] * (MAX_SIGNATURES + 1)), SignatureInvalid),
    ],
)
def test_a_header_that_cannot_be_read_is_refused_by_name(header: str | None, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_signature_header(header)


def test_other_schemes_are_ignored_and_any_one_valid_signature_is_enough() -> None:
    header = f"t={NOW},v0=legacy,v1=0000,{sign_notice(['current'], NOW, RAW).split(',')[1]}"
    assert verify(header, RAW, ["previous", "current"], now=NOW).timestamp == NOW


def test_the_signature_is_judged_before_the_clock() -> None:
    # An unsigned caller learns nothing about the platform's clock: a stale forgery is "invalid"
    forged = sign_notice(["guess"], NOW - 3600, RAW)
    with pytest.raises(SignatureInvalid):
        verify(forged, RAW, ["secret"], now=NOW)
    with pytest.raises(NoticeStale):
        verify(sign_notice(["secret"], NOW - 3600, RAW), RAW, ["secret"], now=NOW)


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_five_minutes_either_way_are_tolerated(skew: int) -> None:
    assert verify(sign_notice(["secret"], NOW + skew, RAW), RAW, ["secret"], now=NOW).timestamp == NOW + skew


def test_a_notice_is_named_by_what_is_signed_not_by_its_signatures() -> None:
    assert notice_id(NOW, RAW) == notice_id(NOW, RAW)
    assert notice_id(NOW, RAW) != notice_id(NOW + 1, RAW) != notice_id(NOW, RAW + b" ")
