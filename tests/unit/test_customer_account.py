"""The demo's customer (`demo.customers.CustomerAccount`) types the authenticator's code as a person
does: when the 30 s step ends between reading the code and the pool checking it, the pool refuses
it and the code shown now is sent; a code the pool refuses within its own step stays refused."""

from __future__ import annotations

from typing import Any

import pytest

from demo import customers
from demo.authenticator import totp_code

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
STEP_ENDS_AT = 1_000_000_020.0  # a 30 s step turns at ...020


class _CodeMismatch(Exception):
    pass


class _Pool:
    """A user pool asking a first sign-in to set up TOTP, checking codes on `clock`; each check
    first lets `on_the_way` seconds pass (the request travelling)."""

    class exceptions:  # noqa: N801 - boto3's spelling
        CodeMismatchException = _CodeMismatch

    def __init__(self, clock: list[float], on_the_way: float, accepts: bool = True) -> None:
        self.clock, self.on_the_way, self.accepts = clock, on_the_way, accepts
        self.codes: list[str] = []

    def initiate_auth(self, **_: Any) -> dict[str, Any]:
        return {"ChallengeName": "MFA_SETUP", "Session": "s-1"}

    def associate_software_token(self, **_: Any) -> dict[str, Any]:
        return {"SecretCode": SECRET, "Session": "s-2"}

    def verify_software_token(self, *, Session: str, UserCode: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        self.codes.append(UserCode)
        self.clock[0] += self.on_the_way
        self.on_the_way = 0.0
        if not self.accepts or UserCode != totp_code(SECRET, self.clock[0]):
            raise _CodeMismatch("Code mismatch")
        return {"Status": "SUCCESS", "Session": "s-3"}

    def respond_to_auth_challenge(self, **_: Any) -> dict[str, Any]:
        return {
            "AuthenticationResult": {
                "AccessToken": "a",
                "IdToken": "i",
                "RefreshToken": "r",
                "ExpiresIn": 3600,
            }
        }


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [STEP_ENDS_AT - 0.05]
    monkeypatch.setattr(customers.time, "time", lambda: now[0])
    return now


def test_a_code_whose_step_ends_on_the_way_is_typed_again_from_the_authenticator(clock: list[float]) -> None:
    pool = _Pool(clock, on_the_way=0.1)
    account = customers.CustomerAccount(pool, "client", "ada@example.com")
    account.sign_in()
    assert pool.codes == [totp_code(SECRET, STEP_ENDS_AT - 0.05), totp_code(SECRET, STEP_ENDS_AT + 0.05)]
    assert account.tokens is not None and account.tokens.access_token == "a"


def test_a_code_refused_within_its_own_step_is_not_retried(clock: list[float]) -> None:
    clock[0] = STEP_ENDS_AT + 1
    pool = _Pool(clock, on_the_way=0.1, accepts=False)
    with pytest.raises(_CodeMismatch):
        customers.CustomerAccount(pool, "client", "ada@example.com").sign_in()
    assert len(pool.codes) == 1
