"""Which token and URL the CLI's client commands use."""

from pathlib import Path

import orjson
import pytest

from services.auth.credentials import client_token
from services.auth.tokens import Role, verify_token
from services.settings import DEFAULT_INSIGHTA_URL, Secret, Settings


def test_insighta_token_wins(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.json"
    credentials.write_bytes(orjson.dumps({"token": "from-file"}))
    settings = Settings(insighta_token=Secret("from-env"), data_dir=tmp_path)
    assert client_token(settings, credentials=credentials) == "from-env"


def test_credentials_file_comes_next(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.json"
    credentials.write_bytes(orjson.dumps({"token": "from-file"}))
    assert client_token(Settings(data_dir=tmp_path), credentials=credentials) == "from-file"


def test_else_an_admin_token_signed_with_the_data_dirs_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    token = client_token(settings, credentials=tmp_path / "missing.json")
    principal = verify_token(settings.resolved_secret_key(), token)
    assert principal.role is Role.ADMIN


def test_client_settings_from_the_environment() -> None:
    assert Settings.from_env({}).insighta_url == DEFAULT_INSIGHTA_URL
    settings = Settings.from_env(
        {"INSIGHTA_URL": "http://api:9000/graphql", "INSIGHTA_TOKEN": "t0ken"}
    )
    assert settings.insighta_url == "http://api:9000/graphql"
    assert settings.insighta_token == Secret("t0ken")


def test_ingestion_settings_from_the_environment() -> None:
    settings = Settings.from_env({"INGESTION_WORKERS": "3", "INGESTION_BATCH_ROWS": "1000"})
    assert (settings.ingestion_workers, settings.ingestion_batch_rows) == (3, 1000)
    with pytest.raises(ValueError, match="INGESTION_WORKERS must be at least 1"):
        Settings.from_env({"INGESTION_WORKERS": "0"})
    with pytest.raises(ValueError, match="INGESTION_BATCH_ROWS must be a whole number"):
        Settings.from_env({"INGESTION_BATCH_ROWS": "lots"})
