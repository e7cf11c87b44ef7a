"""Broken and hostile input files: each is refused in one line naming the file, the line and
the paper (exit 1, the store untouched), or read correctly — never a traceback. Control
characters never reach a page, a post's front matter or a feed."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from clirun import papertide

from papertide.fetch import read_papers

MAX_FIELD_CHARS = 20_000  # the README's input limits
MAX_LINE_BYTES = 1024 * 1024

GOOD = {
    "id": "2606.00001",
    "announced": "2026-06-16",
    "categories": ["cs.CV"],
    "title": "Gaussian Splatting for Rooms",
    "authors": ["Ada Lovelace"],
    "summary": "We study gaussian splatting of rooms.",
}


MONDAY = "Mon, 15 Jun 2026 10:00:00 GMT"


def config(folder: Path) -> Path:
    path = folder / "papertide.toml"
    path.write_text(
        '[store]\npath = "store.db"\n[select]\nembedder = "none"\n[llm]\nbackend = "none"\n'
        '[site]\nbase_url = "https://example.org/papers/"\n'
        '[export]\nhexo_dir = "hexo"\n[[topics]]\nname = "Splats"\nslug = "3dgs"\n'
        "query = 'abs:\"gaussian splatting\"'\n",
        encoding="utf-8",
    )
    return path


def jsonl(folder: Path, *records: dict[str, object], name: str = "papers.jsonl") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def stored(folder: Path) -> int:
    if not (folder / "store.db").exists():
        return 0
    with sqlite3.connect(folder / "store.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM papers").fetchone()[0])


def refused(folder: Path, path: Path) -> str:
    """Import ``path`` after a good paper is stored; the one-line error it gives."""
    cfg = config(folder)
    code, _, err = papertide(cfg, "import", str(jsonl(folder, GOOD, name="good.jsonl")))
    assert code == 0, err
    code, out, err = papertide(cfg, "import", str(path))
    assert code == 1, out + err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert stored(folder) == 1  # nothing of the bad file was stored
    return err


def test_control_characters_are_stripped_at_import_and_reach_no_output(tmp_path: Path) -> None:
    dirty = {
        **GOOD,
        "title": "Gaussian\u009f Splatting\u0000 for\u001b Rooms\u007f",
        "authors": ["Ada\u0007 Lovelace", "Grace\u0085Hopper"],
        "summary": "We study gaussian\u0008 splatting of rooms.\u000c Really\u0001.",
        "comment": "CVPR\u0000 2026\ud800",
    }
    (paper,) = read_papers(jsonl(tmp_path, dirty))
    assert paper.title == "Gaussian Splatting for Rooms"
    assert paper.authors == ("Ada Lovelace", "Grace Hopper")
    assert paper.abstract == "We study gaussian splatting of rooms. Really."
    assert paper.comment == "CVPR 2026"

    code, _, err = papertide(config(tmp_path), "run", "--from", str(jsonl(tmp_path, dirty)))
    assert code == 0, err
    (post,) = (tmp_path / "hexo").glob("*.md")
    front = post.read_text(encoding="utf-8").split("---\n")[1]
    assert yaml.safe_load(front)["title"]  # valid YAML: no character it refuses
    outputs = [post, tmp_path / "site/3dgs/2026-06-16.html", tmp_path / "site/rss.xml"]
    for output in outputs:
        text = output.read_text(encoding="utf-8")
        assert not any(ord(c) < 32 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in text)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"id": "2606.00002v99999999999999999999"}, "line 1: '2606.00002v99999999999999999999'"),
        (
            {"versions": [{"version": "v99999999999999999999", "created": MONDAY}]},
            "line 1: cannot read the version entry",
        ),
        ({"announced": "2999-01-01"}, "the announcement date 2999-01-01 is in the future"),
        ({"published": "2999-01-01T00:00:00Z"}, "the submission date 2999-01-01 is in the future"),
        ({"summary": "x" * (MAX_FIELD_CHARS + 1)}, "the abstract has 20,001 characters"),
        ({"authors": ["A. Author"] * 10_001}, "10,001 authors, more than the 10,000"),
    ],
    ids=["version-overflow", "versions-overflow", "future-day", "future-v1", "abstract", "authors"],
)
def test_impossible_field_is_refused_in_one_line(
    tmp_path: Path, record: dict[str, object], expected: str
) -> None:
    err = refused(tmp_path, jsonl(tmp_path, {**GOOD, "id": "2606.00002", **record}))
    assert expected in err
    assert "papers.jsonl: line 1" in err


def test_deeply_nested_json_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text('{"id": "2606.00002", "title": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    assert "deep.jsonl: line 1: JSON nested too deeply" in refused(tmp_path, path)


def test_an_over_long_line_is_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps(GOOD) + "\n")
        out.write('{"id": "2606.00002", "title": "' + "y" * (2 * MAX_LINE_BYTES) + '"}\n')
    assert "long.jsonl: line 2: longer than 1,024 KiB" in refused(tmp_path, path)


def test_a_future_rss_date_is_refused(tmp_path: Path, fixtures: Path) -> None:
    feed = (fixtures / "fetch" / "rss_feed.xml").read_text(encoding="utf-8")
    path = tmp_path / "future.xml"
    path.write_text(feed.replace("Jun 2026", "Jun 2999"), encoding="utf-8")
    assert "is in the future" in refused(tmp_path, path)


def test_jsonl_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (json.dumps(GOOD) + "\n").encode())
    code, out, err = papertide(config(tmp_path), "import", str(path))
    assert code == 0, err
    assert "imported 1 papers (1 new" in out


@pytest.mark.parametrize("name", ["-", "/dev/stdin"])
def test_papers_piped_on_standard_input_are_read_once(tmp_path: Path, name: str) -> None:
    data = (json.dumps(GOOD) + "\n").encode()
    command = [sys.executable, "-m", "papertide", "--config", str(config(tmp_path)), "import"]
    result = subprocess.run([*command, name], input=data, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert "imported 1 papers (1 new" in result.stdout.decode()
    assert stored(tmp_path) == 1


def test_front_matter_stays_valid_yaml_for_a_store_written_before_import_stripped(
    tmp_path: Path,
) -> None:
    from datetime import date

    from papertide.records import Paper
    from papertide.store import Store

    old = Paper("2606.00009", 1, "Gaussian\u009f splatting\u0085 old", ("A\u009f B",),
                "gaussian splatting", ("cs.CV",), announced=date(2026, 6, 16))  # fmt: skip
    with Store(tmp_path / "store.db") as store:
        store.upsert_papers([old])
    code, _, err = papertide(config(tmp_path), "run", "--from", str(jsonl(tmp_path, GOOD)))
    assert code == 0, err
    (post,) = (tmp_path / "hexo").glob("*.md")
    assert (
        "Gaussian splatting"
        in yaml.safe_load(post.read_text("utf-8").split("---\n")[1])["description"]
    )
