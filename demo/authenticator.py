"""The customer's authenticator app: the TOTP code for the secret the user pool gave at MFA setup.

    python -m demo.authenticator <secret> [--endpoint-url http://127.0.0.1:4566]

On AWS an authenticator app computes the code on the phone's clock. A served local endpoint may
run on a virtual clock ahead of the wall (`--virtual-clock` jumps to the next timer whenever it is
quiet), and the pool checks the code on that clock: with `--endpoint-url` the code is computed at
the endpoint's time (`GET /_local/clock`).
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
import urllib.request
from datetime import datetime

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

TOTP_SECONDS = 30
FRESH_SECONDS = 5
"""A code with less time left than this is not handed out: the next one is waited for, as a user
watching the app's countdown would, so the code is still current when the pool checks it."""


def totp_code(secret: str, at: float) -> str:
    """The code an authenticator app shows for a TOTP secret at a time (RFC 6238, as Cognito
    uses it: SHA-1, 6 digits, 30-second steps)."""
    padded = secret + "=" * (-len(secret) % 8)
    totp = TOTP(base64.b32decode(padded, casefold=True), 6, SHA1(), TOTP_SECONDS, enforce_key_length=False)
    return totp.generate(int(at)).decode()


def endpoint_time(endpoint_url: str) -> float:
    """The time of a served local endpoint's clock."""
    with urllib.request.urlopen(endpoint_url.rstrip("/") + "/_local/clock", timeout=10) as response:
        return datetime.fromisoformat(json.loads(response.read())["now"]).timestamp()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.authenticator", description=__doc__.split("\n")[0])
    parser.add_argument("secret", help="the SecretCode of associate-software-token")
    parser.add_argument("--endpoint-url", help="a served local endpoint: use its clock")
    args = parser.parse_args(argv)
    try:
        now = endpoint_time(args.endpoint_url) if args.endpoint_url else time.time()
        left = TOTP_SECONDS - now % TOTP_SECONDS
        if left < FRESH_SECONDS:
            time.sleep(left + 0.2)
            now = endpoint_time(args.endpoint_url) if args.endpoint_url else time.time()
        print(totp_code(args.secret, now))
    except (ValueError, OSError, KeyError) as error:
        print(f"authenticator: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
