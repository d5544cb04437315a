"""CSV export of any filtered profile set: short-lived signed links and a constant-memory stream.

A link's token is a JWT for another audience than bearer tokens, so neither can stand in for
the other. It carries who asked (subject, role) and the canonical filter, so the download
needs no state on the server and cannot be edited into another filter.
"""

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

import asyncpg
import jwt

from db import profiles as profiles_db
from services.auth.tokens import ALGORITHM, ISSUER, Principal, Role, subject_user_id
from services.errors import ErrorCode, ServiceError
from services.platform.csv_formulas import FORMULA_PATTERN
from services.platform.metrics import EXPORT_BYTES, EXPORTS_ACTIVE
from services.platform.settings import Secret
from services.profiles.enums import AgeGroup, Gender
from services.profiles.filters import CanonicalFilter, FilterSpec, normalize
from services.profiles.search import filter_values

AUDIENCE: Final = "insighta-export"
EXPORT_LINK_TTL: Final = timedelta(minutes=10)
# Bytes handed to the HTTP layer at once, and how many such chunks may wait: the most an
# export holds in memory is about CHUNK_BYTES * (QUEUED_CHUNKS + 1), whatever the row count.
CHUNK_BYTES: Final = 64 * 1024
QUEUED_CHUNKS: Final = 4


@dataclass(slots=True)
class ExportSlots:
    """How many exports may stream at once, one per user. Each holds a pooled connection for
    as long as its client reads, so without a cap a few slow downloads could starve every
    query; without the per-user cap one user's slow downloads could hold every slot (up to
    the export's 1 h statement timeout) and lock everyone else out."""

    limit: int | None = None  # None: a third of the pool, at least one
    holders: set[str] = field(default_factory=set)  # the subjects streaming now

    @property
    def active(self) -> int:
        return len(self.holders)

    def acquire(self, holder: str, *, pool_size: int) -> None:
        """Take a slot for `holder` (a token subject), or RATE_LIMITED."""
        if holder in self.holders:
            raise ServiceError(
                ErrorCode.RATE_LIMITED,
                "you already have an export running: wait for it to finish",
            )
        limit = self.limit if self.limit is not None else max(1, pool_size // 3)
        if self.active >= limit:
            raise ServiceError(
                ErrorCode.RATE_LIMITED, "too many exports are running: try again shortly"
            )
        self.holders.add(holder)

    def release(self, holder: str) -> None:
        self.holders.discard(holder)


@dataclass(frozen=True, slots=True)
class ExportLink:
    token: str
    expires_at: datetime
    filter: CanonicalFilter


@dataclass(frozen=True, slots=True)
class ExportGrant:
    """What a valid export token allows: this filter, for this subject and role."""

    subject: str
    role: Role
    filter: CanonicalFilter

    @property
    def user_id(self) -> UUID | None:
        """The account the link was asked for; None for operator tokens."""
        return subject_user_id(self.subject)


def issue_export_token(
    key: Secret,
    principal: Principal,
    canonical: CanonicalFilter,
    *,
    now: datetime | None = None,
    ttl: timedelta = EXPORT_LINK_TTL,
) -> ExportLink:
    issued = now or datetime.now(UTC)
    # Never outlive the bearer token that asked for the link.
    expires = min(issued + ttl, principal.expires_at)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": principal.subject,
        "role": principal.role.value,
        "iat": issued,
        "exp": expires,
        "filter": _filter_claim(canonical),
    }
    token = jwt.encode(claims, key.reveal(), algorithm=ALGORITHM)
    return ExportLink(token=token, expires_at=expires, filter=canonical)


def verify_export_token(key: Secret, token: str) -> ExportGrant:
    """The grant a download token proves, or UNAUTHENTICATED (expired, forged, a bearer token)."""
    try:
        claims = jwt.decode(
            token,
            key.reveal(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            audience=AUDIENCE,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            leeway=0,
        )
        role = Role(claims["role"])
        canonical = _filter_from_claim(claims["filter"])
    except jwt.ExpiredSignatureError:
        raise ServiceError(
            ErrorCode.UNAUTHENTICATED, "this export link has expired: ask for a new one"
        ) from None
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError, ServiceError):
        raise ServiceError(ErrorCode.UNAUTHENTICATED, "this export link is not valid") from None
    return ExportGrant(subject=str(claims["sub"]), role=role, filter=canonical)


async def stream_profiles_csv(
    pool: asyncpg.Pool, canonical: CanonicalFilter
) -> AsyncGenerator[bytes, None]:
    """The filtered profiles as CSV bytes (header row first), streamed from a COPY.

    The COPY runs in a task that fills a small bounded queue; when the reader is slow the
    queue is full, the task waits, asyncpg stops reading and PostgreSQL waits in turn.
    Closing the iterator early (a client went away) cancels the COPY.
    """
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=QUEUED_CHUNKS)
    values = filter_values(canonical)

    async def produce() -> None:
        pending = bytearray()

        async def collect(data: bytes) -> None:
            pending.extend(data)
            if len(pending) >= CHUNK_BYTES:
                await queue.put(bytes(pending))
                pending.clear()

        try:
            async with pool.acquire() as conn:
                await profiles_db.copy_profiles_csv(
                    conn, values, collect, formula_pattern=FORMULA_PATTERN
                )
            if pending:
                await queue.put(bytes(pending))
        finally:
            task = asyncio.current_task()
            if task is None or not task.cancelling():
                await queue.put(None)  # the end, or an error the reader re-raises below

    producer = asyncio.create_task(produce(), name="profile-export")
    EXPORTS_ACTIVE.inc()
    try:
        while (chunk := await queue.get()) is not None:
            EXPORT_BYTES.inc(len(chunk))
            yield chunk
        await producer
    finally:
        EXPORTS_ACTIVE.dec()
        if not producer.done():
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer


_FILTER_FIELDS: Final = (
    ("gender", "gender"),
    ("ageGroup", "age_group"),
    ("countryId", "country_id"),
    ("minAge", "min_age"),
    ("maxAge", "max_age"),
    ("minGenderProbability", "min_gender_probability"),
    ("minCountryProbability", "min_country_probability"),
)


def _filter_claim(canonical: CanonicalFilter) -> dict[str, str | int | float]:
    claim: dict[str, str | int | float] = {}
    for name, attribute in _FILTER_FIELDS:
        value = getattr(canonical, attribute)
        if value is not None:
            claim[name] = value.name if isinstance(value, Gender | AgeGroup) else value
    return claim


def _filter_from_claim(claim: Any) -> CanonicalFilter:
    if not isinstance(claim, dict) or set(claim) - {name for name, _ in _FILTER_FIELDS}:
        raise ValueError("not an export filter")
    gender, age_group = claim.get("gender"), claim.get("ageGroup")
    return normalize(
        FilterSpec(
            gender=Gender[gender] if gender is not None else None,
            age_group=AgeGroup[age_group] if age_group is not None else None,
            country_id=claim.get("countryId"),
            min_age=claim.get("minAge"),
            max_age=claim.get("maxAge"),
            min_gender_probability=claim.get("minGenderProbability"),
            min_country_probability=claim.get("minCountryProbability"),
        )
    )
