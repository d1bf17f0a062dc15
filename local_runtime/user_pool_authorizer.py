"""API Gateway's Cognito user pool authorizer (REST APIs), locally.

What API Gateway checks before a `COGNITO_USER_POOLS` method runs its integration, and what
this authorizer checks in the same order, each failure answering 401 `{"message":
"Unauthorized"}` as API Gateway does:
- the identity source header (`Authorization`) holds a token, bare or after `Bearer `;
- its signature verifies against the pool's public keys (the JWKS a client fetches from
  `https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`);
- its issuer is one of the authorizer's pools, which exists;
- it has not expired, on the virtual clock (`time.time()` is virtual while the app runs);
- with scopes on the method, it is an access token carrying one of them; without, an ID token.
API Gateway does not check which app client a token was issued to (its audience); the
integration must, and the orders handler does.

The checks are joserfc's (the JOSE library moto signs its tokens with): `jwt.decode` for the
signature, `JWTClaimsRegistry` for the issuer and the expiry. moto signs every pool's tokens
with one key, so a token of another pool verifies; its issuer is what refuses it, as it would
be on AWS (where its signature would fail too).

What the integration sees is API Gateway's `requestContext.authorizer.claims`: every claim as a
string, the time claims as API Gateway writes them (`Thu Dec 03 15:04:05 UTC 2026`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from local_runtime import moto_patches

_TIME_CLAIMS = ("exp", "iat", "auth_time")


@functools.cache
def _pool_keys() -> KeySet:
    """The public keys moto's pools sign with: the JWKS its well-known endpoint serves."""
    return KeySet.import_key_set(moto_patches.pool_public_keys())  # type: ignore[arg-type]


@dataclass(frozen=True)
class UserPoolAuthorizer:
    """An `AWS::ApiGateway::Authorizer` of type COGNITO_USER_POOLS."""

    pool_arns: tuple[str, ...]
    header: str
    """The identity source's header name (`method.request.header.<name>`)."""

    @classmethod
    def from_properties(cls, props: Mapping[str, Any]) -> UserPoolAuthorizer:
        source = str(props.get("IdentitySource", "method.request.header.Authorization"))
        return cls(
            pool_arns=tuple(str(arn) for arn in props.get("ProviderARNs", [])),
            header=source.removeprefix("method.request.header."),
        )

    def claims(self, headers: Mapping[str, str], scopes: Sequence[str]) -> dict[str, str] | None:
        """The token's claims as the integration sees them, or None when API Gateway would
        answer 401."""
        value = next((v for k, v in headers.items() if k.lower() == self.header.lower()), "")
        token = value[len("Bearer ") :] if value[:7].lower() == "bearer " else value
        issuers = self._issuers()
        if not token.strip() or not issuers:  # (joserfc reads an empty list of values as "any")
            return None
        try:
            decoded = jwt.decode(token.strip(), _pool_keys(), algorithms=["RS256"])
            jwt.JWTClaimsRegistry(
                now=int(time.time()),
                iss={"essential": True, "values": issuers},
                exp={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError):
            return None
        claims = decoded.claims
        if scopes:
            granted = set(str(claims.get("scope", "")).split())
            if claims.get("token_use") != "access" or not granted.intersection(scopes):
                return None
        elif claims.get("token_use") != "id":
            return None
        return {name: _as_api_gateway_writes(name, value) for name, value in claims.items()}

    def _issuers(self) -> list[str]:
        """The issuer of each of the authorizer's pools that exists."""
        issuers = []
        for arn in self.pool_arns:
            _, _, _, region, account, resource = arn.split(":", 5)
            pool_id = resource.removeprefix("userpool/")
            if moto_patches.user_pool_exists(account, region, pool_id):
                issuers.append(f"https://cognito-idp.{region}.amazonaws.com/{pool_id}")
        return issuers


def _as_api_gateway_writes(name: str, value: Any) -> str:
    if name in _TIME_CLAIMS and isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    if isinstance(value, list):
        return "[" + " ".join(str(item) for item in value) + "]"
    return str(value)
