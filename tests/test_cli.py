"""The command line end to end: init, run --from, re-runs, revisions, errors, status."""

from __future__ import annotations

import re
import shutil
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from clirun import papertide as run_cli

from papertide.cli import console, main
from papertide.store import Store


class Page(HTMLParser):
    """Collects what a reader sees of a page: element counts, text, anchors and links."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name == "href" and value:
                self.hrefs.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture
def project(tmp_path: Path, fixtures: Path) -> Path:
    for name in ("config.toml", "day1-2.jsonl", "revision.jsonl"):
        shutil.copy(fixtures / "pipeline" / name, tmp_path / name)
    return tmp_path


def papertide(project: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(project / "config.toml", *args)


def count(project: Path, table: str) -> int:
    with sqlite3.connect(project / "store.db") as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_run_publishes_a_page_per_topic_and_day(project: Path) -> None:
    code, out, _ = papertide(project, "run", "--from", str(project / "day1-2.jsonl"))
    assert code == 0
    assert "5 fetched (5 new, 0 revised" in out
    site = project / "site"
    assert (site / "index.html").is_file()
    i2i_day1 = Page(site / "i2i" / "2026-06-16.html")
    assert "Unpaired Image-to-Image Translation with Contrastive Cycles" in i2i_day1.all_text
    assert "Machine Translation for Low-Resource Languages" not in i2i_day1.all_text
    assert "https://papers.cool/arxiv/2606.00001" in i2i_day1.hrefs
    assert "https://arxiv.org/abs/2606.00001" in i2i_day1.hrefs
    assert any(h.startswith("https://arxiv.org/pdf/2606.00001") for h in i2i_day1.hrefs)
    assert "Accepted by CVPR 2026" in i2i_day1.all_text
    assert "no LLM is configured" in i2i_day1.all_text  # the missing LLM sections are explained
    gs_pages = sorted(p.name for p in (site / "3dgs").glob("2026-*.html"))
    assert gs_pages == ["2026-06-16.html", "2026-06-17.html"]
    assert not (site / "i2i" / "2026-06-18.html").exists()


def test_rerun_adds_nothing(project: Path) -> None:
    papertide(project, "run", "--from", str(project / "day1-2.jsonl"))
    before = {t: count(project, t) for t in ("papers", "versions", "matches")}
    code, out, _ = papertide(project, "run", "--from", str(project / "day1-2.jsonl"))
    assert code == 0
    assert "5 fetched (0 new, 0 revised, 5 already stored)" in out
    assert "0 files written" in out
    assert {t: count(project, t) for t in before} == before


def test_a_revision_updates_the_paper_and_is_marked_revised(project: Path) -> None:
    papertide(project, "run", "--from", str(project / "day1-2.jsonl"))
    code, out, _ = papertide(project, "run", "--from", str(project / "revision.jsonl"))
    assert code == 0
    assert "1 fetched (0 new, 1 revised" in out
    assert count(project, "papers") == 5
    with Store(project / "store.db") as store:
        paper = store.get_paper("2606.00002")
    assert paper is not None and paper.version == 2 and paper.title.endswith("(Extended)")
    page = Page(project / "site" / "3dgs" / "2026-06-18.html")
    assert "(Extended)" in page.all_text
    assert "v2" in page.all_text and "revised" in page.all_text.lower()


def test_hostile_text_is_shown_as_text(project: Path) -> None:
    papertide(project, "run", "--from", str(project / "day1-2.jsonl"))
    page = Page(project / "site" / "i2i" / "2026-06-17.html")
    html = (project / "site" / "i2i" / "2026-06-17.html").read_text(encoding="utf-8")
    # the only scripts are the site's own files (theme, search, KaTeX), none from a paper
    own = re.findall(r'<script (?:defer )?src="\.\./static/[\w./-]+\.js"></script>', html)
    assert page.tags.get("script", 0) == len(own) > 0
    assert "<script>alert('x')</script>" in page.all_text
    assert page.tags.get("article") == 1
    assert page.tags.get("b", 0) == 0  # an author's <b> is text, not markup


def test_run_without_arxiv_says_so_and_still_builds(project: Path) -> None:
    config = project / "config.toml"
    unreachable = '\n[arxiv]\nrss_url = "http://127.0.0.1:9/rss"\nmax_wait = 1\n'
    config.write_text(config.read_text() + unreachable)
    code, out, err = papertide(project, "run")
    assert code == 3
    assert "arXiv is unreachable" in out and "the site was built from the store" in out
    assert (project / "site" / "index.html").is_file()


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (
            '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n<entry><title>x</title>\n</feed>\n',
            "broken.xml",
            r"broken\.xml: line \d+, column \d+",
        ),
        ("just some notes\n", "notes.txt", r"notes\.txt: unknown format"),
        (None, "missing.jsonl", r"missing\.jsonl: no such file"),
    ],
)
def test_bad_input_fails_clearly_and_changes_nothing(
    project: Path, content: str | None, name: str, expected: str
) -> None:
    papertide(project, "run", "--from", str(project / "day1-2.jsonl"))
    before = {t: count(project, t) for t in ("papers", "matches", "runs")}
    path = project / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = papertide(project, "run", "--from", str(path))
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert re.search(expected, lines[0]), lines[0]
    assert {t: count(project, t) for t in before} == before


def test_invalid_config_fails_clearly(project: Path) -> None:
    (project / "config.toml").write_text('[[topics]]\nname = "A"\nslug = "Bad Slug"\nquery = "x"\n')
    code, _, err = papertide(project, "run", "--from", str(project / "day1-2.jsonl"))
    assert code == 1
    assert "config.toml: topics[0] (A): slug 'Bad Slug'" in err
    assert not (project / "store.db").exists()


def test_a_second_concurrent_run_is_refused(project: Path) -> None:
    papertide(project, "import", str(project / "day1-2.jsonl"))
    with Store(project / "store.db") as holder:
        holder.lock()
        code, _, err = papertide(project, "run")
    assert code == 1
    assert "in use by another papertide run" in err


def test_init_writes_a_starter_config_once(tmp_path: Path) -> None:
    config = tmp_path / "papertide.toml"
    runner = CliRunner()
    first = runner.invoke(main, ["--config", str(config), "init"])
    assert first.exit_code == 0 and "[[topics]]" in config.read_text()
    config.write_text(config.read_text() + "\n# my edit\n")
    second = runner.invoke(main, ["--config", str(config), "init"])
    assert second.exit_code == 0 and "# my edit" in config.read_text()
    assert "already exists" in second.stderr


def test_import_then_build_then_status(project: Path) -> None:
    code, out, _ = papertide(project, "import", str(project / "day1-2.jsonl"))
    assert code == 0 and "imported 5 papers (5 new" in out
    assert not (project / "site").exists()
    code, out, _ = papertide(project, "build")
    assert code == 0 and (project / "site" / "i2i" / "2026-06-16.html").is_file()
    code, out, _ = papertide(project, "status")
    assert code == 0
    assert "5 papers stored" in out
    assert "I2I Translation (i2i): 2 selected" in out
    assert "import" in out and "build" in out


def test_changing_a_topic_query_reselects_stored_papers(project: Path) -> None:
    papertide(project, "run", "--from", str(project / "day1-2.jsonl"))
    config = project / "config.toml"
    config.write_text(
        config.read_text().replace(
            "query = 'abs:\"gaussian splatting\"'", "query = 'abs:\"machine translation\"'"
        )
    )
    code, _, _ = papertide(project, "build")
    assert code == 0
    page = Page(project / "site" / "3dgs" / "2026-06-16.html")
    assert "Machine Translation for Low-Resource Languages" in page.all_text
    assert "Gaussian Splatting" not in page.all_text
    assert not (project / "site" / "3dgs" / "2026-06-17.html").exists()  # no stale page lingers
    assert (project / "site" / ".papertide-files").is_file()


def test_without_a_terminal_a_long_run_logs_its_progress_as_lines(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As cron or CI keeps it: every step takes 20 s on this clock.
    clock = iter(range(0, 100_000, 20))
    monkeypatch.setattr(console, "clock", lambda: float(next(clock)))
    code, out, err = papertide(project, "run", "--from", str(project / "day1-2.jsonl"))
    assert code == 0 and "5 fetched" in out
    lines = err.splitlines()
    # Storing the 5 papers: a line once 30 s have passed, then one a minute, and the end.
    storing = [line for line in lines if line.startswith("Storing: ")]
    assert storing == ["Storing: 2/5, 40 s, about 60 s left", "Storing: 5/5, done in 2 min"]


def test_a_short_run_without_a_terminal_prints_no_progress(project: Path) -> None:
    code, _, err = papertide(project, "run", "--from", str(project / "day1-2.jsonl"))
    assert code == 0
    assert not [line for line in err.splitlines() if "left" in line or "done in" in line]


def test_help_has_examples_for_every_command() -> None:
    for command in ("init", "run", "import", "build", "serve", "status"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.stdout, command
    assert "0.1.0" in CliRunner().invoke(main, ["--version"]).stdout


def test_serve_previews_the_built_site_on_localhost(project: Path) -> None:
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    papertide(project, "run", "--from", str(project / "day1-2.jsonl"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "papertide",
            "--config",
            str(project / "config.toml"),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                url = f"http://127.0.0.1:{port}/i2i/2026-06-16.html"
                with urllib.request.urlopen(url, timeout=2) as response:
                    body = response.read().decode("utf-8")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert "Unpaired Image-to-Image Translation with Contrastive Cycles" in body
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_without_a_site_says_what_to_do(project: Path) -> None:
    code, _, err = papertide(project, "serve")
    assert code == 1
    assert "no site built yet; run `papertide build` first" in err
