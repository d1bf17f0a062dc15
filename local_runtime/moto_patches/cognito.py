"""Cognito user pools as AWS runs them for the platform's customers: a client signs in only by
the flows it allows, a pool that requires MFA has a new user set it up before any token, a
confirmed sign-up has a verified email; and the pools' signing key is built once per process.

Declared with their gaps in `PATCHES`.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import moto.cognitoidp.exceptions as cognito_exceptions
import moto.cognitoidp.models as cognito_models
from moto.moto_api._internal import mock_random as random
from moto.utilities.utils import load_resource

from local_runtime.moto_patches.declare import Gap, Patch, Replace, node

_SHIPPED_JWK = cognito_models.jwk
_TESTS = "tests/local_runtime/test_moto_patches.py"


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


SIGN_IN = Replace(
    "cognito_sign_in",
    "cognito-idp",
    cognito_models.CognitoIdpBackend,
    "initiate_auth",
    (
        Gap(
            "a pool whose MFA is required signs in a user who has set none up (AWS answers the "
            "MFA_SETUP challenge: no tokens until a TOTP device is verified)",
            node(_TESTS, "test_without_the_patch_a_pool_requiring_mfa_signs_in_a_user_without_it"),
        ),
        Gap(
            "an app client signs in by a flow its ExplicitAuthFlows do not allow",
            node(_TESTS, "test_without_the_patch_a_client_signs_in_by_a_flow_it_does_not_allow"),
        ),
    ),
)
ADMIN_SIGN_IN = Replace(
    "cognito_admin_sign_in",
    "cognito-idp",
    cognito_models.CognitoIdpBackend,
    "admin_initiate_auth",
    (
        Gap(
            "an app client signs in by an admin flow its ExplicitAuthFlows do not allow",
            node(_TESTS, "test_without_the_patch_a_client_signs_in_by_an_admin_flow_it_does_not_allow"),
        ),
    ),
)

_DEFAULT_FLOWS = ("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH")
"""What a client allows when it names no flows (AWS's default)."""
_LEGACY_FLOWS = {
    "ADMIN_NO_SRP_AUTH": ("ADMIN_NO_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH"),
    "USER_PASSWORD_AUTH": ("USER_PASSWORD_AUTH",),
    "CUSTOM_AUTH_FLOW_ONLY": ("CUSTOM_AUTH",),
}


def _pool_of_client(backend: cognito_models.CognitoIdpBackend, client_id: str) -> Any:
    """The user pool an app client belongs to, or None."""
    return next((pool for pool in backend.user_pools.values() if client_id in pool.clients), None)


def _refuse_a_flow_not_enabled(
    backend: cognito_models.CognitoIdpBackend, client_id: str, auth_flow: Any
) -> None:
    """AWS refuses a sign-in by a flow the client does not allow (refreshing is always allowed)."""
    flow = str(getattr(auth_flow, "value", auth_flow))
    pool = _pool_of_client(backend, client_id)
    client = pool.clients[client_id] if pool is not None else None
    if client is None or flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        return
    allowed: set[str] = set()
    for name in client.extended_config.get("ExplicitAuthFlows") or _DEFAULT_FLOWS:
        allowed.update(_LEGACY_FLOWS.get(name, (name.removeprefix("ALLOW_"),)))
    if flow not in allowed:
        raise cognito_exceptions.InvalidParameterException(f"{flow} flow not enabled for this client")


@ADMIN_SIGN_IN.by
def _admin_initiate_auth(
    self: cognito_models.CognitoIdpBackend,
    user_pool_id: str,
    client_id: str,
    auth_flow: str,
    auth_parameters: dict[str, str],
) -> dict[str, Any]:
    """moto's admin sign-in, for the flows the client allows."""
    _refuse_a_flow_not_enabled(self, client_id, auth_flow)
    answer: dict[str, Any] = ADMIN_SIGN_IN.original(self, user_pool_id, client_id, auth_flow, auth_parameters)
    return answer


@SIGN_IN.by
def _initiate_auth(
    self: cognito_models.CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
) -> dict[str, Any]:
    """moto's sign-in, for the flows the client allows; and a password sign-in to a pool with MFA
    ON, by a user with no verified TOTP device, is answered as AWS answers it: the MFA_SETUP
    challenge and a session (associate-software-token, verify-software-token, then
    respond-to-auth-challenge)."""
    _refuse_a_flow_not_enabled(self, client_id, auth_flow)
    answer: dict[str, Any] = SIGN_IN.original(self, client_id, auth_flow, auth_parameters)
    if "AuthenticationResult" not in answer or auth_flow != "USER_PASSWORD_AUTH":
        return answer
    pool = _pool_of_client(self, client_id)
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
            node(_TESTS, "test_without_the_patch_a_confirmed_sign_up_leaves_the_email_unverified"),
        ),
    ),
)


@EMAIL_VERIFIED_ON_CONFIRM.by
def _confirm_sign_up(self: cognito_models.CognitoIdpBackend, client_id: str, username: str) -> str:
    """moto's confirmation, and then what AWS does when the code was the one sent to the email
    (the pool auto-verifies email): the email is verified."""
    answer: str = EMAIL_VERIFIED_ON_CONFIRM.original(self, client_id, username)
    pool = _pool_of_client(self, client_id)
    if pool is not None and "email" in pool.extended_config.get("AutoVerifiedAttributes", []):
        user = self.admin_get_user(pool.id, username)
        if any(attribute["Name"] == "email" for attribute in user.attributes):
            user.update_attributes([{"Name": "email_verified", "Value": "true"}])
    return answer


PATCHES: tuple[Patch, ...] = (
    SIGN_IN,
    ADMIN_SIGN_IN,
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
