"""The payment provider's side of the platform, shared by the saga and the payment webhook.

- ``models``: the ledger entry of an authorization, and the request sent to the provider;
- ``ledger``: the ledger port and its DynamoDB adapter (the payments table);
- ``gateway``: the port through which an authorization is requested, and its HTTPS adapter
  (the provider's endpoint comes from CDK context; the simulated provider of the demo and the
  tests answers that endpoint locally, it is not deployed);
- ``answers``: delivering a recorded answer to the task waiting for it.
"""
