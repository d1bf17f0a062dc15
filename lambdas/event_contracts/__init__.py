"""The platform's event contracts: which version of each event it publishes, which it reads.

Shipped with every function (the producers stamp the version, the consumers check it). The
events' models live beside the code that builds them (`order_store.events`,
`claim_check.models`); their JSON Schemas are generated into `schemas/events/` by
`python -m operations.event_schemas` and registered by the stack.
"""
