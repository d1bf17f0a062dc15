"""The adapters the claim-check handlers build per invocation; the handlers call these through
the module (``adapters.claims_factory(...)``), so tests can replace them."""

from collections.abc import Callable

from claim_check.claims import DynamoClaims, claims_table
from claim_check.payloads import PayloadBucket
from order_store.dynamodb import order_repository
from order_store.ports import OrderRepository

claims_factory: Callable[[str], DynamoClaims] = claims_table
payloads_factory: Callable[[], PayloadBucket] = PayloadBucket
orders_factory: Callable[[str], OrderRepository] = order_repository
