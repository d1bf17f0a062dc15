"""Claim check for bulk order imports: a payload of any size stays in S3, only a claim travels.

Split (``asl/claim_check_split.asl.json``): an intake message (an uploaded object, an SQS
Extended Client pointer, or an inline payload) becomes a stored, measured payload, a claim in
the claims table and a ``ClaimCheckIssued`` event of a few hundred bytes. Resolve
(``asl/claim_check_resolve.asl.json``): the claim is gated, the payload verified against it by
streaming, and imported line by line (each valid line placed as an order through the orders
service and its outbox) by a Distributed Map over line-aligned byte ranges.

Modules: ``models`` (claim, byte range, intake), ``intake`` (the three doors), ``streaming``
(size, SHA-256 and ranges in one pass over chunks), ``payloads`` (S3), ``claims`` (DynamoDB),
``importing`` (one range's lines to orders), ``reports`` (error reports), one thin handler
per task.
"""
