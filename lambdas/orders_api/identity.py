"""Who is calling the orders API, as API Gateway has proven it.

Customers call with a user pool access token. API Gateway's user pool authorizer has checked it
before this code runs: its signature against the pool's keys, its issuer, its expiry, and the
route's scope (which admits access tokens only). It passes the token's claims on in
``requestContext.authorizer.claims``. One thing it does not check is which app client the token
was issued to: a REST API's user pool authorizer admits every client of the pool. So the handler
checks the audience (``client_id``) and the token's use here, and the customer id is the token's
``sub``, and only that.

Operators call the ``/operator`` routes signed with SigV4 (AWS_IAM), and API Gateway passes the
verified caller's ARN in ``requestContext.identity.userArn``. An operator is a session of the
stack's operator role, in the role's own account. The session name, which whoever assumes the
role chooses freely, plays no part.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler.exceptions import ForbiddenError, UnauthorizedError

_ASSUMED_ROLE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sts::(?P<account>\d{12}):assumed-role/(?P<role>[\w+=,.@-]+)/[\w+=,.@-]+$"
)
_ROLE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/(?:[\w+=,.@/-]*/)?(?P<role>[\w+=,.@-]+)$"
)


class NotACustomerToken(UnauthorizedError):
    """The request's token is not a customer's access token of this API's app client (401)."""


class NotAnOperator(ForbiddenError):
    """A SigV4 caller on an operator route that is not a session of the operator role (403)."""


@dataclass(frozen=True)
class Customer:
    """A signed-in customer: their id is their user pool `sub`."""

    customer_id: str


def customer_of(request_context: Mapping[str, Any], client_ids: Collection[str]) -> Customer:
    """The customer whose access token the authorizer admitted, if it was issued to one of
    `client_ids`; NotACustomerToken otherwise (no claims, an ID token, another client's token)."""
    claims = ((request_context.get("authorizer") or {}).get("claims")) or {}
    if claims.get("token_use") != "access":
        raise NotACustomerToken("A customer's access token is required")
    if claims.get("client_id") not in client_ids:
        raise NotACustomerToken("The token was not issued to this API's app client")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise NotACustomerToken("The token names no user")
    return Customer(customer_id=subject)


def require_operator(request_context: Mapping[str, Any], operator_role_arn: str) -> None:
    """Refuse (NotAnOperator) a caller that is not a session of the operator role."""
    caller = (request_context.get("identity") or {}).get("userArn")
    session = _ASSUMED_ROLE.fullmatch(caller) if isinstance(caller, str) else None
    role = _ROLE.fullmatch(operator_role_arn)
    if (
        session is None
        or role is None
        or (session["partition"], session["account"], session["role"])
        != (role["partition"], role["account"], role["role"])
    ):
        raise NotAnOperator("Only the operator role may call this route")
