"""The recruiter assistant's offline answer: extractive and deterministic, no AI model.

"How did the candidate answer the caching question?" -> the turns that best match the
question (BM25 over the turns' words, the question widened by the interview question it is
about), quoted with their times and speakers, in transcript order. The same inputs always
give the same answer, character for character; `rank_turns` is also how the online path can
choose which turns to send the model when there are no embeddings.
"""

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from services.transcripts.exports import text_line
from services.transcripts.turns import TranscriptTurn

# BM25's usual constants: term frequency saturates near k1, b weighs turn length.
_K1: Final = 1.2
_B: Final = 0.75
# Words taken from the interview question a message is about count half as much as its own.
_EXPANSION_WEIGHT: Final = 0.5
# An answer follows its question: a candidate turn right after the AI's or interviewer's
# gets this share of that turn's score, so "how did they answer X" finds the answer too.
_ANSWER_SHARE: Final = 0.5
_ASKERS: Final = frozenset({"ai", "interviewer"})
# Turns scoring under this share of the best one are noise next to it and are not quoted.
_RELEVANT_SHARE: Final = 0.25
_QUOTE_CHARS: Final = 400
_WORD: Final = re.compile(r"[^\W_]+")
_STOPWORD_TEXT: Final = (
    "a about after again all also am an and any are as at be been before being both but by "
    "can could did do does doing for from had has have having he her here hers him his how i "
    "if in into is it its just me more most my no nor not of on once only or other our out "
    "over own same she should so some such than that the their them then there these they "
    "this those through to too under until up very was we were what when where which while "
    "who whom why will with would you your yours "
    # words about the interview rather than its content
    "answer answered answers ask asked candidate candidates explain interview interviewer "
    "question questions respond responded said say tell talk talked think thought"
)
_STOPWORDS: Final = frozenset(_STOPWORD_TEXT.split())
# A message with one of these asks for a judgement, so the assessment summary is quoted too.
_OVERALL_TEXT: Final = (
    "assessment overall summary summarise summarize strength strengths weakness weaknesses "
    "hire recommend recommendation verdict perform performance fit"
)


@dataclass(frozen=True, slots=True)
class AssistantAnswer:
    text: str
    quoted: tuple[TranscriptTurn, ...]  # in transcript order
    model: str = "offline"


def words(text: str) -> list[str]:
    """Content words, case-folded and crudely stemmed: "Caching the caches" -> ["cach", "cach"]."""
    return [_stem(word) for word in _WORD.findall(text.casefold()) if word not in _STOPWORDS]


def rank_turns(
    message: str, turns: Sequence[TranscriptTurn], questions: Sequence[str] = (), *, limit: int
) -> list[TranscriptTurn]:
    """Up to `limit` turns that match `message`, best first; ties go to the earlier turn."""
    query = dict.fromkeys(words(message), 1.0)
    topic = related_question(message, questions)
    if topic is not None:
        for word in words(topic):
            query[word] = max(query.get(word, 0.0), _EXPANSION_WEIGHT)
    scores = _bm25(query, [Counter(words(turn.text)) for turn in turns])
    boosted = list(scores)
    for index in range(1, len(turns)):
        if turns[index].speaker == "candidate" and turns[index - 1].speaker in _ASKERS:
            boosted[index] += _ANSWER_SHARE * scores[index - 1]
    order = sorted(range(len(turns)), key=lambda i: (-boosted[i], turns[i].sequence_no))
    floor = _RELEVANT_SHARE * boosted[order[0]] if order else 0.0
    return [turns[i] for i in order[:limit] if boosted[i] > 0 and boosted[i] >= floor]


def related_question(message: str, questions: Sequence[str]) -> str | None:
    """The interview question sharing most words with `message` (first on ties), if any."""
    asked = set(words(message))
    best, best_shared = None, 0
    for question in questions:
        shared = len(asked & set(words(question)))
        if shared > best_shared:
            best, best_shared = question, shared
    return best


def answer_offline(
    message: str,
    turns: Sequence[TranscriptTurn],
    questions: Sequence[str] = (),
    assessment_summary: str | None = None,
    *,
    max_quotes: int = 3,
) -> AssistantAnswer:
    """A deterministic answer quoting the `max_quotes` most relevant turns."""
    ranked = rank_turns(message, turns, questions, limit=max_quotes)
    quoted = tuple(sorted(ranked, key=lambda turn: turn.sequence_no))
    lines = ["Offline answer (no AI model): the most relevant parts of the transcript."]
    topic = related_question(message, questions)
    if topic is not None:
        lines.append(f'Interview question: "{topic}"')
    if quoted:
        lines.extend(_quote(turn) for turn in quoted)
    elif turns:
        lines.append("Nothing in the transcript matches that question.")
    else:
        lines.append("The transcript has no turns yet.")
    summary = (assessment_summary or "").strip()
    if summary and (not quoted or _asks_about_assessment(message, summary)):
        lines.append(f"Assessment summary: {summary}")
    return AssistantAnswer(text="\n".join(lines), quoted=quoted)


def _bm25(query: dict[str, float], documents: list[Counter[str]]) -> list[float]:
    if not documents:
        return []
    lengths = [sum(document.values()) for document in documents]
    average = sum(lengths) / len(documents) or 1.0
    idf = {}
    for word in query:
        having = sum(1 for document in documents if word in document)
        idf[word] = math.log(1 + (len(documents) - having + 0.5) / (having + 0.5))
    scores = []
    for document, length in zip(documents, lengths, strict=True):
        score = 0.0
        for word, weight in query.items():
            frequency = document[word]
            if frequency:
                saturation = frequency + _K1 * (1 - _B + _B * length / average)
                score += weight * idf[word] * frequency * (_K1 + 1) / saturation
        scores.append(score)
    return scores


def _quote(turn: TranscriptTurn) -> str:
    line = text_line(turn)
    if len(line) <= _QUOTE_CHARS:
        return line
    cut = line[:_QUOTE_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


def _asks_about_assessment(message: str, summary: str) -> bool:
    asked = set(words(message))
    return bool(asked & _OVERALL_STEMS or asked & set(words(summary)))


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


_OVERALL_STEMS: Final = frozenset(_stem(word) for word in _OVERALL_TEXT.split())
