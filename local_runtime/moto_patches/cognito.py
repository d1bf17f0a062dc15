"""Cognito user pools: the pool's signing key built once per process, and MFA required as the
pool says.

Declared with their gaps in `PATCHES`.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import moto.cognitoidp.models as cognito_models
from moto.moto_api._internal import mock_random as random
from moto.utilities.utils import load_resource

from local_runtime.moto_patches.declare import Gap, Patch, Replace, node

_SHIPPED_JWK = cognito_models.jwk


def pool_public_keys() -> dict[str, Any]:
    """The JWKS moto's user pools sign with: what its `/<pool>/.well-known/jwks.json` serves (one
    key for every pool)."""
    keys: dict[str, Any] = load_resource("cognitoidp/resources/jwks-public.json")
    return keys


def user_pool_exists(account: str, region: str, pool_id: str) -> bool:
    """Whether a user pool exists (read from moto's state, not through the API: an authorizer
    runs inside a request and calls nothing)."""
    return pool_id in cognito_models.cognitoidp_backends[account][region].user_pools


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


MFA_SETUP = Replace(
    "cognito_mfa_setup",
    "cognito-idp",
    cognito_models.CognitoIdpBackend,
    "initiate_auth",
    (
        Gap(
            "a pool whose MFA is required signs in a user who has set none up (AWS answers the "
            "MFA_SETUP challenge: no tokens until a TOTP device is verified)",
            node(
                "tests/local_runtime/test_moto_patches.py",
                "test_without_the_patch_a_pool_requiring_mfa_signs_in_a_user_without_it",
            ),
        ),
    ),
)


@MFA_SETUP.by
def _initiate_auth(
    self: cognito_models.CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
) -> dict[str, Any]:
    """moto's sign-in, except that a password sign-in to a pool with MFA ON, by a user with no
    verified TOTP device, is answered as AWS answers it: the MFA_SETUP challenge and a session
    (associate-software-token, verify-software-token, then respond-to-auth-challenge)."""
    answer: dict[str, Any] = MFA_SETUP.original(self, client_id, auth_flow, auth_parameters)
    if "AuthenticationResult" not in answer or auth_flow != "USER_PASSWORD_AUTH":
        return answer
    pool = next((p for p in self.user_pools.values() if client_id in p.clients), None)
    username = auth_parameters.get("USERNAME", "")
    user = pool._get_user(username) if pool is not None else None
    if pool is None or user is None or pool.mfa_config != "ON" or user.token_verified or user.sms_mfa_enabled:
        return answer
    result = answer["AuthenticationResult"]
    pool.access_tokens.pop(result["AccessToken"], None)
    pool.id_tokens.pop(result["IdToken"], None)
    pool.refresh_tokens.pop(result["RefreshToken"], None)
    session = str(random.uuid4())
    self.sessions[session] = (username, pool)
    return {
        "ChallengeName": "MFA_SETUP",
        "ChallengeParameters": {"MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA"]'},
        "Session": session,
    }


EMAIL_VERIFIED_ON_CONFIRM = Replace(
    "cognito_confirm_verifies_email",
    "cognito-idp",
    cognito_models.CognitoIdpBackend,
    "confirm_sign_up",
    (
        Gap(
            "confirming a sign-up with the code sent to the email leaves the email unverified "
            "(AWS sets email_verified when the pool verifies email addresses)",
            node(
                "tests/local_runtime/test_moto_patches.py",
                "test_without_the_patch_a_confirmed_sign_up_leaves_the_email_unverified",
            ),
        ),
    ),
)


@EMAIL_VERIFIED_ON_CONFIRM.by
def _confirm_sign_up(self: cognito_models.CognitoIdpBackend, client_id: str, username: str) -> str:
    """moto's confirmation, and then what AWS does when the code was the one sent to the email
    (the pool auto-verifies email): the email is verified."""
    answer: str = EMAIL_VERIFIED_ON_CONFIRM.original(self, client_id, username)
    pool = next((p for p in self.user_pools.values() if client_id in p.clients), None)
    if pool is not None and "email" in pool.extended_config.get("AutoVerifiedAttributes", []):
        user = self.admin_get_user(pool.id, username)
        if any(attribute["Name"] == "email" for attribute in user.attributes):
            user.update_attributes([{"Name": "email_verified", "Value": "true"}])
    return answer


PATCHES: tuple[Patch, ...] = (
    MFA_SETUP,
    EMAIL_VERIFIED_ON_CONFIRM,
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
