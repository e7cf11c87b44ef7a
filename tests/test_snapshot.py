"""arXiv metadata snapshot files: recognised, read with authors_parsed and versions, and
streamed into the store (large files) one transaction per file."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from papertide import pipeline
from papertide.config import load_config
from papertide.errors import InputError
from papertide.fetch import detect_format, read_papers


def test_snapshot_lines_are_recognised_and_read(fixtures: Path) -> None:
    path = fixtures / "fetch" / "snapshot.jsonl"
    assert detect_format(path) == "snapshot"
    old, new = read_papers(path)
    assert (old.arxiv_id, old.version) == ("0704.0001", 2)
    assert old.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan")
    assert old.published is not None and old.published.isoformat() == "2007-04-02T19:18:42+00:00"
    assert old.updated is not None and old.updated.year == 2007 and old.updated.month == 7
    assert old.journal_ref == "Phys.Rev.D76:013009,2007"
    assert new.authors == ("Ada Lovelace", "Charles Babbage, Jr")
    assert new.categories == ("cs.CV", "cs.GR")


def _project(tmp_path: Path) -> Path:
    config = tmp_path / "papertide.toml"
    config.write_text(
        '[store]\npath = "store.db"\n[select]\nembedder = "none"\n'
        '[[topics]]\nname = "3DGS"\nquery = \'abs:"gaussian splatting"\'\n',
        encoding="utf-8",
    )
    return config


def _papers(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "store.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM papers").fetchone()[0])


def test_a_large_file_is_streamed_and_a_broken_one_stores_nothing(
    tmp_path: Path, fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "STREAM_BYTES", 0)  # every file counts as large here
    config = load_config(_project(tmp_path))
    good = tmp_path / "snapshot.jsonl"
    shutil.copy(fixtures / "fetch" / "snapshot.jsonl", good)
    summary = pipeline.run(config, [good], command="import", build=False)
    assert summary.fetched == 2 and summary.counts.new == 2 and summary.selected == 1

    broken = tmp_path / "broken.jsonl"
    lines = (fixtures / "fetch" / "snapshot.jsonl").read_text(encoding="utf-8").splitlines()
    broken.write_text(
        lines[1].replace("2606.20002", "2606.20003") + "\n" + lines[0][:80] + "\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"broken\.jsonl: line 2: invalid JSON"):
        pipeline.run(config, [broken], command="import", build=False)
    assert _papers(tmp_path) == 2  # the first line of the broken file was rolled back
