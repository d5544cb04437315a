from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.auth.tokens import Role, issue_token, user_subject, verify_token
from services.errors import ErrorCode, ServiceError
from services.platform.ids import uuid7
from services.platform.settings import Secret

KEY = Secret("k" * 40)


def test_token_round_trips_role_and_organisation() -> None:
    token = issue_token(
        KEY, role=Role.RECRUITER, subject="u1", organisation="acme", ttl=timedelta(minutes=5)
    )
    principal = verify_token(KEY, token)
    assert (principal.role, principal.organisation, principal.subject) == (
        Role.RECRUITER,
        "acme",
        "u1",
    )


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        issue_token(
            Secret("another key" * 4), role=Role.ADMIN, subject="x", ttl=timedelta(hours=1)
        ),
        jwt.encode(
            {"sub": "x", "role": "admin", "iss": "insighta", "iat": 0, "exp": 2**40},
            "",
            algorithm="none",
        ),
        jwt.encode(
            {"sub": "x", "role": "emperor", "iss": "insighta", "iat": 0, "exp": 2**40},
            KEY.reveal(),
            algorithm="HS256",
        ),
        jwt.encode(
            {"sub": "x", "role": "admin", "iat": 0, "exp": 2**40}, KEY.reveal(), algorithm="HS256"
        ),
    ],
    ids=["empty", "garbage", "other-key", "alg-none", "unknown-role", "no-issuer"],
)
def test_bad_tokens_are_unauthenticated(token: str) -> None:
    with pytest.raises(ServiceError) as raised:
        verify_token(KEY, token)
    assert raised.value.code is ErrorCode.UNAUTHENTICATED


def test_expired_token_says_so() -> None:
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    token = issue_token(KEY, role=Role.ADMIN, subject="x", ttl=timedelta(minutes=1), now=issued)
    with pytest.raises(ServiceError, match="expired"):
        verify_token(KEY, token)


def test_secret_repr_hides_the_value() -> None:
    assert "k" * 40 not in repr(KEY)


def test_user_tokens_carry_their_user_id() -> None:
    user_id = uuid7()
    token = issue_token(
        KEY,
        role=Role.ADMIN,
        subject=user_subject(user_id),
        organisation="acme",
        ttl=timedelta(minutes=5),
    )
    principal = verify_token(KEY, token)
    assert principal.user_id == user_id
    assert not principal.is_platform_admin  # an organisation admin


def test_operator_tokens_carry_no_user_and_org_less_admins_are_platform_admins() -> None:
    principal = verify_token(
        KEY, issue_token(KEY, role=Role.ADMIN, subject="operator", ttl=timedelta(minutes=5))
    )
    assert principal.user_id is None
    assert principal.is_platform_admin


def test_a_user_subject_without_a_user_id_is_not_valid() -> None:
    token = issue_token(KEY, role=Role.ADMIN, subject="user:nope", ttl=timedelta(minutes=5))
    with pytest.raises(ServiceError) as raised:
        verify_token(KEY, token)
    assert raised.value.code is ErrorCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": 10**30},
        {"exp": 2**63},
        {"exp": 1e300},
        {"exp": 253402300800},  # 10000-01-01: past datetime's last year
        {"exp": -(10**30)},
        {"exp": 2**40},  # the year 36812
        {"exp": 2**33, "iat": 10**30},
        {"exp": 2**33, "nbf": 10**30},
    ],
    ids=["exp-1e30", "exp-2^63", "exp-float", "exp-year-10000", "exp-negative", "exp-2^40",
         "iat-future", "nbf-future"],
)  # fmt: skip
def test_signed_tokens_with_out_of_range_times_are_unauthenticated(
    claims: dict[str, object],
) -> None:
    token = jwt.encode(
        {"sub": "x", "role": "admin", "iss": "insighta", "iat": 0} | claims,
        KEY.reveal(),
        algorithm="HS256",
    )
    with pytest.raises(ServiceError) as raised:
        verify_token(KEY, token)
    assert raised.value.code is ErrorCode.UNAUTHENTICATED
