"""Cognito user pools: the pool's signing key built once per process.

Declared with its gap in `PATCHES`.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import moto.cognitoidp.models as cognito_models

from local_runtime.moto_patches.declare import Gap, Patch, Replace, node

_SHIPPED_JWK = cognito_models.jwk


class _CachedJwk:
    """moto's `joserfc.jwk` as its user pools use it, with the pool's RSA key built once per
    process: every pool imports the same private key from a resource file, and building it
    (~70 ms of RSA arithmetic) was a fifth of an app's start."""

    class RSAKey:
        _keys: ClassVar[dict[str, Any]] = {}

        @classmethod
        def import_key(cls, data: Any) -> Any:
            marker = json.dumps(data, sort_keys=True, default=str)
            if marker not in cls._keys:
                cls._keys[marker] = _SHIPPED_JWK.RSAKey.import_key(data)
            return cls._keys[marker]


PATCHES: tuple[Patch, ...] = (
    Replace(
        "cognito_jwk",
        "cognito-idp",
        cognito_models,
        "jwk",
        (
            Gap(
                "every user pool builds the same RSA key again (~70 ms each)",
                node(
                    "tests/local_runtime/test_moto_patches.py",
                    "test_without_the_patch_every_user_pool_builds_its_key_again",
                ),
            ),
        ),
        new=_CachedJwk,
    ),
)
