"""Which turns of a long interview the assistant sends the model: the ones nearest the question.

With an embedding provider (Gemini) the turns and the question are embedded and the turns are
ranked by cosine similarity to the question. Turn vectors are cached per (interview, turn,
embedding model) with a hash of the embedded text, so each turn is embedded once and a turn
whose text changed is embedded again; only the question is embedded per question. If
embedding fails after the retry policy (task `embed transcript`) the turns are ranked by BM25
(`assistant.rank_turns`) and a warning is logged: the answer still comes. A transcript short
enough to send whole is sent whole, with no embedding call.
"""

import hashlib
import logging
import math
from collections.abc import Sequence
from uuid import UUID

import asyncpg

from db import embeddings as embeddings_db
from services.ai.prompts import MAX_CHAT_TURNS
from services.ai.provider import TextEmbedder
from services.errors import ErrorCode, ServiceError
from services.transcripts.assistant import rank_turns
from services.transcripts.turns import TranscriptTurn

logger = logging.getLogger(__name__)


def text_hash(turn: TranscriptTurn) -> bytes:
    return hashlib.sha256(turn.text.encode()).digest()


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


async def pick_turns(
    pool: asyncpg.Pool,
    embedder: TextEmbedder | None,
    interview_id: UUID,
    message: str,
    turns: Sequence[TranscriptTurn],
    questions: Sequence[str] = (),
    *,
    limit: int = MAX_CHAT_TURNS,
) -> list[TranscriptTurn]:
    """Up to `limit` turns for the model, in transcript order."""
    if len(turns) <= limit:
        return list(turns)
    chosen: list[TranscriptTurn] | None = None
    if embedder is not None:
        try:
            chosen = await _nearest(pool, embedder, interview_id, message, turns, limit)
        except ServiceError as error:
            if error.code is not ErrorCode.UPSTREAM_UNAVAILABLE:  # given up after the retries
                raise
            logger.warning(
                "embedding failed, choosing turns by BM25",
                extra={"interview_id": str(interview_id), "error": str(error)},
            )
    if chosen is None:
        chosen = rank_turns(message, turns, questions, limit=limit)
    return sorted(chosen, key=lambda turn: turn.sequence_no)


async def _nearest(
    pool: asyncpg.Pool,
    embedder: TextEmbedder,
    interview_id: UUID,
    message: str,
    turns: Sequence[TranscriptTurn],
    limit: int,
) -> list[TranscriptTurn]:
    model = embedder.embedding_model
    async with pool.acquire() as conn:
        rows = await embeddings_db.select_embeddings(conn, interview_id, model)
    cached = {row["sequence_no"]: (bytes(row["text_hash"]), list(row["vector"])) for row in rows}
    vectors: dict[int, list[float]] = {}
    missing: list[TranscriptTurn] = []
    for turn in turns:
        hit = cached.get(turn.sequence_no)
        if hit is not None and hit[0] == text_hash(turn):
            vectors[turn.sequence_no] = hit[1]
        else:
            missing.append(turn)
    # One round of requests: the new turns and the question together. No connection is held
    # while the model embeds.
    embedded = await embedder.embed([turn.text for turn in missing] + [message])
    question = embedded[-1]
    fresh = list(zip(missing, embedded[:-1], strict=True))
    # Cached vectors of another size (the model changed its output size under the same name)
    # cannot be compared with the question's: those turns are embedded again.
    stale = [
        turn for turn in turns if len(vectors.get(turn.sequence_no, question)) != len(question)
    ]
    if stale:
        fresh += zip(stale, await embedder.embed([turn.text for turn in stale]), strict=True)
    if any(len(vector) != len(question) for _, vector in fresh):
        raise ServiceError(
            ErrorCode.UPSTREAM_UNAVAILABLE,
            "the embedding model answered vectors of different sizes",
        )
    new_rows = [(turn.sequence_no, text_hash(turn), vector) for turn, vector in fresh]
    if new_rows:
        async with pool.acquire() as conn:
            await embeddings_db.upsert_embeddings(conn, interview_id, model, new_rows)
        vectors.update((row[0], row[2]) for row in new_rows)
    scores = {turn.sequence_no: cosine(vectors[turn.sequence_no], question) for turn in turns}
    order = sorted(turns, key=lambda turn: (-scores[turn.sequence_no], turn.sequence_no))
    return order[:limit]
