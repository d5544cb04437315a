"""The garbage collector of a serving process, set once it has started.

CPython runs a young-generation collection every 700 net allocations (3.11's default). An
uncached profiles page allocates thousands of objects (rows, tuples, dicts for the answer), so
under load the collector ran several times per request, each time walking every young object
of every request in flight: at 32 connections a tenth and more of the process's CPU. Most of
these objects die with their request by reference counting and need no collector at all.
Collecting every 50,000 allocations instead gave 20-25% more uncached pages per second in
interleaved runs (docs/performance.md, "The lean path"); memory stays flat (the bench's memory
run). `gc.freeze()` first moves everything built at start-up (the schema, the modules) out of
the collector's sight for good, so the rarer full collections walk only what requests made.
"""

import gc
from typing import Final

YOUNG_COLLECTION_ALLOCATIONS: Final = 50_000
MIDDLE_COLLECTION_EVERY: Final = 50
OLD_COLLECTION_EVERY: Final = 100


def tune_for_serving() -> None:
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_ALLOCATIONS, MIDDLE_COLLECTION_EVERY, OLD_COLLECTION_EVERY)
