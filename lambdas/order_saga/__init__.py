"""The order saga's tasks: reserve stock, request payment, book shipment, confirm; and the
compensations that undo each of them, cancel the order or park it for an operator.

Each task is a plain function over ports (``ports.py``) with a handler in the one shape of
``task_io.shell`` (``*_handler.py``; the three compensations share ``compensation_handlers.py``).
Every step is idempotent, because Step Functions retries tasks and Pipes
may start a second execution for the same message.
"""
