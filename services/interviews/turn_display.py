"""How a stored turn reads in the API: speaker label and HH:MM:SS since the first turn.

Minimal versions for `appendTranscriptTurn`'s answer. The transcripts work owns the shared
label and timestamp functions (services/transcripts/); these should delegate to them there.
"""

from typing import Final

SPEAKER_LABELS: Final = {"ai": "Meet Mind", "candidate": "Candidate", "interviewer": "Interviewer"}


def speaker_label(speaker: str) -> str:
    return SPEAKER_LABELS.get(speaker, "Unknown")


def elapsed_text(seconds: int) -> str:
    """3725 -> "01:02:05"; hours keep counting past 99 ("100:00:00")."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"
