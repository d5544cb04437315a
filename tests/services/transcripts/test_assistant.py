from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from services.transcripts.assistant import answer_offline, rank_turns, related_question, words
from services.transcripts.fallback import build_transcript
from services.transcripts.turns import TranscriptTurn

INTERVIEW = UUID("0190f5a2-7c3e-7d4a-9b1c-2d3e4f5a6b7c")
QUESTIONS = (
    "How would you design a caching layer for a read-heavy API?",
    "Tell us about a production outage you handled.",
    "How would you scale the database as tenants grow?",
)
SESSION = [
    ("ai", "Welcome! Let's start. How would you design a caching layer for a read-heavy API?", 0),
    ("candidate", "I'd use Redis with cache-aside, short TTLs and invalidation on writes.", 15),
    ("ai", "Thanks. Tell us about a production outage you handled.", 90),
    ("candidate", "A bad deploy took checkout down; we rolled back in ten minutes.", 110),
    ("ai", "How would you scale the database as tenants grow?", 3_700),
    ("candidate", "Read replicas first, then shard by tenant id.", 3_725),
]


def _turns(session: list[tuple[str, str, int]] = SESSION) -> tuple[TranscriptTurn, ...]:
    value = [{"speaker": s, "text": t, "timestamp_sec": at} for s, t, at in session]
    return build_transcript(INTERVIEW, [], value).turns


def test_words_are_content_words_case_folded_and_stemmed() -> None:
    assert words("How did the candidate answer the Caching question?") == ["cach"]
    assert words("cache, caches, cached") == ["cach", "cach", "cach"]


def test_related_question_is_the_one_sharing_most_words() -> None:
    assert related_question("how did they do on caching?", QUESTIONS) == QUESTIONS[0]
    assert related_question("anything about the weather?", QUESTIONS) is None


def test_caching_question_quotes_the_question_and_the_answer() -> None:
    answer = answer_offline(
        "How did the candidate answer the caching question?", _turns(), QUESTIONS
    )
    assert answer.model == "offline"
    assert answer.text == "\n".join(
        [
            "Offline answer (no AI model): the most relevant parts of the transcript.",
            f'Interview question: "{QUESTIONS[0]}"',
            "[00:00:00] Meet Mind: Welcome! Let's start. How would you design a caching layer"
            " for a read-heavy API?",
            "[00:00:15] Candidate: I'd use Redis with cache-aside, short TTLs and invalidation"
            " on writes.",
        ]
    )
    assert [turn.sequence_no for turn in answer.quoted] == [1, 2]


def test_an_answer_that_shares_no_words_with_the_message_is_still_found() -> None:
    # "Read replicas first, then shard by tenant id." never says "database" or "scaling".
    answer = answer_offline("What did they say about scaling the database?", _turns())
    assert [turn.sequence_no for turn in answer.quoted] == [5, 6]


def test_ties_go_to_the_earlier_turn() -> None:
    turns = _turns([("candidate", "Kafka", 0), ("ai", "filler", 5), ("candidate", "Kafka", 9)])
    assert [turn.sequence_no for turn in rank_turns("kafka", turns, limit=1)] == [1]
    assert [turn.sequence_no for turn in rank_turns("kafka", turns, limit=5)] == [1, 3]


def test_at_most_max_quotes_in_transcript_order() -> None:
    answer = answer_offline("redis outage database tenants", _turns(), max_quotes=2)
    assert len(answer.quoted) == 2
    assert [t.sequence_no for t in answer.quoted] == sorted(t.sequence_no for t in answer.quoted)


def test_nothing_relevant_says_so_and_offers_the_assessment() -> None:
    answer = answer_offline("What is their favourite colour?", _turns(), QUESTIONS, "Strong hire.")
    assert answer.quoted == ()
    assert answer.text.splitlines()[1:] == [
        "Nothing in the transcript matches that question.",
        "Assessment summary: Strong hire.",
    ]


def test_an_empty_transcript_says_it_has_no_turns() -> None:
    answer = answer_offline("caching?", (), QUESTIONS, assessment_summary="  ")
    assert answer.quoted == ()
    assert answer.text.splitlines()[-1] == "The transcript has no turns yet."


def test_a_judgement_question_quotes_the_assessment_with_the_turns() -> None:
    summary = "Solid on caching and databases; recommend a second round."
    answer = answer_offline("Overall, how was the caching answer?", _turns(), QUESTIONS, summary)
    assert answer.quoted
    assert answer.text.splitlines()[-1] == f"Assessment summary: {summary}"
    plain = answer_offline("Which cache did they pick?", _turns(), QUESTIONS, "Weak on culture.")
    assert "Assessment summary" not in plain.text


def test_long_turns_are_cut_at_a_word() -> None:
    long_text = "caching " + "and more words " * 60
    answer = answer_offline("caching", _turns([("candidate", long_text, 0)]))
    quote = answer.text.splitlines()[-1]
    assert quote.endswith(" …")
    assert len(quote) <= 402
    assert quote.startswith("[00:00:00] Candidate: caching and more words")


_said = st.lists(
    st.tuples(
        st.sampled_from(["ai", "candidate", "interviewer"]), st.text(min_size=1).filter(str.strip)
    ),
    max_size=10,
)


@given(message=st.text(max_size=60), said=_said, limit=st.integers(min_value=1, max_value=5))
def test_answers_are_deterministic_and_quote_only_real_turns(
    message: str, said: list[tuple[str, str]], limit: int
) -> None:
    turns = _turns([(speaker, text, index) for index, (speaker, text) in enumerate(said)])
    answer = answer_offline(message, turns, QUESTIONS, max_quotes=limit)
    assert answer == answer_offline(message, turns, QUESTIONS, max_quotes=limit)
    assert len(answer.quoted) <= limit
    assert set(answer.quoted) <= set(turns)
    assert list(answer.quoted) == sorted(answer.quoted, key=lambda turn: turn.sequence_no)
