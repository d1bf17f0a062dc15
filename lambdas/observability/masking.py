"""A Powertools log formatter that masks personal data wherever it appears in a log record.

The notification tasks handle names and email addresses; they log ids and attribute names
only, and this formatter is the net under that rule: a key that names personal data (``email``,
``givenName``, ``to``...) has its value replaced before the record is written, however deep in
the record (an ``extra`` dict, a list of dicts) it sits.
"""

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

MASK = "*****"
PERSONAL_KEYS = frozenset(
    {
        "email",
        "emailaddress",
        "to",
        "toaddresses",
        "givenname",
        "given_name",
        "familyname",
        "family_name",
        "name",
        "phone",
        "phone_number",
        "address",
    }
)
"""Compared lower-cased: ``givenName``, ``given_name`` and ``GivenName`` are all masked."""


def masked(value: Any) -> Any:
    """``value`` with every personal-data key's value replaced by MASK."""
    if isinstance(value, Mapping):
        return {
            key: MASK if str(key).lower() in PERSONAL_KEYS else masked(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value


class PersonalDataMaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, with personal data masked."""

    def serialize(self, log: Any) -> str:
        return super().serialize(masked(log))
