from dataclasses import fields
from pathlib import Path

import pytest

from services.platform.settings import ClientSettings, Settings, SettingsError, declarations


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.database_url is None
    assert settings.data_dir == Path(".insighta")
    assert settings.graphql_introspection is True
    assert settings.cache_ttl_seconds == 300
    assert settings.max_upload_bytes == 1 << 30
    assert settings.web_concurrency == 1


def test_values_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u:pw@h/db",
            "INSIGHTA_DATA_DIR": "/var/lib/insighta",
            "CACHE_TTL_SECONDS": "60",
            "GRAPHQL_INTROSPECTION": "off",
            "WEB_CONCURRENCY": "4",
        }
    )
    assert settings.database_url is not None
    assert settings.database_url.reveal() == "postgresql://u:pw@h/db"
    assert "pw" not in repr(settings)
    assert settings.data_dir == Path("/var/lib/insighta")
    assert settings.cache_ttl_seconds == 60
    assert settings.graphql_introspection is False
    assert settings.web_concurrency == 4


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CACHE_TTL_SECONDS", "soon"),
        ("MAX_UPLOAD_BYTES", "-1"),
        ("MAX_UPLOAD_BYTES", str(2**31)),  # byte counts are GraphQL Ints
        ("GRAPHQL_INTROSPECTION", "maybe"),
        ("WEB_CONCURRENCY", "0"),
    ],
)
def test_bad_values_fail_at_start_up_with_the_name(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})


def test_secret_key_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = Settings.from_env({"INSIGHTA_DATA_DIR": str(tmp_path)})
    first = settings.resolved_secret_key()
    assert settings.resolved_secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_account_lifetimes_and_links_come_from_the_environment() -> None:
    defaults = Settings.from_env({})
    assert (defaults.access_token_ttl_seconds, defaults.refresh_token_ttl_seconds) == (
        900,
        30 * 24 * 3600,
    )
    assert defaults.password_reset_ttl_seconds == 1800
    settings = Settings.from_env(
        {
            "ACCESS_TOKEN_TTL_SECONDS": "60",
            "REFRESH_TOKEN_TTL_SECONDS": "3600",
            "PASSWORD_RESET_TTL_SECONDS": "600",
            "INVITATION_TTL_SECONDS": "86400",
            "USER_STATUS_CACHE_SECONDS": "0",
            "APP_URL": "https://app.example.com/",
        }
    )
    assert settings.access_token_ttl_seconds == 60
    assert settings.refresh_token_ttl_seconds == 3600
    assert settings.password_reset_ttl_seconds == 600
    assert settings.invitation_ttl_seconds == 86400
    assert settings.user_status_cache_seconds == 0
    assert settings.app_url == "https://app.example.com"


def test_a_token_lifetime_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="ACCESS_TOKEN_TTL_SECONDS"):
        Settings.from_env({"ACCESS_TOKEN_TTL_SECONDS": "0"})


def test_every_bad_variable_is_named_in_one_error() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(
            {"CACHE_TTL_SECONDS": "abc", "WEB_CONCURRENCY": "0", "RETRY_SEND_EMAIL_TRIES": "x"}
        )
    assert sorted(problem.split()[0] for problem in raised.value.problems) == [
        "CACHE_TTL_SECONDS",
        "RETRY_SEND_EMAIL_TRIES",
        "WEB_CONCURRENCY",
    ]


@pytest.mark.parametrize("cls", [Settings, ClientSettings])
def test_every_setting_is_declared_once_with_its_variable(
    cls: type[Settings] | type[ClientSettings],
) -> None:
    # retry_overrides is the RETRY_<TASK>_<FIELD> family; credentials_path follows HOME.
    undeclared = {"retry_overrides", "credentials_path"}
    names = [item.name for item, _ in declarations(cls)]
    assert set(names) | undeclared >= {item.name for item in fields(cls)}
    variables = [declaration.env for _, declaration in declarations(cls)]
    assert len(set(variables)) == len(variables)


def test_a_declared_default_is_the_default_of_an_empty_environment() -> None:
    assert Settings.from_env({}) == Settings()
    variables = [declaration.env for _, declaration in declarations(Settings)]
    assert Settings.from_env(dict.fromkeys(variables, "")) == Settings()


def test_cors_origins_are_exact_origins_in_lower_case() -> None:
    assert Settings.from_env({}).cors_origins == ()
    settings = Settings.from_env(
        {"CORS_ORIGINS": "http://localhost:5173, https://App.Example.com:443,http://[::1]:8080"}
    )
    assert settings.cors_origins == (
        "http://localhost:5173",
        "https://app.example.com",  # as browsers send it: no default port
        "http://[::1]:8080",
    )
    assert Settings.from_env({"CORS_ORIGINS": "*"}).cors_origins == ("*",)


@pytest.mark.parametrize(
    "value",
    [
        "http://localhost:5173/",  # browsers never send a trailing slash: it could never match
        "https://app.example.com/path",
        "app.example.com",
        "ftp://app.example.com",
        "*, http://localhost:5173",
    ],
)
def test_cors_origins_that_no_browser_sends_are_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="CORS_ORIGINS"):
        Settings.from_env({"CORS_ORIGINS": value})


def test_a_declared_setting_is_found_by_its_field_name() -> None:
    from pathlib import Path

    from services.platform.settings import declared

    assert declared(Settings, "data_dir") == ("INSIGHTA_DATA_DIR", Path(".insighta"))
    with pytest.raises(KeyError):
        declared(Settings, "no_such_setting")
