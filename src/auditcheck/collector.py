"""The cyclic garbage collector while records are checked.

A run allocates many short-lived objects per record (facts, their JSON, findings),
almost none of them in reference cycles, while what lives for the whole run (modules,
the rulebook, the engine's tables) is large. With CPython's default thresholds the
collector runs every 700 allocations and, every so often, walks everything that lives
— about a fifth of a run's CPU time once records are checked in blocks
(``check.BLOCK``). Freezing what exists when checking starts takes it out of every
collection, and a higher first threshold lets a block's facts die before they are
looked at; cycles are still collected, so memory stays flat.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (20_000, 20, 100)  # allocations before a young collection; then per generation


def tune() -> tuple[int, int, int]:
    """Freeze what exists and raise the thresholds; returns the thresholds before."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    return before


@contextmanager
def tuned_for_checking() -> Iterator[None]:
    """:func:`tune` while the block runs (a run's checking, which the parent of ``--jobs``
    only plans and merges); undone when it ends."""
    before = tune()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
