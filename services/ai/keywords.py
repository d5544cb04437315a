"""Key terms in free text, for the offline provider: known skills first, then frequent words.

Deterministic: the same text always gives the same terms in the same order.
"""

import re
from collections import Counter
from typing import Final

SKILLS: Final = (
    "Python", "Java", "JavaScript", "TypeScript", "Go", "Rust", "C++", "C#", "Ruby", "PHP",
    "Kotlin", "Swift", "Scala", "SQL", "PostgreSQL", "MySQL", "SQLite", "MongoDB", "Redis",
    "Elasticsearch", "Kafka", "RabbitMQ", "Spark", "Airflow", "dbt", "Snowflake", "BigQuery",
    "Kubernetes", "Docker", "Terraform", "Ansible", "AWS", "GCP", "Azure", "Linux", "Git",
    "CI/CD", "GraphQL", "REST", "gRPC", "React", "Vue", "Angular", "Next.js", "Node.js",
    "Django", "Flask", "FastAPI", "Spring", "Rails", ".NET", "HTML", "CSS", "Tailwind",
    "machine learning", "deep learning", "NLP", "PyTorch", "TensorFlow", "pandas", "NumPy",
    "data analysis", "data engineering", "statistics", "Excel", "Tableau", "Power BI",
    "microservices", "distributed systems", "caching", "security", "testing", "observability",
    "system design", "API design", "agile", "Scrum", "product management", "project management",
    "leadership", "mentoring", "communication", "stakeholder management", "recruiting", "sales",
    "marketing", "customer success", "accounting", "finance", "design", "Figma", "UX research",
)  # fmt: skip

STOP_WORDS: Final = frozenset(
    (
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
        "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
        "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few",
        "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
        "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me",
        "more", "most", "my", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or",
        "other", "our", "ours", "out", "over", "own", "same", "she", "should", "so", "some", "such",
        "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "this",
        "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were",
        "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would",
        "you", "your", "yours", "able", "across", "within", "without", "using", "use", "used",
        "work", "working", "works", "team", "teams", "role", "roles", "strong", "experience",
        "experienced", "years", "year", "including", "include", "includes", "well", "good", "great",
        "help", "helps", "ensure", "build", "building", "new", "like", "looking", "join", "must",
        "need", "needs", "want", "company", "candidate", "candidates", "responsibilities",
        "requirements", "required", "preferred", "plus", "skills", "skill", "knowledge", "ability",
        "etc",
    )
)  # fmt: skip

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#./-]*[A-Za-z0-9+#]|[A-Za-z]")


def _skill_pattern(skill: str) -> re.Pattern[str]:
    # Word edges that also work for "C++", "C#", ".NET" and "CI/CD".
    return re.compile(r"(?<![\w+#.])" + re.escape(skill) + r"(?![\w+#])", re.IGNORECASE)


_SKILL_PATTERNS: Final = [(skill, _skill_pattern(skill)) for skill in SKILLS]


def skills_in(text: str) -> list[str]:
    """Known skills named in `text`, in order of first mention."""
    found = []
    for skill, pattern in _SKILL_PATTERNS:
        match = pattern.search(text)
        if match is not None:
            found.append((match.start(), skill))
    return [skill for _, skill in sorted(found)]


def words_in(text: str) -> list[str]:
    """Lower-case content words (four letters or more, not stop words), in order."""
    return [
        word
        for word in (match.group(0).lower().strip("./-") for match in _WORD.finditer(text))
        if len(word) >= 4 and word not in STOP_WORDS
    ]


def key_terms(text: str, *, limit: int) -> list[str]:
    """Skills named in the text, then its most frequent content words (ties: first seen)."""
    terms = skills_in(text)
    taken = {term.lower() for term in terms}
    words = words_in(text)
    counts = Counter(words)
    first_seen = {word: index for index, word in reversed(list(enumerate(words)))}
    for word in sorted(counts, key=lambda w: (-counts[w], first_seen[w])):
        if word not in taken:
            terms.append(word)
            taken.add(word)
    return terms[:limit]
