"""Rotate the payment webhook's signing secret without losing a notice.

A new random value is put into the secret: Secrets Manager makes it AWSCURRENT and the value it
replaces AWSPREVIOUS. The webhook accepts notices signed with either, so the provider keeps
working with the old value until it is given the new one; the next rotation retires the old
value for good (notices signed with it are then refused, 401). Rotate again only once the
provider confirmed it signs with the current value.

Usage, against AWS or any endpoint that speaks its APIs::

    python -m operations.rotate_webhook_secret --outputs outputs.json [--show] [--endpoint-url URL]

``--show`` prints the new value, for handing it to the provider over its own secure channel;
without it, read it when needed with ``aws secretsmanager get-secret-value``. Exit status 0 when
rotated, 1 when Secrets Manager refused, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from operations.stack_outputs import stack_outputs
from workflows.constants import OUTPUT_PAYMENT_WEBHOOK_SECRET_ARN, PAYMENT_WEBHOOK_SECRET_LENGTH


@dataclass(frozen=True)
class Rotation:
    secret_arn: str
    version_id: str
    value: str


def rotate_webhook_secret(client: Any, secret_arn: str) -> Rotation:
    """Put a new random value (the length the stack generates, no punctuation, so it survives
    any provider's configuration form) as AWSCURRENT; the replaced value becomes AWSPREVIOUS."""
    value = client.get_random_password(PasswordLength=PAYMENT_WEBHOOK_SECRET_LENGTH, ExcludePunctuation=True)[
        "RandomPassword"
    ]
    answer = client.put_secret_value(SecretId=secret_arn, SecretString=value)
    return Rotation(secret_arn=secret_arn, version_id=str(answer["VersionId"]), value=value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m operations.rotate_webhook_secret", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--outputs", type=Path, required=True, help="the cdk deploy --outputs-file JSON")
    parser.add_argument("--endpoint-url", help="another endpoint than AWS (a local one)")
    parser.add_argument("--show", action="store_true", help="print the new value to hand to the provider")
    args = parser.parse_args(argv)
    try:
        secret_arn = stack_outputs(args.outputs, (OUTPUT_PAYMENT_WEBHOOK_SECRET_ARN,))[
            OUTPUT_PAYMENT_WEBHOOK_SECRET_ARN
        ]
    except (OSError, ValueError) as error:
        print(f"rotate_webhook_secret: {error}", file=sys.stderr)
        return 2
    import boto3  # only the command needs a session; the function takes a client
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        rotation = rotate_webhook_secret(
            boto3.client("secretsmanager", endpoint_url=args.endpoint_url), secret_arn
        )
    except (BotoCoreError, ClientError) as error:
        print(f"rotate_webhook_secret: {error}", file=sys.stderr)
        return 1
    print(
        f"rotated {rotation.secret_arn}: version {rotation.version_id} is AWSCURRENT, "
        "the one it replaced AWSPREVIOUS"
    )
    print("both sign valid notices until the next rotation: hand the new value to the provider now")
    if args.show:
        print(rotation.value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
