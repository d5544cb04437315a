"""What the account operations need at run time, built once per process from the settings."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Self

import asyncpg

from services.accounts.github_oauth import GitHubApp
from services.accounts.statuses import UserStatuses
from services.platform.settings import Secret, Settings


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    """Token lifetimes and the links account emails carry."""

    access_token_ttl: timedelta
    refresh_token_ttl: timedelta
    password_reset_ttl: timedelta
    invitation_ttl: timedelta
    app_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(
            access_token_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
            refresh_token_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
            password_reset_ttl=timedelta(seconds=settings.password_reset_ttl_seconds),
            invitation_ttl=timedelta(seconds=settings.invitation_ttl_seconds),
            app_url=settings.app_url,
        )

    @property
    def sign_in_url(self) -> str:
        return f"{self.app_url}/sign-in"

    def password_reset_url(self, token: str) -> str:
        return f"{self.app_url}/reset-password?token={token}"

    def invitation_url(self, token: str) -> str:
        return f"{self.app_url}/sign-up?invitation={token}"


@dataclass(slots=True)
class AccountServices:
    pool: asyncpg.Pool
    secret_key: Secret
    policy: AccountPolicy
    statuses: UserStatuses
    github: GitHubApp | None = None  # Sign in with GitHub, when configured


def build_account_services(
    settings: Settings, pool: asyncpg.Pool, secret_key: Secret
) -> AccountServices:
    return AccountServices(
        pool=pool,
        secret_key=secret_key,
        policy=AccountPolicy.from_settings(settings),
        statuses=UserStatuses(pool, ttl_seconds=settings.user_status_cache_seconds),
        github=GitHubApp.from_settings(settings),
    )
