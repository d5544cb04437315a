"""UUIDv7 ids (services/platform/ids.py): one at a time, and streamed for ingestion's rows."""

import itertools
import time
from uuid import UUID

from services.platform.ids import uuid7, uuid7_hexes


def _millis(value: UUID) -> int:
    return value.int >> 80


def test_streamed_ids_are_version_7_with_the_rfc_variant_and_unique() -> None:
    before = time.time_ns() // 1_000_000
    texts = list(itertools.islice(uuid7_hexes(chunk=1000), 10_000))
    after = time.time_ns() // 1_000_000
    ids = [UUID(hex=text) for text in texts]
    assert all(len(text) == 32 for text in texts)
    assert {value.version for value in ids} == {7}
    assert {value.variant for value in ids} == {"specified in RFC 4122"}
    assert len(set(ids)) == len(ids)
    stamps = [_millis(value) for value in ids]
    assert stamps == sorted(stamps)  # each chunk takes the millisecond it starts in
    assert before <= stamps[0] <= stamps[-1] <= after


def test_one_id_carries_the_given_millisecond() -> None:
    value = uuid7(now_ms=1_767_225_600_000)
    assert value.version == 7
    assert _millis(value) == 1_767_225_600_000
    assert uuid7(now_ms=1_767_225_600_000) != value
