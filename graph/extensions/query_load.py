"""Tells background ingestion when this process serves reads of the profiles.

services/ingestion/pacing.py paces ingestion by how much slower these reads get while a job
runs than without one. Only reads of the profiles count: a client that polls its own
job's progress, an interview query or an upload costs the profiles nothing, and counting them
made a followed job take twice as long (a poll five times a second kept ingestion in its slow
mode for the whole file).
"""

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Final

from strawberry.extensions import SchemaExtension

from graph.extensions.document_cache import root_field_count
from services.ingestion.pacing import QueryActivity

# Root fields that read the profiles table.
PROFILE_READS: Final = frozenset({"profiles", "profile", "profileStats"})


class ProfileReadLoad(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        if not root_field_count(execution, PROFILE_READS):
            yield
            return
        slot = getattr(execution.context, "response_slot", None)
        if slot is not None:
            slot.reads_profiles = True
        activity = getattr(execution.context, "query_load", None)
        with profile_reads(activity, arrived=slot.arrived if slot is not None else None):
            yield


@contextmanager
def profile_reads(
    activity: QueryActivity | None, *, arrived: float | None = None
) -> Iterator[None]:
    """Tells ingestion that profiles are being read for the time of the block, and how long
    the request waited before it (from `arrived`, its time.monotonic() once its body was
    read)."""
    if activity is None:
        yield
        return
    ticket = activity.started(_waited_since(arrived))
    try:
        yield
    finally:
        activity.finished(ticket)


def answered_profile_read(activity: QueryActivity | None, *, arrived: float) -> None:
    """Tells ingestion of a profile read answered already (from the response cache): its
    time is the time since `arrived`. Sending the answer is not part of it: a client that
    reads its answer slowly must not make reads look slow."""
    if activity is not None:
        activity.finished(activity.started(_waited_since(arrived)))


def _waited_since(arrived: float | None) -> float:
    return 0.0 if arrived is None else time.monotonic() - arrived
