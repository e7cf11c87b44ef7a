"""The SQLite store: migrations, idempotent upserts, revisions, locking, atomicity."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from papertide.errors import LockedError, StoreError
from papertide.records import AnnounceType, Feedback, Match, Paper
from papertide.store import Store, migrations

PAPER = Paper(
    arxiv_id="2606.00001",
    version=1,
    title="Unpaired Image-to-Image Translation",
    authors=("Ana Li", "Bo Chen"),
    abstract="We translate day photos to night.",
    categories=("cs.CV", "cs.GR"),
    announced=date(2026, 6, 16),
    announce_type=AnnounceType.NEW,
)


def rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_new_store_is_migrated_once(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    latest = migrations()[-1][0]
    with Store(path) as store:
        assert store.schema_version == latest
    with Store(path) as store:  # reopening applies nothing twice
        assert store.schema_version == latest
    assert rows(path, "papers") == 0


def test_same_paper_twice_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        assert store.upsert_papers([PAPER]).new == 1
        again = store.upsert_papers([PAPER])
    assert (again.new, again.revised, again.unchanged) == (0, 0, 1)
    assert rows(path, "papers") == 1
    assert rows(path, "versions") == 1


def test_a_newer_version_updates_the_paper_and_an_older_one_is_ignored(tmp_path: Path) -> None:
    v2 = replace(
        PAPER,
        version=2,
        title="Unpaired I2I Translation, revised",
        announced=date(2026, 6, 18),
        announce_type=AnnounceType.REPLACE,
    )
    with Store(tmp_path / "s.db") as store:
        store.upsert_papers([PAPER])
        assert store.upsert_papers([v2]).revised == 1
        assert store.upsert_papers([PAPER]).unchanged == 1  # a stale v1 changes nothing
        stored = store.get_paper(PAPER.arxiv_id)
    assert stored is not None
    assert (stored.version, stored.title, stored.announced) == (2, v2.title, date(2026, 6, 18))
    assert stored.authors == PAPER.authors and stored.categories == PAPER.categories
    assert rows(tmp_path / "s.db", "papers") == 1
    assert rows(tmp_path / "s.db", "versions") == 2


def test_same_version_from_a_richer_source_fills_missing_fields(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.upsert_papers([PAPER])
        store.upsert_papers([replace(PAPER, comment="Accepted by CVPR 2026")])
        stored = store.get_paper(PAPER.arxiv_id)
    assert stored is not None and stored.comment == "Accepted by CVPR 2026"


def test_a_failed_write_leaves_the_store_unchanged(tmp_path: Path) -> None:
    def papers() -> object:
        yield PAPER
        raise RuntimeError("killed halfway")

    with Store(tmp_path / "s.db") as store, pytest.raises(RuntimeError):
        store.upsert_papers(papers())  # type: ignore[arg-type]
    assert rows(tmp_path / "s.db", "papers") == 0


def test_second_run_cannot_take_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as first, Store(path) as second:
        first.lock()
        with pytest.raises(LockedError, match=r"in use by another papertide run \(pid \d+\)"):
            second.lock()
        first.unlock()
        second.lock()  # free again once the first run is done


def test_matches_are_upserted(tmp_path: Path) -> None:
    match = Match(PAPER.arxiv_id, 1, "i2i", date(2026, 6, 16), True, 0.8, "title matches 'x'")
    with Store(tmp_path / "s.db") as store:
        store.upsert_papers([PAPER])
        store.save_matches([match])
        store.save_matches([replace(match, score=0.9)])
        listed = store.selected_on("i2i", date(2026, 6, 16))
        assert store.topic_days("i2i") == [(date(2026, 6, 16), 1)]
    assert [(p.arxiv_id, m.score, a) for p, m, a in listed] == [
        (PAPER.arxiv_id, 0.9, AnnounceType.NEW)
    ]


def test_a_file_that_is_not_a_database_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(path)


def test_ratings_are_kept_per_topic_and_a_later_one_replaces_the_earlier(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    monday, tuesday = datetime(2026, 6, 22, 9, 0, tzinfo=UTC), datetime(2026, 6, 23, 9, 0)
    liked = Feedback(PAPER.arxiv_id, "i2i", True, "page", monday)
    with Store(path) as store:
        disliked = Feedback("2606.00002", "i2i", False, "page", monday)
        assert store.add_feedback([liked, disliked]) == 2
        assert store.add_feedback([Feedback(PAPER.arxiv_id, "3dgs", False, "serve")]) == 1
        assert store.add_feedback([liked]) == 0  # the same rating again changes nothing
        # an export made before the reader changed their mind does not undo the change
        assert store.add_feedback([replace(liked, relevant=False, rated_at=tuesday)]) == 1
        assert store.add_feedback([liked]) == 0
    with Store(path) as store:  # kept in the file
        i2i = store.feedback_for("i2i")
        assert [(f.paper_id, f.relevant, f.source) for f in i2i] == [
            ("2606.00002", False, "page"),
            (PAPER.arxiv_id, False, "page"),
        ]
        assert i2i[1].rated_at == tuesday.replace(tzinfo=UTC)
        assert [(f.paper_id, f.relevant) for f in store.feedback_for("3dgs")] == [
            (PAPER.arxiv_id, False)
        ]
        assert store.feedback_for("talking") == []
    assert rows(path, "feedback") == 3


def test_a_batch_of_ratings_is_stored_whole_or_not_at_all(tmp_path: Path) -> None:
    def ratings() -> object:
        yield Feedback(PAPER.arxiv_id, "i2i", True, "file")
        raise RuntimeError("killed halfway")

    with Store(tmp_path / "s.db") as store, pytest.raises(RuntimeError):
        store.add_feedback(ratings())  # type: ignore[arg-type]
    assert rows(tmp_path / "s.db", "feedback") == 0
