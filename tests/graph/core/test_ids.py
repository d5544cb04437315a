"""Ids in GraphQL arguments: one parser, in graph/core/ids.py, used by every resolver."""

import re
import uuid
from pathlib import Path

import pytest

from graph.core.ids import parse_id
from services.errors import ErrorCode, ServiceError

GRAPH = Path(__file__).resolve().parents[3] / "graph"


def test_a_uuid_is_parsed() -> None:
    value = uuid.uuid4()
    assert parse_id(str(value), field="id", kind="profile") == value


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("interview", "'nope' is not an interview id (a UUID)"),
        ("ingestion job", "'nope' is not an ingestion job id (a UUID)"),
        ("candidate", "'nope' is not a candidate id (a UUID)"),
    ],
)
def test_anything_else_is_bad_input_naming_the_field_and_the_kind(kind: str, message: str) -> None:
    with pytest.raises(ServiceError) as refused:
        parse_id("nope", field="interviewId", kind=kind)
    assert refused.value.code is ErrorCode.BAD_USER_INPUT
    assert refused.value.field == "interviewId"
    assert str(refused.value) == message


def test_no_resolver_parses_a_uuid_of_its_own() -> None:
    own = [
        f"{path.relative_to(GRAPH.parent)}:{number}: {line.strip()}"
        for path in sorted(GRAPH.rglob("*.py"))
        if path != GRAPH / "core" / "ids.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\bUUID\(|\bparse_job_id\b", line)
        or (re.search(r"\bimport\b.*\bparse_id\b", line) and "graph.core.ids" not in line)
    ]
    assert own == []
