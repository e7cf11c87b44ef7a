"""Build the functional test's sample site, or (with --regenerate) its expected output.

    python tests/functional/build.py --regenerate    # `make functional-expected`

The input (``input/``: a config and two days of papers, then a revision) is imported and
published with the command line, as a user would; the site (without the vendored files of
``static/``) and the Hexo posts are the output, compared file by file with ``expected/``.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from papertide.cli import main

HERE = Path(__file__).resolve().parent
INPUT = HERE / "input"
EXPECTED = HERE / "expected"
# Decisions are dated when they are made; the sample's are dated here instead, so that the
# pages' and feeds' times do not depend on the day the test runs.
DECIDED_AT = "2026-06-18T06:00:00+00:00"


def papertide(config: Path, *args: str) -> None:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    if result.exit_code != 0:
        raise RuntimeError(f"papertide {' '.join(args)} failed: {result.output}")


def build(work: Path) -> dict[str, bytes]:
    """Build the sample in ``work``; every output file as {relative path: content}."""
    shutil.copytree(INPUT, work, dirs_exist_ok=True)
    config = work / "papertide.toml"
    papertide(config, "import", str(work / "day1-2.jsonl"))
    papertide(config, "import", str(work / "revision.jsonl"))
    with sqlite3.connect(work / "store.db") as db:
        db.execute("UPDATE matches SET decided_at = ?", (DECIDED_AT,))
    papertide(config, "build")
    files = {}
    for folder in ("site", "hexo"):
        for path in sorted((work / folder).rglob("*")):
            rel = path.relative_to(work).as_posix()
            vendored = rel.startswith("site/static/") and path.name != "search-index.js"
            if path.is_file() and not vendored:
                files[rel] = path.read_bytes()
    return files


def expected() -> dict[str, bytes]:
    return {
        path.relative_to(EXPECTED).as_posix(): path.read_bytes()
        for path in sorted(EXPECTED.rglob("*"))
        if path.is_file()
    }


def regenerate() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = build(Path(tmp))
    shutil.rmtree(EXPECTED, ignore_errors=True)
    for rel, data in files.items():
        target = EXPECTED / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    print(f"wrote {len(files)} files to {EXPECTED}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(__doc__)
    regenerate()
