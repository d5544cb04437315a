"""docs/configuration.md is what services/platform/settings_doc.py makes of the declarations."""

from pathlib import Path
from typing import Final

from services.platform import settings_doc
from services.platform.settings import Settings, declarations

ROOT: Final = Path(__file__).resolve().parents[3]


def test_committed_configuration_doc_matches_the_declarations() -> None:
    committed = (ROOT / settings_doc.OUTPUT).read_text()
    assert committed == settings_doc.render(), (
        "docs/configuration.md is stale: run `uv run python -m services.platform.settings_doc`"
    )


def test_every_variable_and_retry_task_has_a_row() -> None:
    rendered = settings_doc.render()
    for _, declaration in declarations(Settings):
        assert f"| `{declaration.env}`" in rendered
    assert "| `RETRY_SEND_EMAIL_*` | 5 | 1 s | 60 s |" in rendered


def test_sizes_and_durations_are_shown_in_units_too() -> None:
    rendered = settings_doc.render()
    assert "| 1073741824 (1 GiB) |" in rendered
    assert "| 604800 (7 days) |" in rendered
    assert "| 3600 (1 h) |" in rendered
