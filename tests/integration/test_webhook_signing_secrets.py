"""The webhook's signing secrets read from Secrets Manager (moto) across rotations."""

from typing import Any

import boto3
import pytest

from payment_webhook.errors import SigningSecretsUnavailable
from payment_webhook.secrets import REFRESH_FLOOR_SECONDS, SecretsManagerSigningSecrets
from tests.integration.conftest import REGION


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client(aws: None) -> Any:
    return boto3.client("secretsmanager", region_name=REGION)


def test_a_rotation_keeps_the_previous_secret_valid_until_the_next_one(
    client: Any, webhook_secret: tuple[str, str]
) -> None:
    arn, first = webhook_secret
    clock = Clock()
    secrets = SecretsManagerSigningSecrets(arn, client=client, clock=clock)
    # Before any rotation: the one secret (no AWSPREVIOUS yet)
    assert secrets.valid() == [first]
    # When an operator rotates (put-secret-value moves AWSCURRENT, AWSPREVIOUS follows)
    client.put_secret_value(SecretId=arn, SecretString="second-secret")
    # Then a warm function still holds the cached value, until a signature it cannot match
    # makes it read again: then both the new and the previous value are valid
    assert secrets.valid() == [first]
    clock.now += REFRESH_FLOOR_SECONDS
    assert secrets.valid(refresh=True) == ["second-secret", first]
    # And after the next rotation the oldest one is no longer valid
    client.put_secret_value(SecretId=arn, SecretString="third-secret")
    clock.now += REFRESH_FLOOR_SECONDS
    assert secrets.valid(refresh=True) == ["third-secret", "second-secret"]


def test_forged_notices_cannot_make_the_secrets_be_read_more_than_once_per_floor(
    client: Any, webhook_secret: tuple[str, str]
) -> None:
    arn, first = webhook_secret
    clock = Clock()
    secrets = SecretsManagerSigningSecrets(arn, client=client, clock=clock)
    secrets.valid()
    client.put_secret_value(SecretId=arn, SecretString="second-secret")
    clock.now += REFRESH_FLOOR_SECONDS - 1
    # A refresh asked for within the floor answers from the cache ...
    assert secrets.valid(refresh=True) == [first]
    # ... and once the floor passed, reads again
    clock.now += 1
    assert secrets.valid(refresh=True) == ["second-secret", first]


def test_an_unreadable_secret_is_a_named_error(client: Any, aws: None) -> None:
    secrets = SecretsManagerSigningSecrets(
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone", client=client
    )
    with pytest.raises(SigningSecretsUnavailable):
        secrets.valid()
