"""A lab's shared store: runs against a real PostgreSQL server configured by `[store] url`,
the run lock between processes, `papertide store copy` both ways and backups."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from clirun import papertide
from postgres import fresh_database
from test_store import take_within

from papertide.config import load_config
from papertide.errors import ConfigError
from papertide.store import Store

BULK = "arxiv/bulk/papers_2026-06-16_to_07-01.jsonl"
TOPICS = """
[select]
embedder = "none"

[[topics]]
name = "I2I Translation"
slug = "i2i"
query = 'abs:"image-to-image" OR abs:"image translation" OR ti:"style transfer"'

[[topics]]
name = "Gaussian Splatting"
slug = "3dgs"
query = 'abs:"gaussian splatting" OR ti:3DGS'

[[topics]]
name = "Diffusion"
slug = "diffusion"
query = 'abs:diffusion'
"""


def config_for(folder: Path, store: Path | str) -> Path:
    where = f'url = "{store}"' if isinstance(store, str) else f'path = "{store.name}"'
    config = folder / "papertide.toml"
    config.write_text(f"[store]\n{where}\n{TOPICS}", encoding="utf-8")
    return config


def ok(config: Path, *args: str) -> str:
    code, out, err = papertide(config, *args)
    assert code == 0, out + err
    return out


def contents(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order: what two stores must agree on."""
    tables = sorted(store.db.tables())
    return {t: sorted(store.db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


@pytest.fixture
def server_store() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def test_a_run_on_a_postgresql_store_and_a_second_run_is_refused(
    tmp_path: Path, fixtures: Path, server_store: str
) -> None:
    shutil.copy(fixtures / "pipeline" / "day1-2.jsonl", tmp_path / "day1-2.jsonl")
    config = config_for(tmp_path, server_store)
    out = ok(config, "run", "--from", str(tmp_path / "day1-2.jsonl"))
    assert "5 fetched (5 new, 0 revised, 0 already stored)" in out
    assert not (tmp_path / "papertide.db").exists()  # nothing went to a SQLite file
    assert (tmp_path / "site" / "index.html").is_file()
    status = ok(config, "status")
    assert f"5 papers stored in {server_store}" in status

    # Another member's run, on another machine, holds the store: this one is refused.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, server_store], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        code, _, err = papertide(config, "run", "--from", str(tmp_path / "day1-2.jsonl"))
        assert code == 1
        assert f"in use by another papertide run (pid {holder.pid} on " in err
    finally:
        holder.kill()
        holder.wait()
    with Store(server_store) as store:  # free again once the server sees the holder gone
        take_within(store, seconds=30)
    out = ok(config, "run", "--from", str(tmp_path / "day1-2.jsonl"))
    assert "5 fetched (0 new, 0 revised, 5 already stored)" in out


HOLD = """
import sys, time
from papertide.store import Store
store = Store(sys.argv[1])
store.lock()
print("locked", flush=True)
time.sleep(120)
"""


def test_store_copy_round_trips_the_bulk_files_store(
    tmp_path: Path, shared_data: Path, server_store: str
) -> None:
    config = config_for(tmp_path, tmp_path / "bulk.db")
    out = ok(config, "import", str(shared_data / BULK))
    assert "imported 3294 papers" in out
    vectors = np.random.default_rng(1).standard_normal((5, 384)).astype(np.float32)
    with Store(tmp_path / "bulk.db") as store:
        ids = [p.arxiv_id for p, _ in zip(store.papers(), range(5), strict=False)]
        store.save_embeddings("m", [(i, 1, v) for i, v in zip(ids, vectors, strict=True)])
        original = contents(store)
    assert len(original["papers"]) == 3294 and len(original["matches"]) == 3 * 3294

    out = ok(config, "store", "copy", str(tmp_path / "bulk.db"), server_store)
    assert f"to {server_store}: 3294 papers, 3294 versions, 9882 matches" in out
    ok(config, "store", "copy", server_store, str(tmp_path / "back.db"))

    with Store(server_store) as on_server, Store(tmp_path / "back.db") as back:
        assert contents(on_server) == original
        assert contents(back) == original
        # the copies answer as the original: the same pages and the same selection
        assert on_server.topic_days("i2i") == back.topic_days("i2i")
        assert [(s.match.day, s.paper.versioned_id) for s in on_server.selected(["i2i"])] == [
            (s.match.day, s.paper.versioned_id) for s in back.selected(["i2i"])
        ]
        run = on_server.start_run("run", "")  # ids go on after the copied runs
        assert run > max(r.id for r in back.recent_runs())

    code, _, err = papertide(config, "store", "copy", str(tmp_path / "bulk.db"), server_store)
    assert code == 1 and "is not empty" in err  # never mixed into a store that holds data


def test_a_postgresql_store_is_backed_up_as_a_sqlite_file(
    tmp_path: Path, fixtures: Path, server_store: str
) -> None:
    config = config_for(tmp_path, server_store)
    ok(config, "import", str(fixtures / "pipeline" / "day1-2.jsonl"))
    out = ok(config, "backup", str(tmp_path / "copy.db"))
    assert f"backed up {server_store} to {tmp_path / 'copy.db'}" in out
    with Store(tmp_path / "copy.db") as copy, Store(server_store) as store:
        assert contents(copy) == contents(store)
        assert copy.count_papers() == 5


def test_a_password_in_the_store_url_is_refused(tmp_path: Path) -> None:
    config = config_for(tmp_path, "postgresql://lab:secret@db.example.org/papertide")
    with pytest.raises(ConfigError, match=r"store.url: the URL holds a password"):
        load_config(config)
