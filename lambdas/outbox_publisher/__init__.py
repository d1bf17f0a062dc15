"""Task code of the outbox publisher workflow (asl/outbox_publisher.asl.json).

Three small functions serve it: claim records and build PutEvents batches, select the entries
PutEvents rejected (with backoff), and settle the claims (PUBLISHED or back to PENDING). Their
inputs and outputs are exactly the state machine's Parameters and ResultSelectors.
"""
