"""The store, on SQLite and on a real PostgreSQL server: migrations, idempotent upserts,
revisions, every cache and record it keeps, atomicity and the run lock across processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from papertide.errors import LockedError, StoreError
from papertide.records import AnnounceType, Feedback, Figure, Match, Paper, Writeup
from papertide.store import HarvestState, LLMUsageRecord, OutboxMessage, Store, migrations

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
DAY = date(2026, 6, 16)


def rows(store: Store, table: str) -> int:
    return int(store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def paper(n: int, **changes: object) -> Paper:
    return replace(PAPER, arxiv_id=f"2606.{n:05d}", **changes)  # type: ignore[arg-type]


def test_new_store_is_migrated_once(store_target: Path | str) -> None:
    latest = migrations()[-1][0]
    with Store(store_target) as store:
        assert store.schema_version == latest
    with Store(store_target) as store:  # reopening applies nothing twice
        assert store.schema_version == latest
        assert rows(store, "papers") == 0


def test_stores_opened_at_once_migrate_once(store_target: Path | str) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Store(store_target).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Store(store_target) as store:
        assert store.schema_version == migrations()[-1][0]


def test_same_paper_twice_adds_nothing(store_target: Path | str) -> None:
    with Store(store_target) as store:
        assert store.upsert_papers([PAPER]).new == 1
        again = store.upsert_papers([PAPER])
        assert (again.new, again.revised, again.unchanged) == (0, 0, 1)
        assert rows(store, "papers") == 1
        assert rows(store, "versions") == 1
        # the paper as stored; how each version was announced is kept with the versions
        assert store.get_paper(PAPER.arxiv_id) == replace(PAPER, announce_type=AnnounceType.UNKNOWN)


def test_a_newer_version_updates_the_paper_and_an_older_one_is_ignored(
    store_target: Path | str,
) -> None:
    v2 = replace(
        PAPER,
        version=2,
        title="Unpaired I2I Translation, revised",
        announced=date(2026, 6, 18),
        announce_type=AnnounceType.REPLACE,
    )
    with Store(store_target) as store:
        store.upsert_papers([PAPER])
        assert store.upsert_papers([v2]).revised == 1
        assert store.upsert_papers([PAPER]).unchanged == 1  # a stale v1 changes nothing
        stored = store.get_paper(PAPER.arxiv_id)
        assert stored is not None
        assert (stored.version, stored.title, stored.announced) == (2, v2.title, date(2026, 6, 18))
        assert stored.authors == PAPER.authors and stored.categories == PAPER.categories
        assert rows(store, "papers") == 1
        assert rows(store, "versions") == 2


def test_same_version_from_a_richer_source_fills_missing_fields(store_target: Path | str) -> None:
    with Store(store_target) as store:
        store.upsert_papers([PAPER])
        store.upsert_papers([replace(PAPER, comment="Accepted by CVPR 2026")])
        stored = store.get_paper(PAPER.arxiv_id)
    assert stored is not None and stored.comment == "Accepted by CVPR 2026"


def test_text_is_kept_exactly(store_target: Path | str) -> None:
    hostile = replace(
        PAPER,
        title="50% of <b>'quoted'</b> \"text\"? $\\alpha$ — 高斯泼溅 ∑",
        authors=("Zoë O'Brien", "王 小明"),
        abstract="100% sure; -- not a comment; ? and %s stay as they are",
    )
    with Store(store_target) as store:
        store.upsert_papers([hostile])
        stored = store.get_paper(PAPER.arxiv_id)
    assert stored is not None
    assert (stored.title, stored.authors, stored.abstract) == (
        hostile.title,
        hostile.authors,
        hostile.abstract,
    )


def test_papers_are_read_in_id_order_across_chunks(store_target: Path | str) -> None:
    ids = [5, 1, 4, 2, 3]
    with Store(store_target) as store:
        store.upsert_papers([paper(n) for n in ids])
        assert [p.arxiv_id for p in store.papers(chunk=2)] == [f"2606.{n:05d}" for n in range(1, 6)]
        assert store.count_papers() == 5


def test_a_failed_write_leaves_the_store_unchanged(store_target: Path | str) -> None:
    def papers() -> object:
        yield PAPER
        raise RuntimeError("killed halfway")

    with Store(store_target) as store:
        with pytest.raises(RuntimeError):
            store.upsert_papers(papers())  # type: ignore[arg-type]
        assert rows(store, "papers") == 0
        store.upsert_papers([PAPER])  # the store is usable afterwards
        assert rows(store, "papers") == 1


def test_second_run_cannot_take_the_lock(store_target: Path | str) -> None:
    with Store(store_target) as first, Store(store_target) as second:
        first.lock()
        with pytest.raises(LockedError, match=r"in use by another papertide run \(pid \d+ on "):
            second.lock()
        first.unlock()
        second.lock()  # free again once the first run is done


HOLD_LOCK = """
import sys, time
from papertide.store import Store
store = Store(sys.argv[1])
store.lock()
store.start_run("run", "holder")
print("locked", flush=True)
time.sleep(120)
"""


def take_within(store: Store, seconds: float) -> None:
    """Take the lock, waiting for a server to notice that its holder's connection is gone
    (a PostgreSQL backend learns of it a moment after the process dies)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            store.lock()
            return
        except LockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_a_run_in_another_process_holds_the_lock_until_it_dies(store_target: Path | str) -> None:
    Store(store_target).close()  # migrated before the holder starts
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(store_target)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with Store(store_target) as store:
            with pytest.raises(LockedError, match=rf"\(pid {holder.pid} on "):
                store.lock()
            holder.send_signal(signal.SIGKILL)  # a run killed halfway ...
            holder.wait(timeout=30)
            take_within(store, seconds=30)  # ... leaves the store free, never locked for good
            assert [r.source for r in store.recent_runs()] == ["holder"]
    finally:
        holder.kill()
        holder.wait()


def test_matches_are_upserted_and_pending_selection_follows_them(
    store_target: Path | str,
) -> None:
    match = Match(PAPER.arxiv_id, 1, "i2i", DAY, True, 0.8, "title matches 'x'")
    with Store(store_target) as store:
        store.upsert_papers([PAPER, paper(2)])
        assert store.count_pending_selection(["i2i", "3dgs"]) == 2
        store.save_matches([match, replace(match, topic="3dgs", selected=False, score=0.1)])
        store.save_matches([replace(match, score=0.9)])
        assert store.count_pending_selection(["i2i", "3dgs"]) == 1
        assert [(p.arxiv_id, t) for p, t in store.pending_selection(["i2i", "3dgs"])] == [
            ("2606.00002", ["i2i", "3dgs"])
        ]
        listed = store.selected(["i2i", "3dgs"])
        assert store.topic_days("i2i") == [(DAY, 1)]
        assert store.topic_days("3dgs") == []
        store.reset_topic("i2i", "new definition")
        assert store.topic_fingerprint("i2i") == "new definition"
        assert store.count_pending_selection(["i2i"]) == 2
    assert [(s.paper.arxiv_id, s.match.day, s.match.score, s.announce_type) for s in listed] == [
        (PAPER.arxiv_id, DAY, 0.9, AnnounceType.NEW)
    ]


def test_near_misses_fill_a_day_page_with_the_best_papers_not_selected(
    store_target: Path | str,
) -> None:
    other = date(2026, 6, 17)
    papers = [paper(n) for n in range(1, 9)]
    scores = {1: 0.9, 2: 0.7, 3: 0.45, 4: 0.3, 5: 0.35, 6: 0.0, 7: 0.2, 8: 0.4}
    matches = [
        Match(p.arxiv_id, 1, "i2i", DAY, scores[n] >= 0.5, scores[n], f"reason {n}")
        for n, p in zip(range(1, 9), papers, strict=True)
    ]
    # paper 8's revision is selected on the next day: it is on a page already
    revised = paper(8, version=2, announced=other, announce_type=AnnounceType.REPLACE)
    matches.append(Match(revised.arxiv_id, 2, "i2i", other, True, 0.6, "v2"))
    # a day with nothing selected has no page, so nothing to fill
    matches.append(Match(papers[6].arxiv_id, 1, "3dgs", DAY, False, 0.48, "close"))
    with Store(store_target) as store:
        store.upsert_papers(papers)
        store.upsert_papers([revised])
        store.save_matches(matches)
        near = store.near_misses(["i2i", "3dgs"], 5)
        assert store.near_misses(["i2i"], 1) == []  # the selected papers fill the pages
    # 2 selected + the best 3 of the rest with a score above 0 (paper 6, ruled out, never)
    assert [(s.paper.arxiv_id, s.match.day, s.match.selected, s.match.reason) for s in near] == [
        ("2606.00003", DAY, False, "reason 3"),
        ("2606.00005", DAY, False, "reason 5"),
        ("2606.00004", DAY, False, "reason 4"),
    ]


def test_embeddings_and_topic_vectors_come_back_bit_for_bit(store_target: Path | str) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((3, 384)).astype(np.float32)
    with Store(store_target) as store:
        store.upsert_papers([paper(n) for n in range(3)])
        store.save_embeddings("m", [(f"2606.{n:05d}", 1, vectors[n]) for n in range(3)])
        store.save_embeddings("m", [("2606.00000", 1, vectors[2])])  # replaced, not added
        found = store.get_embeddings([(f"2606.{n:05d}", 1) for n in range(4)], "m")
        assert store.get_embeddings([(f"2606.{n:05d}", 1) for n in range(3)], "other") == {}
        store.save_topic_vectors("i2i", "m", "fp1", ["description", "+x"], vectors[:2])
        cached = store.get_topic_vectors("i2i", "m", "fp1")
        assert store.get_topic_vectors("i2i", "m", "fp2") is None
    assert set(found) == {(f"2606.{n:05d}", 1) for n in range(3)}
    assert found[("2606.00000", 1)].tobytes() == vectors[2].tobytes()
    assert found[("2606.00001", 1)].tobytes() == vectors[1].tobytes()
    assert cached is not None and cached[0] == ["description", "+x"]
    assert cached[1].tobytes() == vectors[:2].tobytes()


def test_writeups_and_their_failures(store_target: Path | str) -> None:
    w = Writeup(PAPER.arxiv_id, 1, "zh-CN", "m", "v1", "翻译", "摘要。", ("一", "二"), ("13",))
    key = (PAPER.arxiv_id, 1, "m", "v1", "zh-CN")
    with Store(store_target) as store:
        store.upsert_papers([PAPER])
        store.save_writeup_failure(*key, "not JSON")
        store.save_writeup_failure(*key, "still not JSON")
        assert store.writeup_failure(*key) == ("still not JSON", 2)
        assert store.count_writeups() == (0, 1)
        store.save_writeup(replace(w, summary="old"))
        store.save_writeup(w)
        assert store.get_writeup(*key) == w
        assert store.writeup_failure(*key) is None
        assert store.count_writeups() == (1, 0)
        # Another model and prompt version wrote it later: the newest is what a page shows.
        assert store.latest_writeup(PAPER.arxiv_id, 1, "zh-CN") == w
        newer = replace(w, model="m2", prompt_version="v2", summary="新的摘要。")
        store.save_writeup(newer)
        assert store.latest_writeup(PAPER.arxiv_id, 1, "zh-CN") == newer
        assert store.latest_writeup(PAPER.arxiv_id, 1, "en") is None
        assert store.latest_writeup(PAPER.arxiv_id, 2, "zh-CN") is None


def test_figures_and_their_jobs(store_target: Path | str) -> None:
    box = (1.5, 2.0, 3.0, 4.0)
    figure = Figure(PAPER.arxiv_id, 1, 0, "figure", "1", "Figure 1: x", 2, "f/1.webp", box)
    with Store(store_target) as store:
        store.upsert_papers([PAPER])
        assert store.figure_job(PAPER.arxiv_id, 1) is None
        store.save_figures(PAPER.arxiv_id, 1, [], "retry", "download failed", 1.25)
        store.save_figures(PAPER.arxiv_id, 1, [figure], "ok", None, 2.5)
        assert store.figure_job(PAPER.arxiv_id, 1) == ("ok", 2)
        assert store.figures_of(PAPER.arxiv_id, 1) == (figure,)


def test_harvest_state_and_the_outbox(store_target: Path | str) -> None:
    state = HarvestState("oai:cs", DAY, datetime(2026, 6, 17, 1, 30, tzinfo=UTC), "token|1")
    email = OutboxMessage("email:me@example.org", f"daily:{DAY}", "digest", "text", "<p>h</p>")
    push = OutboxMessage("notify:json://h/{TOKEN}", f"daily:i2i:{DAY}", "I2I", "1. [A](u)")
    with Store(store_target) as store:
        store.save_harvest_state(state)
        assert store.harvest_state("oai:cs") == state
        assert store.harvest_state("rss:cs.CV") is None
        assert store.queue_message(email) is True
        assert store.queue_message(email) is False  # a period is queued once per channel
        assert store.queue_message(push) is True
        store.mark_message(email.channel, email.key, "connection refused")
        failed = replace(email, attempts=1, last_error="connection refused")
        assert store.unsent_messages(email.channel) == [failed]
        assert store.unsent_messages() == [failed, push]
        store.mark_message(email.channel, email.key, None)
        assert store.unsent_messages(email.channel) == []
        assert store.outbox_keys(email.channel, "daily:") == {f"daily:{DAY}"}
        assert store.outbox_keys(push.channel, "daily:3dgs:") == set()


def test_incidents_open_once_and_close(store_target: Path | str) -> None:
    with Store(store_target) as store:
        first = store.open_incident("topic-empty", "i2i", "nothing for 3 days")
        assert first is not None and first.closed_at is None
        assert store.open_incident("topic-empty", "i2i", "still nothing") is None
        assert store.open_incidents() == [first]
        assert store.close_incident("topic-empty", "i2i") is True
        assert store.close_incident("topic-empty", "i2i") is False
        again = store.open_incident("topic-empty", "i2i", "nothing again")
        assert again is not None and again.opened_at > first.opened_at
        store.upsert_papers([replace(PAPER, arxiv_id=f"2606.0000{i}") for i in (1, 2, 3)])
        store.save_matches(
            [
                Match("2606.00001", 1, "i2i", DAY, False, 0.2, "no"),
                Match("2606.00002", 1, "i2i", DAY, True, 0.8, "yes"),
                Match("2606.00003", 1, "i2i", date(2026, 6, 15), False, 0.1, "no"),
            ]
        )
        assert store.recent_decision_days("i2i", 5) == [(DAY, 2, 1), (date(2026, 6, 15), 1, 0)]


def test_runs_their_usage_and_month_totals(store_target: Path | str) -> None:
    with Store(store_target) as store:
        first = store.start_run("run", "feed.xml")
        store.finish_run(first, "ok", fetched=4, new=2, selected=1, pages_written=3)
        second = store.start_run("run", "")
        store.record_llm_usage(second, LLMUsageRecord("m", 2, 100, 50, 0.25, 1, 1, 0))
        store.finish_run(second, "failed", error="arXiv is unreachable")
        assert second > first
        assert [(r.id, r.status, r.error) for r in store.recent_runs()] == [
            (second, "failed", "arXiv is unreachable"),
            (first, "ok", None),
        ]
        usage = store.llm_usage(second)
        assert usage is not None and (usage.calls, usage.cost, usage.written) == (2, 0.25, 1)
        assert store.llm_usage(first) is None
        month = datetime.now(UTC).strftime("%Y-%m")
        totals = store.month_totals(month)
        assert (totals.runs, totals.failed, totals.fetched, totals.new, totals.selected) == (
            2,
            1,
            4,
            2,
            1,
        )
        assert (totals.llm_calls, totals.llm_tokens, totals.llm_cost) == (2, 150, 0.25)
        assert store.month_totals("1999-01").runs == 0


def test_a_file_that_is_not_a_database_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(path)


def test_ratings_are_kept_per_topic_and_a_later_one_replaces_the_earlier(
    store_target: Path | str,
) -> None:
    monday, tuesday = datetime(2026, 6, 22, 9, 0, tzinfo=UTC), datetime(2026, 6, 23, 9, 0)
    liked = Feedback(PAPER.arxiv_id, "i2i", True, "page", monday)
    with Store(store_target) as store:
        disliked = Feedback("2606.00002", "i2i", False, "page", monday)
        assert store.add_feedback([liked, disliked]) == 2
        assert store.add_feedback([Feedback(PAPER.arxiv_id, "3dgs", False, "serve")]) == 1
        assert store.add_feedback([liked]) == 0  # the same rating again changes nothing
        # an export made before the reader changed their mind does not undo the change
        assert store.add_feedback([replace(liked, relevant=False, rated_at=tuesday)]) == 1
        assert store.add_feedback([liked]) == 0
    with Store(store_target) as store:  # kept in the store
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
        assert rows(store, "feedback") == 3


def test_a_batch_of_ratings_is_stored_whole_or_not_at_all(store_target: Path | str) -> None:
    def ratings() -> object:
        yield Feedback(PAPER.arxiv_id, "i2i", True, "file")
        raise RuntimeError("killed halfway")

    with Store(store_target) as store:
        with pytest.raises(RuntimeError):
            store.add_feedback(ratings())  # type: ignore[arg-type]
        assert rows(store, "feedback") == 0


def test_an_unreachable_server_gets_a_clear_error() -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(StoreError, match=r"cannot connect to the store .*\[store\] url"):
        Store("postgresql://papertide@127.0.0.1:9/nowhere")


def test_library_entries_find_stored_papers_by_id_and_by_doi(store_target: Path | str) -> None:
    with Store(store_target) as store:
        store.upsert_papers([replace(PAPER, doi="10.1109/CVPR.2026.42")])
        assert store.stored_ids(["2606.99999", PAPER.arxiv_id, PAPER.arxiv_id]) == {PAPER.arxiv_id}
        assert store.ids_by_doi(["10.1109/cvpr.2026.42", "10.1000/none"]) == {
            "10.1109/cvpr.2026.42": PAPER.arxiv_id
        }
        assert store.stored_ids([]) == set() and store.ids_by_doi([]) == {}


def test_an_email_waiting_before_the_upgrade_is_kept_in_the_outbox(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        for number, sql in migrations():
            if number < 8:
                db.executescript(sql)
        db.execute("PRAGMA user_version = 7")
        db.execute(
            "INSERT INTO email_outbox (recipient, day, message_id, subject, body_text,"
            " body_html, queued_at, attempts, last_error) VALUES ('me@example.org',"
            " '2026-06-16', '<id@x>', 'digest', 'text', '<p>h</p>', '2026-06-16T07:00:00', 1,"
            " 'connection refused')"
        )
    with Store(path) as store:
        [waiting] = store.unsent_messages("email:me@example.org")
    assert waiting == OutboxMessage(
        "email:me@example.org",
        "daily:2026-06-16",
        "digest",
        "text",
        "<p>h</p>",
        "<id@x>",
        1,
        "connection refused",
    )
