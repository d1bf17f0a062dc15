"""How often the interpreter's cyclic garbage collector runs in a process that hosts the runtime.

An app's moto backends, engine states and sandboxes are large, long-lived object graphs, and an
order allocates thousands of short-lived objects on top of them. With CPython's default thresholds
the collector walks the young objects every 2,000 allocations and the whole heap every so often:
measured with ``perf`` on ``make bench``'s ten-order burst, the collector was 17 to 23 % of the
process's CPU. Collecting young objects every 100,000 allocations instead cuts that to a few per
cent and about a tenth of the test suite's time, for a few hundred MiB at most (nothing is kept
that is garbage: it is collected later). Every process the project starts for the runtime (the
suite's workers, ``make demo``, ``make serve``, both sides of ``make bench``) runs with it; an
embedding process may call it too.
"""

from __future__ import annotations

import gc

THRESHOLDS = (100_000, 50, 100)


def collect_less_often() -> None:
    """Set the collector's thresholds for a runtime process (idempotent)."""
    gc.set_threshold(*THRESHOLDS)
