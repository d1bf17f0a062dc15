"""The customer's authenticator (`python -m demo.authenticator`): RFC 6238 codes, as Cognito
checks them, and never one about to expire."""

from __future__ import annotations

import pytest

from demo import authenticator

RFC_6238_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"


@pytest.mark.parametrize(
    ("at", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_codes_are_rfc_6238_sha1_six_digits(at: int, code: str) -> None:
    # The RFC's SHA-1 test vectors, read to six digits (what Cognito asks for)
    assert authenticator.totp_code(RFC_6238_SECRET, at) == code


def test_a_code_about_to_expire_is_not_handed_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a clock 2 seconds before its 30-second step turns
    clock = [1_000_000_018.0]
    monkeypatch.setattr(authenticator.time, "time", lambda: clock[0])
    monkeypatch.setattr(authenticator.time, "sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds))
    # When a code is asked for / Then the next step's code is given, after waiting for it
    assert authenticator.main([RFC_6238_SECRET]) == 0
    assert capsys.readouterr().out.strip() == authenticator.totp_code(RFC_6238_SECRET, 1_000_000_020.5)
    assert clock[0] >= 1_000_000_020.0


def test_a_secret_that_is_not_base32_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert authenticator.main(["not base32!"]) == 2
    assert capsys.readouterr().err.startswith("authenticator: ")
