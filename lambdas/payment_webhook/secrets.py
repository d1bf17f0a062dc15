"""The webhook's signing secrets: the two valid versions of one Secrets Manager secret.

A rotation (`operations/rotate_webhook_secret.py`) puts a new value: Secrets Manager moves the
AWSCURRENT label to it and AWSPREVIOUS to the value it replaces. The webhook accepts notices
signed with either, so the provider can switch to the new secret at its own pace; the next
rotation drops the older one, and notices signed with it are refused from then on.

Both versions are read through Powertools Parameters (cached `CACHE_SECONDS`, so a warm
function does not call Secrets Manager per notice). A signature that matches neither cached
value may be signed with a secret rotated in since the cache filled: the secrets are then read
again, at most once per `REFRESH_FLOOR_SECONDS`, so a flood of forged notices cannot turn into a
flood of Secrets Manager calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from payment_webhook.errors import SigningSecretsUnavailable

CACHE_SECONDS = 300
REFRESH_FLOOR_SECONDS = 30
CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"


class SigningSecrets(Protocol):
    def valid(self, *, refresh: bool = False) -> list[str]:
        """The secrets a notice may be signed with (current first). `refresh`: read them again
        unless they were read very recently."""
        ...


class SecretsManagerSigningSecrets:
    """AWSCURRENT and AWSPREVIOUS of one secret (AWSPREVIOUS is absent before the first rotation)."""

    def __init__(
        self, secret_id: str, client: Any | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret_id = secret_id
        # One provider per version: Powertools caches by name, not by the version asked for
        self._current = SecretsProvider(boto3_client=client)
        self._previous = SecretsProvider(boto3_client=client)
        self._clock = clock
        self._read_at: float | None = None
        self._no_previous_until = 0.0

    def valid(self, *, refresh: bool = False) -> list[str]:
        now = self._clock()
        force = refresh and (self._read_at is None or now - self._read_at >= REFRESH_FLOOR_SECONDS)
        if force or self._read_at is None:
            self._read_at = now
        secrets = [self._get(self._current, CURRENT, force)]
        if force or now >= self._no_previous_until:
            try:
                previous = self._get(self._previous, PREVIOUS, force)
            except _NoSuchVersion:
                # Before the first rotation there is no AWSPREVIOUS: remember that as long as a value
                previous = ""
                self._no_previous_until = now + CACHE_SECONDS
            if previous and previous not in secrets:
                secrets.append(previous)
        return [s for s in secrets if s]

    def _get(self, provider: SecretsProvider, stage: str, force: bool) -> str:
        try:
            value = provider.get(
                self._secret_id, max_age=CACHE_SECONDS, force_fetch=force, VersionStage=stage
            )
        except GetParameterError as error:
            if "ResourceNotFoundException" in str(error) and stage == PREVIOUS:
                raise _NoSuchVersion(stage) from error
            raise SigningSecretsUnavailable(f"{stage} of the signing secret: {error}") from error
        return str(value or "")


class _NoSuchVersion(Exception):
    """The secret has no version with this staging label."""
