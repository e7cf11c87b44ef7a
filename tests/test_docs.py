"""The README and the CLI agree."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_cli_reference_matches_help() -> None:
    module = runpy.run_path(str(ROOT / "docs" / "cli_reference.py"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert module["updated"](readme) == readme, "README is stale: run `make docs`"


def test_readme_documents_every_config_key() -> None:
    from papertide.config import Config, TopicConfig

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for section in ("site", "store", "llm", "figures", "arxiv", "select", "zotero"):
        model = Config.model_fields[section].annotation
        for key in model.model_fields:  # type: ignore[union-attr]
            assert f"`[{section}] {key}`" in readme, f"[{section}] {key}"
    for key in TopicConfig.model_fields:
        assert f"`topics.{key}`" in readme, key
    assert "`language`" in readme


def test_readme_documents_every_delivery_key() -> None:
    from papertide.config import AlertsConfig, EmailRecipient, NotifyConfig

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for key in NotifyConfig.model_fields:
        assert f"`notify.{key}`" in readme, key
    for key in AlertsConfig.model_fields:
        assert f"`[alerts] {key}`" in readme, key
    for key in set(EmailRecipient.model_fields) - {"address", "topics"}:
        assert f"`email.recipients.{key}`" in readme, key
    assert "`[[notify]]`" in readme and "`[email] recipients`" in readme
