"""The order table: models, keys, ports and the DynamoDB adapter shared by every order workflow.

Orders and their outbox records live in one table so that an order change and the event that
announces it are written in one transaction; this package is the only code that knows the
table's layout.
"""
