"""Calling the orders API as its callers do: a customer with their user pool token, an operator
with a session of the operator role.

A customer signs up to the stack's user pool, confirms their email, sets up TOTP MFA at their
first sign-in (the pool requires it), and calls the customer routes with their access token
(`Authorization: Bearer <token>`); their customer id is the token's `sub`. `CustomerAccount`
plays such a customer against any cognito-idp endpoint: the embedded runtime's, or AWS's, where
the confirmation code comes by email. The operators' routes are AWS_IAM: on AWS the request is
signed with a session of the operator role; locally its ARN is given with the request
(`app.api.request(..., caller=)`, or `X-Local-Caller` on a served endpoint).

The demo, the benchmarks and the tests place orders through `post_order`, so each order is
placed by its own signed-in customer.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from demo.authenticator import totp_code
from workflows import constants as c

if TYPE_CHECKING:
    from local_runtime import LocalApp
    from local_runtime.api_gateway import ApiResponse

PASSWORD = "Local-Customer-Passw0rd!"
"""The password the local customers sign up with (the pool's policy: 12+ characters, all four
character classes)."""
EMAIL_DOMAIN = "customers.example"


class SignInRefused(Exception):
    """The user pool answered a challenge this customer cannot meet (a new password, SMS)."""


@dataclass
class Tokens:
    """What a sign-in yields: the access token calls the API; the refresh token renews both."""

    access_token: str
    id_token: str
    refresh_token: str
    expires_at: float

    @property
    def customer_id(self) -> str:
        """The token's `sub`: the customer id the API knows them by."""
        payload = self.access_token.split(".")[1]
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims["sub"])


@dataclass
class CustomerAccount:
    """One customer of the pool: their email, password and authenticator (TOTP secret)."""

    cognito: Any
    client_id: str
    email: str
    password: str = PASSWORD
    attributes: dict[str, str] = field(default_factory=dict)
    """Profile attributes given at sign-up (given_name, family_name...)."""
    totp_secret: str | None = None
    tokens: Tokens | None = field(default=None, repr=False)

    def sign_up(self, confirmation_code: str = "000000") -> None:
        """Register, and confirm the email with the code the pool sent (locally no mail goes
        out and any code confirms)."""
        self.cognito.sign_up(
            ClientId=self.client_id,
            Username=self.email,
            Password=self.password,
            UserAttributes=[
                {"Name": name, "Value": value}
                for name, value in {**self.attributes, "email": self.email}.items()
            ],
        )
        self.cognito.confirm_sign_up(
            ClientId=self.client_id, Username=self.email, ConfirmationCode=confirmation_code
        )

    def sign_in(self) -> Tokens:
        """Sign in with the password and the authenticator's code; a first sign-in sets up the
        authenticator (the MFA_SETUP challenge)."""
        answer = self.cognito.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": self.email, "PASSWORD": self.password},
        )
        while "AuthenticationResult" not in answer:
            answer = self._meet(answer["ChallengeName"], answer["Session"])
        result = answer["AuthenticationResult"]
        self.tokens = Tokens(
            access_token=result["AccessToken"],
            id_token=result["IdToken"],
            refresh_token=result["RefreshToken"],
            expires_at=time.time() + int(result["ExpiresIn"]),
        )
        return self.tokens

    def _meet(self, challenge: str, session: str) -> dict[str, Any]:
        if challenge == "MFA_SETUP":
            setup = self.cognito.associate_software_token(Session=session)
            secret = self.totp_secret = setup["SecretCode"]
            verified = self._with_current_code(
                secret,
                lambda code: self.cognito.verify_software_token(
                    Session=setup.get("Session", session), UserCode=code, FriendlyDeviceName="authenticator"
                ),
            )
            return self._respond(challenge, verified["Session"], {})
        if challenge == "SOFTWARE_TOKEN_MFA" and self.totp_secret is not None:
            return self._with_current_code(
                self.totp_secret,
                lambda code: self._respond(challenge, session, {"SOFTWARE_TOKEN_MFA_CODE": code}),
            )
        raise SignInRefused(f"{self.email}: the pool asks for {challenge}")

    def _respond(self, challenge: str, session: str, responses: dict[str, str]) -> dict[str, Any]:
        answer: dict[str, Any] = self.cognito.respond_to_auth_challenge(
            ClientId=self.client_id,
            ChallengeName=challenge,
            Session=session,
            ChallengeResponses={"USERNAME": self.email, **responses},
        )
        return answer

    def _with_current_code(self, secret: str, send: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        """``send`` the authenticator's code; when the pool refuses it because its 30 s step ended
        on the way (the code shown now is another), send the code shown now, as a user would.
        A code refused within its own step is refused: nothing is retried blindly."""
        code = totp_code(secret, time.time())
        try:
            return send(code)
        except self.cognito.exceptions.CodeMismatchException:
            current = totp_code(secret, time.time())
            if current == code:
                raise
            return send(current)

    def access_token(self) -> str:
        """A current access token: signs in, or renews with the refresh token a minute before
        the token expires (on the clock the pool reads)."""
        if self.tokens is None:
            return self.sign_in().access_token
        if time.time() >= self.tokens.expires_at - 60:
            result = self.cognito.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": self.tokens.refresh_token},
            )["AuthenticationResult"]
            self.tokens = Tokens(
                access_token=result["AccessToken"],
                id_token=result["IdToken"],
                refresh_token=self.tokens.refresh_token,
                expires_at=time.time() + int(result["ExpiresIn"]),
            )
        return self.tokens.access_token

    @property
    def customer_id(self) -> str:
        self.access_token()
        assert self.tokens is not None
        return self.tokens.customer_id

    def bearer(self) -> dict[str, str]:
        """The header that proves the customer to the API."""
        return {"Authorization": f"Bearer {self.access_token()}"}


class Customers:
    """The app's customers by name: each signed up (as ``<name>@customers.example``) and signed
    in the first time it is asked for."""

    def __init__(self, app: LocalApp) -> None:
        self._cognito = app.client("cognito-idp")
        self._client_id = app.output(c.OUTPUT_CUSTOMER_CLIENT_ID)
        self._accounts: dict[str, CustomerAccount] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> CustomerAccount:
        with self._lock:
            return self._accounts.get(name) or self._create(name, {})

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._accounts

    def register(self, name: str, **attributes: str) -> CustomerAccount:
        """Sign a new customer up, with profile attributes (given_name, family_name...), and in."""
        with self._lock:
            if name in self._accounts:
                raise ValueError(f"{name} is already a customer")
            return self._create(name, attributes)

    def _create(self, name: str, attributes: dict[str, str]) -> CustomerAccount:
        account = CustomerAccount(
            self._cognito, self._client_id, f"{name.lower()}@{EMAIL_DOMAIN}", attributes=attributes
        )
        account.sign_up()
        account.sign_in()
        self._accounts[name] = account
        return account


_CUSTOMERS: weakref.WeakKeyDictionary[LocalApp, Customers] = weakref.WeakKeyDictionary()


def customers(app: LocalApp) -> Customers:
    """The customers of a running app."""
    if app not in _CUSTOMERS:
        _CUSTOMERS[app] = Customers(app)
    return _CUSTOMERS[app]


def session_arn(account: str, role: str, session: str) -> str:
    """The ARN API Gateway reports for a SigV4 caller using an assumed-role session."""
    return f"arn:aws:sts::{account}:assumed-role/{role}/{session}"


def operator_session(app: LocalApp, name: str = "on-call") -> str:
    """A session of the stack's operator role (its session name is the operator's choice)."""
    role = app.output(c.OUTPUT_OPERATOR_ROLE_ARN).rsplit("/", 1)[-1]
    return session_arn(app.account, role, name)


def _headers(key: str | None) -> dict[str, str]:
    return {"Content-Type": "application/json", "Idempotency-Key": key or str(uuid.uuid4())}


def post_order(
    app: LocalApp, order: Mapping[str, Any], key: str | None = None, *, customer: str | None = None
) -> ApiResponse:
    """POST /orders as a signed-in customer, with a fresh Idempotency-Key unless ``key`` is given.

    The customer is ``customer``, or else the one the order's ``customerId`` names (a name, such
    as ``cust-0042``); the body sent carries their customer id (their `sub`)."""
    account = customers(app)[customer or str(order.get("customerId") or "customer")]
    return app.api.request(
        "POST",
        "/orders",
        body=json.dumps({**order, "customerId": account.customer_id}),
        headers={**_headers(key), **account.bearer()},
    )


def post_order_as_operator(
    app: LocalApp, order: Mapping[str, Any], key: str | None = None, *, caller: str | None = None
) -> ApiResponse:
    """POST /operator/orders (the order names its customer), signed as ``caller`` (by default an
    operator's session)."""
    return app.api.request(
        "POST",
        f"/{c.ORDERS_OPERATOR_PATH}/orders",
        body=json.dumps(order),
        headers=_headers(key),
        caller=caller or operator_session(app),
    )
