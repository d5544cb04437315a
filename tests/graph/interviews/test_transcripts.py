"""Reading and exporting transcripts through the API: both data paths, tenancy, statements."""

import asyncio
import csv
import io
import json
from typing import Any
from uuid import UUID

import asyncpg

from graph.interviews.dataloaders import InterviewLoaders
from services.auth.tokens import Role
from services.transcripts.turns import TranscriptSource
from tests.conftest import StatementLog, make_token
from tests.graph.interviews.conftest import Api, error_code, recruiter
from tests.graph.interviews.documents import AGENT_COMPLETE, APPEND_TURN, COMPLETE, START_SESSION
from tests.graph.interviews.test_offline_flow import create_interview

TURN_FIELDS = "id sequenceNo speaker speakerLabel text timestamp timestampSec"
TRANSCRIPT = f"""
query($id: ID!) {{
  transcript(interviewId: $id) {{ interviewId source turns {{ {TURN_FIELDS} }} }}
}}
"""
EXPORT = """
query($id: ID!, $format: ExportFormat!) { transcriptExport(interviewId: $id, format: $format) }
"""
EXPORT_DEFAULT = "query($id: ID!) { transcriptExport(interviewId: $id) }"
INTERVIEW_TRANSCRIPT = f"""
query($id: ID!) {{
  interview(id: $id) {{ id transcript {{ interviewId source turns {{ {TURN_FIELDS} }} }} }}
}}
"""
MISSING = "0190a3b4-0000-7000-8000-000000000000"


def sent(log: StatementLog) -> int:
    """Statements the code sent, without asyncpg's one-off type introspection on a fresh
    connection (which of the pool's connections serves a request is not ours to pin)."""
    return sum(not s.lstrip().startswith("WITH RECURSIVE typeinfo_tree") for s in log.statements)


async def append_turns(api: Api, token: str, interview_id: str, turns: list[dict[str, Any]]) -> str:
    started = await api.data(START_SESSION, {"id": interview_id}, token=token)
    agent: str = started["startInterviewSession"]["agentApiToken"]
    for turn in turns:
        await api.data(APPEND_TURN, {"id": interview_id, "turn": turn}, token=agent)
    return agent


TURNS: list[dict[str, Any]] = [
    {"speaker": "ai", "text": "How would you cache this?", "timestampSec": 10, "sequenceNo": 1},
    {"speaker": "candidate", "text": "=SUM(A1) with Redis", "timestampSec": 70, "sequenceNo": 2},
    {"speaker": "interviewer", "text": "Thanks.", "timestampSec": 3725, "sequenceNo": 3},
]


async def test_stored_turns_are_the_transcript_everywhere(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    empty = await offline_api.data(TRANSCRIPT, {"id": interview_id}, token=token)
    assert empty["transcript"] == {"interviewId": interview_id, "source": "NONE", "turns": []}

    await append_turns(offline_api, token, interview_id, TURNS)
    data = await offline_api.data(TRANSCRIPT, {"id": interview_id}, token=token)
    transcript = data["transcript"]
    assert transcript["source"] == "TURNS"
    assert [t["sequenceNo"] for t in transcript["turns"]] == [1, 2, 3]
    assert [t["timestamp"] for t in transcript["turns"]] == ["00:00:00", "00:01:00", "01:01:55"]
    assert [t["speakerLabel"] for t in transcript["turns"]] == [
        "Meet Mind",
        "Candidate",
        "Interviewer",
    ]
    nested = await offline_api.data(INTERVIEW_TRANSCRIPT, {"id": interview_id}, token=token)
    assert nested["interview"]["transcript"] == transcript

    text = await offline_api.data(EXPORT_DEFAULT, {"id": interview_id}, token=token)
    assert text["transcriptExport"] == (
        "[00:00:00] Meet Mind: How would you cache this?\n"
        "[00:01:00] Candidate: =SUM(A1) with Redis\n"
        "[01:01:55] Interviewer: Thanks."
    )
    as_json = await offline_api.data(EXPORT, {"id": interview_id, "format": "JSON"}, token=token)
    assert json.loads(as_json["transcriptExport"]) == transcript
    as_csv = await offline_api.data(EXPORT, {"id": interview_id, "format": "CSV"}, token=token)
    rows = list(csv.reader(io.StringIO(as_csv["transcriptExport"])))
    assert rows[0] == [
        "sequenceNo", "timestamp", "timestampSec", "speaker", "speakerLabel", "text", "id"
    ]  # fmt: skip
    assert rows[2][5] == "'=SUM(A1) with Redis"  # formula injection escaped
    assert [row[6] for row in rows[1:]] == [t["id"] for t in transcript["turns"]]


async def test_session_json_fills_in_and_rebuilt_ids_never_change(
    offline_api: Api, org: str
) -> None:
    token = recruiter(org)
    only_json = await create_interview(offline_api, token, resume=None)
    session_turns = [
        {"speaker": "ai", "text": "Why Python?", "timestamp_sec": 0},
        {"speaker": "candidate", "text": "The ecosystem.", "timestamp_sec": 4},
        {"speaker": "AI", "text": "And later?", "timestamp_sec": 360005},
    ]
    await offline_api.data(COMPLETE, {"id": only_json, "json": session_turns}, token=token)
    first = (await offline_api.data(TRANSCRIPT, {"id": only_json}, token=token))["transcript"]
    again = (await offline_api.data(TRANSCRIPT, {"id": only_json}, token=token))["transcript"]
    assert first == again  # uuid5 ids: the same turn, the same id, on every read
    assert first["source"] == "SESSION_JSON"
    assert [t["timestamp"] for t in first["turns"]] == ["00:00:00", "00:00:04", "100:00:05"]
    assert [t["speaker"] for t in first["turns"]] == ["ai", "candidate", "ai"]

    # mixed: two turns stored, then completion brings a longer JSON
    mixed = await create_interview(offline_api, token, resume=None)
    agent = await append_turns(offline_api, token, mixed, TURNS[:2])
    stored = (await offline_api.data(TRANSCRIPT, {"id": mixed}, token=token))["transcript"]
    longer = [
        {"speaker": "ai", "text": "How would you cache this?", "timestamp_sec": 10},
        {"speaker": "candidate", "text": "=SUM(A1) with Redis", "timestamp_sec": 70},
        {"speaker": "ai", "text": "What about invalidation?", "timestamp_sec": 95},
    ]
    await offline_api.data(AGENT_COMPLETE, {"id": mixed, "json": longer}, token=agent)
    merged = (await offline_api.data(TRANSCRIPT, {"id": mixed}, token=token))["transcript"]
    assert merged["source"] == "TURNS"
    assert merged["turns"][:2] == stored["turns"]  # stored turns keep their real ids
    assert [t["text"] for t in merged["turns"]] == [
        "How would you cache this?",
        "=SUM(A1) with Redis",
        "What about invalidation?",
    ]
    assert merged["turns"][2]["timestamp"] == "00:01:25"


HIDDEN_FORMULAS = [" =1+1", "\u00a0+1", "\u200b@SUM(A1)", "\ufeff-2", "\u3000＝1", "＠A1"]


async def test_session_json_turns_that_hide_a_formula_are_escaped_in_the_csv(
    offline_api: Api, org: str
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    turns = [
        {"speaker": "candidate", "text": text, "timestamp_sec": n}
        for n, text in enumerate([*HIDDEN_FORMULAS, "a = b"])
    ]
    await offline_api.data(COMPLETE, {"id": interview_id, "json": turns}, token=token)
    exported = await offline_api.data(EXPORT, {"id": interview_id, "format": "CSV"}, token=token)
    rows = list(csv.reader(io.StringIO(exported["transcriptExport"], newline="")))
    assert [row[5] for row in rows[1:]] == [*("'" + text for text in HIDDEN_FORMULAS), "a = b"]


async def test_another_organisations_transcript_is_not_found(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    await append_turns(offline_api, token, interview_id, TURNS[:1])
    outsider = recruiter(f"{org}-other")
    for document in (TRANSCRIPT, EXPORT_DEFAULT):
        foreign = await offline_api.gql(document, {"id": interview_id}, token=outsider)
        missing = await offline_api.gql(document, {"id": MISSING}, token=token)
        assert error_code(foreign) == error_code(missing) == "NOT_FOUND"
        assert foreign["data"] is None
        analyst = await offline_api.gql(
            document, {"id": interview_id}, token=make_token(Role.ANALYST)
        )
        assert error_code(analyst) == "FORBIDDEN"
        assert error_code(await offline_api.gql(document, {"id": "nope"}, token=token)) == (
            "BAD_USER_INPUT"
        )
    bad_format = await offline_api.gql(EXPORT, {"id": interview_id, "format": "PDF"}, token=token)
    assert error_code(bad_format) == "BAD_USER_INPUT"
    # a platform admin sees every organisation's transcript
    admin = await offline_api.data(TRANSCRIPT, {"id": interview_id})
    assert admin["transcript"]["turns"][0]["text"] == TURNS[0]["text"]


async def test_interview_transcripts_are_batched(
    offline_api: Api, pool: asyncpg.Pool, org: str, sql_log: StatementLog
) -> None:
    token = recruiter(org)
    ids = [await create_interview(offline_api, token, resume=None) for _ in range(3)]
    await append_turns(offline_api, token, ids[0], TURNS)
    await offline_api.data(
        COMPLETE, {"id": ids[1], "json": [{"speaker": "ai", "text": "Hi", "timestamp_sec": 0}]},
        token=token,
    )  # fmt: skip
    with sql_log.counting():
        data = await offline_api.data(INTERVIEW_TRANSCRIPT, {"id": ids[0]}, token=token)
    assert len(data["interview"]["transcript"]["turns"]) == 3
    assert sent(sql_log) == 3  # the interview, then its turns and its session JSON

    # Every Interview.transcript a document asks for in one tick is one batch: two statements
    # however many interviews (the per-request loader that resolves the field).
    loaders = InterviewLoaders.build(pool)
    with sql_log.counting():
        transcripts = await asyncio.gather(
            *(loaders.transcript_by_interview.load(UUID(i)) for i in ids)
        )
    assert [t.source for t in transcripts] == [
        TranscriptSource.TURNS,
        TranscriptSource.SESSION_JSON,
        TranscriptSource.NONE,
    ]
    assert [str(t.interview_id) for t in transcripts] == ids
    assert sent(sql_log) == 2
