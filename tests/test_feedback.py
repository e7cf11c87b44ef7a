"""`papertide feedback`: importing exported ratings (broken ones named, the rest kept), listing
them, a locked store, and re-judging only the rated topic."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from clirun import papertide

from papertide.store import Store


@pytest.fixture
def project(tmp_path: Path, fixtures: Path) -> Path:
    shutil.copy(fixtures / "pipeline" / "config.toml", tmp_path / "config.toml")
    code, _, err = papertide(
        tmp_path / "config.toml", "import", str(fixtures / "pipeline" / "day1-2.jsonl")
    )
    assert code == 0, err
    return tmp_path


def ratings_file(folder: Path, *ratings: object) -> Path:
    path = folder / "papertide-ratings-2026-06-23.json"
    document = {
        "format": "papertide-ratings",
        "version": 1,
        "exported_at": "2026-06-23T09:12:00.000Z",
        "ratings": list(ratings),
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_import_keeps_good_ratings_and_names_the_bad_and_unknown_topics(project: Path) -> None:
    path = ratings_file(
        project,
        {
            "paper": "2606.00001v1",
            "topic": "i2i",
            "relevant": True,
            "rated_at": "2026-06-22T10:00:00Z",
        },
        {"paper": "2606.00002", "topic": "3dgs", "relevant": "yes"},
        {"paper": "not an id", "topic": "3dgs", "relevant": False},
        {"paper": "2606.00005", "topic": "old-topic", "relevant": True},
        {"paper": "2606.00005", "topic": "3dgs", "relevant": False},
    )
    code, out, err = papertide(project / "config.toml", "feedback", "import", str(path))
    assert code == 0, err
    assert out.strip() == (
        "2 ratings recorded (0 already known); judged again by the next run: i2i, 3dgs"
    )
    assert "rating 2 skipped: relevant: Input should be a valid boolean" in err
    assert "rating 3 skipped: not an arXiv identifier: 'not an id'" in err
    assert "1 rating(s) for topic 'old-topic' skipped: no such topic in the config" in err
    with Store(project / "store.db") as store:
        i2i = store.feedback_for("i2i")
        assert [(r.paper_id, r.relevant, r.source) for r in i2i] == [("2606.00001", True, "page")]
        assert i2i[0].rated_at is not None and i2i[0].rated_at.isoformat() == (
            "2026-06-22T10:00:00+00:00"
        )
    code, out, _ = papertide(project / "config.toml", "feedback", "list", "--topic", "3dgs")
    assert re.search(r"3dgs\s+│\s+2606\.00005\s+│\s+not relevant\s+│\s+page", out), out


def test_a_file_that_is_not_a_ratings_export_changes_nothing(project: Path) -> None:
    other = project / "other.json"
    other.write_text('{"papers": []}', encoding="utf-8")
    code, _, err = papertide(project / "config.toml", "feedback", "import", str(other))
    assert code == 1
    assert 'not a papertide ratings file (it needs "format": "papertide-ratings")' in err
    cut = project / "cut.json"
    cut.write_text('{"format": "papertide-ratings", "ratings": [', encoding="utf-8")
    code, _, err = papertide(project / "config.toml", "feedback", "import", str(cut))
    assert code == 1 and "cut.json:1: not valid JSON" in err
    with Store(project / "store.db") as store:
        assert store.feedback_for("i2i") == [] and store.feedback_for("3dgs") == []


def test_import_into_a_store_a_run_holds_says_so_and_changes_nothing(project: Path) -> None:
    path = ratings_file(project, {"paper": "2606.00001", "topic": "i2i", "relevant": True})
    with Store(project / "store.db") as store:
        store.lock()
        code, _, err = papertide(project / "config.toml", "feedback", "import", str(path))
    assert code == 1
    assert "is in use by another papertide run" in err and "wait for it to finish" in err
    with Store(project / "store.db") as store:
        assert store.feedback_for("i2i") == []


def test_a_changed_rating_rejudges_its_topic_only(project: Path) -> None:
    config = project / "config.toml"

    def decided() -> int:
        code, out, err = papertide(config, "build")
        assert code == 0, err
        found = re.search(r"(\d+) of (\d+) new decisions", out)
        assert found, out
        return int(found.group(2))

    assert decided() == 0  # `import` decided everything already
    rating = {"paper": "2606.00002", "topic": "3dgs", "relevant": True}
    papertide(config, "feedback", "import", str(ratings_file(project, rating)))
    assert decided() == 5  # the five stored papers, for 3dgs only
    papertide(config, "feedback", "import", str(ratings_file(project, rating)))
    assert decided() == 0  # the same rating again: nothing to judge
