"""A functional test in the style of pelican's: a small committed input (tests/functional/input)
is imported and published with the command line, and the site, its feeds and the Hexo posts
are compared file by file with the committed expected output. A change that alters what a
reader gets shows here as a diff; when the change is meant, `make functional-expected`
regenerates tests/functional/expected and the diff is reviewed in the commit."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "functional"))

import build  # noqa: E402


def test_the_sample_site_feeds_and_posts_are_as_committed(tmp_path: Path) -> None:
    got, want = build.build(tmp_path), build.expected()
    assert sorted(got) == sorted(want), "files written differ; `make functional-expected`"
    changed = [rel for rel in want if got[rel] != want[rel]]
    diffs = [
        "".join(
            difflib.unified_diff(
                want[rel].decode("utf-8").splitlines(keepends=True),
                got[rel].decode("utf-8").splitlines(keepends=True),
                f"expected/{rel}",
                f"built/{rel}",
            )
        )
        for rel in changed[:3]
    ]
    assert changed == [], "\n".join(diffs)
