"""Who may act for a customer (place their orders, read them): that customer, or an operator.

The API uses AWS_IAM authorization, so API Gateway hands the handler the verified caller's
ARN (``requestContext.identity.userArn``). The mapping to a customer is a decision of this
platform: a customer calls through a session of the customer-access role whose session name
is their customer id (``arn:aws:sts::<account>:assumed-role/<CustomerRole>/<customerId>``; the
identity broker, e.g. a Cognito identity pool or the web backend, sets it when it issues the
credentials, and IAM guarantees it). Operators call through one of the operator roles. Any
other caller (another customer, an IAM user, a role of another team) may neither read the
customer's orders (it is told the order does not exist: a refusal that does not reveal which
order ids exist) nor place orders in the customer's name (403: the caller named the customer).
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

_ASSUMED_ROLE = re.compile(
    r"^arn:aws[a-z-]*:sts::\d{12}:assumed-role/(?P<role>[\w+=,.@-]+)/(?P<session>[\w+=,.@-]+)$"
)


@dataclass(frozen=True)
class Caller:
    """The role and session of a caller that came through an assumed role."""

    role: str
    session: str


def caller_from(identity: Mapping[str, Any] | None) -> Caller | None:
    """The caller of a request, from API Gateway's ``requestContext.identity``; None when the
    caller is not a role session (an IAM user, no identity)."""
    arn = (identity or {}).get("userArn")
    match = _ASSUMED_ROLE.fullmatch(arn) if isinstance(arn, str) else None
    if match is None:
        return None
    return Caller(role=match["role"], session=match["session"])


def acts_for(
    caller: Caller | None, customer_id: str, customer_role: str, operator_roles: Collection[str]
) -> bool:
    """The customer's own session, or an operator's, acts for the customer."""
    if caller is None:
        return False
    if caller.role in operator_roles:
        return True
    return caller.role == customer_role and caller.session == customer_id
