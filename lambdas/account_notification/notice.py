"""The security notice: who it goes to (from Cognito's attributes) and what it says (templates).

The name and the address come from the user pool, the single source of truth; they exist only
in the composed notice and the email, never in a log, a queue or on the bus.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import Template
from typing import Any

from account_notification.errors import NoVerifiedEmail

SUBJECT = Template("Security notice: $summary on your account")
BODY = Template(
    "Hello $name,\n\n"
    "These security settings of your account changed on $changed_at (UTC):\n\n"
    "$lines\n\n"
    "If you made this change, there is nothing to do. If you did not, reset your password now\n"
    "and contact our support team: someone else may have access to your account.\n"
)
LABELS: Mapping[str, str] = {
    "address": "Postal address",
    "email": "Email address",
    "phone": "Phone number",
    "mfa": "Multi-factor authentication",
    "recoveryEmail": "Recovery email address",
    "recoveryCodes": "Recovery codes",
    "passwordChangedAt": "Password",
}
_KIND_WORDS = {"ADDED": "added", "REMOVED": "removed", "CHANGED": "changed"}


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str


@dataclass(frozen=True)
class Notice:
    to: str
    subject: str
    body: str


def recipient(attributes: Sequence[Mapping[str, Any]]) -> Recipient:
    """The user's verified address and name, from AdminGetUser's UserAttributes."""
    values = {str(a.get("Name")): str(a.get("Value", "")) for a in attributes if isinstance(a, Mapping)}
    email = values.get("email", "").strip()
    if not email or values.get("email_verified", "").lower() != "true":
        raise NoVerifiedEmail("the user has no verified email address")
    name = " ".join(part for part in (values.get("given_name", ""), values.get("family_name", "")) if part)
    return Recipient(email=email, name=name.strip() or "there")


def label(path: str) -> str:
    """The person-readable name of an attribute path."""
    head, _, rest = path.partition(".")
    base = LABELS.get(head, head[:1].upper() + head[1:])
    return f"{base} ({rest})" if rest else base


def _line(change: Mapping[str, Any]) -> str:
    words = _KIND_WORDS[str(change["kind"])]
    text = f"- {label(str(change['path']))}: {words}"
    if change.get("shown") is not None and not change.get("secret"):
        text += f" to {change['shown']}"
    return text


def compose(changes: Sequence[Mapping[str, Any]], changed_at: str, to: Recipient) -> Notice:
    """One notice per account change, listing every changed attribute; a secret attribute is
    named, never shown."""
    count = len(changes)
    summary = (
        label(str(changes[0]["path"])).lower() + " changed" if count == 1 else f"{count} settings changed"
    )
    return Notice(
        to=to.email,
        subject=SUBJECT.substitute(summary=summary),
        body=BODY.substitute(name=to.name, changed_at=changed_at, lines="\n".join(_line(c) for c in changes)),
    )
