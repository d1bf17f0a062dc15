"""The orders REST API: place an order (idempotently) and read it back."""
