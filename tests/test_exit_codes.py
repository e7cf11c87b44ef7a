"""The outcome table of the README, row by row: each outcome's exit code, the run record that
`papertide status` shows, and the message."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirun import papertide
from replay import ReplayServer, Reply
from test_hostile_input import GOOD, jsonl

from papertide.store import Store

FEED = "rss_feed.xml"
CONFIG = """[store]
path = "store.db"
[select]
embedder = "none"
[llm]
backend = "none"
[figures]
enabled = false
[arxiv]
categories = ["cs.CV"]
rss_url = "{url}/rss"
oai_url = "{url}/oai"
max_wait = 1
{extra}
[[topics]]
name = "Splats"
slug = "3dgs"
query = 'abs:"gaussian splatting"'
"""


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    replay = ReplayServer()
    yield replay
    replay.close()


def config(folder: Path, url: str = "http://127.0.0.1:9", extra: str = "") -> Path:
    path = folder / "papertide.toml"
    path.write_text(CONFIG.format(url=url, extra=extra), encoding="utf-8")
    return path


def records(folder: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(folder / "store.db") as db:
        return list(db.execute("SELECT status, error FROM runs ORDER BY id"))


def test_the_run_did_its_work_exit_0_ok(tmp_path: Path) -> None:
    code, out, _ = papertide(config(tmp_path), "run", "--from", str(jsonl(tmp_path, GOOD)))
    assert code == 0 and "1 fetched (1 new" in out
    assert records(tmp_path) == [("ok", None)]


def test_nothing_announced_since_the_last_run_exit_4_ok(
    tmp_path: Path, server: ReplayServer, fixtures: Path
) -> None:
    server.add("/rss/cs.CV", Reply((fixtures / "fetch" / FEED).read_bytes()))
    cfg = config(tmp_path, server.url)
    assert papertide(cfg, "run")[0] == 0
    code, out, _ = papertide(cfg, "run")
    assert code == 4 and "arXiv has announced nothing new since the 2026-06-16 listing" in out
    assert records(tmp_path) == [("ok", None), ("ok", None)]


@pytest.mark.parametrize(
    "fault",
    [Reply(b"", 503), Reply(b"<!DOCTYPE html><html><body>Maintenance</body></html>")],
    ids=["503", "maintenance-page"],
)
def test_arxiv_unusable_exit_3_unreachable_and_the_site_is_built(
    tmp_path: Path, server: ReplayServer, fault: Reply
) -> None:
    server.add("/rss/cs.CV", fault, repeat=True)
    code, out, err = papertide(config(tmp_path, server.url), "run")
    assert code == 3, out + err
    assert out.startswith("arXiv is") and "; the site was built from the store" in out
    assert (tmp_path / "site" / "index.html").is_file()
    ((status, error),) = records(tmp_path)
    assert status == "unreachable" and error and error.startswith("arXiv is")


def test_a_backfill_with_arxiv_down_exits_3_and_claims_no_site(
    tmp_path: Path, server: ReplayServer
) -> None:
    server.add("/oai", Reply(b"", 503), repeat=True)
    cfg = config(tmp_path, server.url)
    code, out, _ = papertide(cfg, "backfill", "--since", "2026-06-15", "--until", "2026-06-18")
    assert code == 3 and "arXiv is unreachable" in out
    assert "site was built" not in out and not (tmp_path / "site").exists()
    assert records(tmp_path)[0][0] == "unreachable"


def test_a_bad_input_file_exit_1_one_line_and_the_store_untouched(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "2606.00001", "title": "x"}\n{"id": \n', encoding="utf-8")
    code, _, err = papertide(config(tmp_path), "import", str(bad))
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "bad.jsonl: line 2: invalid JSON" in err
    assert not (tmp_path / "store.db").exists()  # read whole before the store is opened


def test_a_failure_during_the_run_exit_1_failed_with_its_error(tmp_path: Path) -> None:
    (tmp_path / "site").write_text("a file where the site folder should be")
    code, _, err = papertide(config(tmp_path), "run", "--from", str(jsonl(tmp_path, GOOD)))
    assert code == 1 and err.startswith("error: ") and "Traceback" not in err
    ((status, error),) = records(tmp_path)
    assert status == "failed" and error


def test_a_config_mistake_exit_1_and_no_record(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    cfg.write_text(cfg.read_text().replace("max_wait = 1", "max_wait = -1"), encoding="utf-8")
    code, _, err = papertide(cfg, "run")
    assert code == 1 and "arxiv.max_wait" in err
    assert not (tmp_path / "store.db").exists()


def test_the_store_in_use_exit_1(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    with Store(tmp_path / "store.db") as holder:
        holder.lock()
        code, _, err = papertide(cfg, "import", str(jsonl(tmp_path, GOOD)))
    assert code == 1 and "is in use by another papertide run" in err


def test_a_wrong_command_line_exit_2(tmp_path: Path) -> None:
    assert papertide(config(tmp_path), "run", "--no-such-option")[0] == 2


def test_an_unreachable_llm_exit_0_ok_and_pending(tmp_path: Path) -> None:
    llm = '[site]\ntitle = "t"\n'
    cfg = config(tmp_path, extra=llm)
    cfg.write_text(
        cfg.read_text().replace(
            'backend = "none"',
            'backend = "openai"\nmodel = "m"\nbase_url = "http://127.0.0.1:9/v1"\nretries = 0',
        ),
        encoding="utf-8",
    )
    code, out, _ = papertide(cfg, "run", "--from", str(jsonl(tmp_path, GOOD)))
    assert code == 0 and "write-ups stopped: LLM endpoint http://127.0.0.1:9/v1" in out
    assert records(tmp_path) == [("ok", None)]


def test_an_email_not_accepted_exit_0_ok_and_kept(tmp_path: Path) -> None:
    email = (
        '[email]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\n'
        'sender = "papertide <d@example.org>"\n[[email.recipients]]\naddress = "a@example.org"'
    )
    cfg = config(tmp_path, extra=email)
    code, out, _ = papertide(cfg, "run", "--from", str(jsonl(tmp_path, GOOD)))
    assert code == 0 and "email: 0 sent, 1 failed and kept for the next run" in out
    assert records(tmp_path) == [("ok", None)]


def test_a_killed_run_is_shown_interrupted_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the status table unwrapped
    cfg = config(tmp_path)
    many = [{**GOOD, "id": f"2606.{10000 + n}", "title": f"Paper {n}"} for n in range(20_000)]
    big = jsonl(tmp_path, *many, name="big.jsonl")
    command = [sys.executable, "-m", "papertide", "--config", str(cfg), "run", "--from", str(big)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not _running(tmp_path):
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert records(tmp_path)[-1][0] == "running"  # what the killed run left behind

    code, out, _ = papertide(cfg, "status")
    assert code == 0
    assert "interrupted: killed or crashed before it finished" in out and "running" not in out
    assert "1 runs (1 failed or interrupted" in out


def _running(folder: Path) -> bool:
    try:
        return any(status == "running" for status, _ in records(folder))
    except sqlite3.Error:
        return False
