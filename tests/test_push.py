"""Chat pushes through the real Apprise library to a local HTTP endpoint on 127.0.0.1:
its json:// target and a Mattermost webhook URL, with a real store."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from clirun import papertide
from test_publish import DAY1, DAY2, DAY3, GS, I2I, digest, entry, sample_digests
from webhook import Endpoint, endpoint

from papertide.config import NotifyConfig
from papertide.publish.push import deliver
from papertide.records import Digest, DigestEntry
from papertide.store import Store

BASE = "https://example.org/papers/"
SECRET = "hook-5ecr3t-9f8e7d6c5b4a"


@pytest.fixture
def hook() -> Iterator[Endpoint]:
    with endpoint() as server:
        yield server


def scored(e: DigestEntry, score: float) -> DigestEntry:
    return dataclasses.replace(e, match=dataclasses.replace(e.match, score=score))


def store_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_one_message_per_topic_day_with_summary_permalink_and_arxiv_link(
    tmp_path: Path, hook: Endpoint
) -> None:
    target = NotifyConfig(url=hook.url("json", "/papers"))
    with Store(tmp_path / "p.db") as store:
        report = deliver(store, [target], sample_digests(), "papertide", BASE)
    assert (report.queued, report.sent, report.failed) == (1, 1, 0)
    assert report.line() == "push: 1 sent"
    [request] = hook.requests
    assert request.path == "/papers"
    payload = request.json()
    # the first push is the newest day only
    assert payload["title"] == "Image-to-image translation: 2 papers on Tuesday, 16 June 2026"
    lines = payload["message"].splitlines()
    assert lines[0] == (
        f"1. [CycleDiff: Unpaired Image-to-Image Translation]({BASE}i2i/{DAY3}.html#2606.00100)"
        " · [arXiv](https://arxiv.org/abs/2606.00100)  "
    )
    assert lines[1].strip() == "本文提出一种图像翻译方法。"  # the summary, in zh-CN
    # without a write-up, the abstract's first sentence stands in
    assert lines[2].startswith("2. [Revised sketch-to-photo]")
    assert lines[3].strip().startswith("We translate images between domains")
    assert lines[-1] == f"On the site: {BASE}i2i/{DAY3}.html"


def test_top_limits_the_papers_and_the_best_scores_come_first(
    tmp_path: Path, hook: Endpoint
) -> None:
    papers = [scored(entry(f"2606.0{i:04d}", DAY3, f"Paper {i}"), i / 10) for i in range(1, 6)]
    target = NotifyConfig(url=hook.url("json"), top=2)
    with Store(tmp_path / "p.db") as store:
        deliver(store, [target], [digest(I2I, DAY3, *papers)], "papertide", BASE)
    [message] = hook.messages()
    titles = [line.split("]")[0] for line in message.splitlines() if line[:1].isdigit()]
    assert titles == ["1. [Paper 5", "2. [Paper 4"]
    assert message.splitlines()[-1] == f"… and 3 more: {BASE}i2i/{DAY3}.html"


def test_nothing_is_sent_twice_and_each_new_day_once(tmp_path: Path, hook: Endpoint) -> None:
    target = NotifyConfig(url=hook.url("json"))
    digests = sample_digests()
    with Store(tmp_path / "p.db") as store:
        deliver(store, [target], digests, "papertide", BASE)
        again = deliver(store, [target], digests, "papertide", BASE)
        assert (again.queued, again.sent) == (0, 0)
        later = DAY3 + timedelta(days=1)
        grown = [*digests, digest(I2I, later, entry("2606.00900", later, "Next day"))]
        deliver(store, [target], grown, "papertide", BASE)
        deliver(store, [target], grown, "papertide", BASE)
    assert [r.json()["title"].rsplit(" on ", 1)[1] for r in hook.requests] == [
        "Tuesday, 16 June 2026",
        "Wednesday, 17 June 2026",
    ]


def test_a_500_is_kept_and_retried_by_the_next_run(tmp_path: Path, hook: Endpoint) -> None:
    target = NotifyConfig(url=hook.url("json"))
    digests = sample_digests()
    with Store(tmp_path / "p.db") as store:
        hook.status = 500
        down = deliver(store, [target], digests, "papertide", BASE)
        assert (down.queued, down.sent, down.failed) == (1, 0, 1)
        assert "error=500" in down.line() and "kept for the next run" in down.line()
        [waiting] = store.unsent_messages(f"notify:{target.url}")
        assert waiting.attempts == 1 and waiting.last_error and "500" in waiting.last_error
        hook.status = 200
        retried = deliver(store, [target], digests, "papertide", BASE)
        assert (retried.queued, retried.sent, retried.failed) == (0, 1, 0)
        assert deliver(store, [target], digests, "papertide", BASE).sent == 0
    assert len(hook.requests) == 1


def test_a_mattermost_webhook_gets_its_secret_from_the_environment_only(
    tmp_path: Path, hook: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERTIDE_TEST_HOOK", SECRET)
    target = NotifyConfig(url=hook.url("mmost", "/{PAPERTIDE_TEST_HOOK}"), topics=("i2i",))
    db = tmp_path / "p.db"
    with Store(db) as store:
        hook.status = 500
        failed = deliver(store, [target], sample_digests(), "papertide", BASE)
        hook.status = 200
        sent = deliver(store, [target], sample_digests(), "papertide", BASE)
    assert failed.failed == 1 and sent.sent == 1
    assert SECRET not in " ".join(failed.errors) + failed.line()
    [request] = hook.requests
    assert request.path == f"/hooks/{SECRET}"  # the secret reached the service, and only it
    text = request.json()["text"]
    assert "Image-to-image translation: 2 papers on Tuesday, 16 June 2026" in text
    assert f"({BASE}i2i/{DAY3}.html#2606.00100)" in text
    assert SECRET.encode() not in store_bytes(db)
    assert b"{PAPERTIDE_TEST_HOOK}" in store_bytes(db)  # the store names the variable


def test_an_unset_variable_is_reported_and_the_message_kept(
    tmp_path: Path, hook: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERTIDE_TEST_HOOK", raising=False)
    target = NotifyConfig(url=hook.url("json", "/{PAPERTIDE_TEST_HOOK}"))
    with Store(tmp_path / "p.db") as store:
        report = deliver(store, [target], sample_digests(), "papertide", BASE)
        assert report.failed == 1
        assert "environment variable PAPERTIDE_TEST_HOOK" in report.errors[0]
        monkeypatch.setenv("PAPERTIDE_TEST_HOOK", "x1")
        assert deliver(store, [target], sample_digests(), "papertide", BASE).sent == 1
    assert [r.path for r in hook.requests] == ["/x1"]


def test_an_unreachable_service_never_stops_the_others(tmp_path: Path, hook: Endpoint) -> None:
    with endpoint() as gone:
        dead = gone.url("json")
    targets = [NotifyConfig(url=dead), NotifyConfig(url=hook.url("json"))]
    with Store(tmp_path / "p.db") as store:
        report = deliver(store, targets, sample_digests(), "papertide", BASE)
    assert (report.sent, report.failed) == (1, 1)
    assert report.errors[0].startswith(f"{dead}: ")
    assert len(hook.requests) == 1


def test_each_target_gets_only_its_topics(tmp_path: Path, hook: Endpoint) -> None:
    splat = entry("2606.00321", DAY3, "Faster Gaussian splatting")
    digests = [*sample_digests(), digest(GS, DAY3, splat)]
    targets = [NotifyConfig(url=hook.url("json", "/gs"), topics=("3dgs",))]
    targets.append(NotifyConfig(url=hook.url("json", "/all")))
    with Store(tmp_path / "p.db") as store:
        deliver(store, targets, digests, "papertide", BASE)
    got = sorted((r.path, r.json()["title"].split(":")[0]) for r in hook.requests)
    assert got == [
        ("/all", "Gaussian splatting"),
        ("/all", "Image-to-image translation"),
        ("/gs", "Gaussian splatting"),
    ]


def week_digests() -> list[Digest]:
    """Two days of week 25 of 2026, and a day of the next week, which closes it."""
    monday, tuesday, next_monday = DAY2, DAY3, DAY2 + timedelta(days=7)
    return [
        digest(
            I2I,
            monday,
            scored(entry("2606.00010", monday, "Monday's weaker paper"), 0.55),
            scored(entry("2606.00011", monday, "Monday's best paper", writeup=True), 0.95),
        ),
        digest(I2I, tuesday, scored(entry("2606.00100", tuesday, "Tuesday's paper"), 0.8)),
        digest(I2I, next_monday, entry("2606.00500", next_monday, "Next week")),
    ]


def test_weekly_push_ranks_the_week_by_score_grouped_by_day(tmp_path: Path, hook: Endpoint) -> None:
    target = NotifyConfig(url=hook.url("json"), daily=False, weekly=True, top=2)
    with Store(tmp_path / "p.db") as store:
        report = deliver(store, [target], week_digests(), "papertide", BASE)
        assert report.sent == 1
        assert deliver(store, [target], week_digests(), "papertide", BASE).sent == 0
    [request] = hook.requests
    payload = request.json()
    assert payload["title"] == (
        "Image-to-image translation: 3 papers in Week 25 of 2026 (15–21 June 2026)"
    )
    lines = payload["message"].splitlines()
    assert lines[0] == "**Monday, 15 June 2026**"
    assert lines[1].startswith(f"1. [Monday's best paper]({BASE}i2i/{DAY2}.html#2606.00011)")
    assert lines[3] == "**Tuesday, 16 June 2026**"
    assert lines[4].startswith("2. [Tuesday's paper]")
    assert lines[-1] == f"… and 1 more: {BASE}i2i/weeks/2026-W25.html"
    assert "weaker" not in payload["message"]


def test_an_open_week_is_not_pushed(tmp_path: Path, hook: Endpoint) -> None:
    target = NotifyConfig(url=hook.url("json"), daily=False, weekly=True)
    open_week = [d for d in week_digests() if d.day <= DAY3]
    with Store(tmp_path / "p.db") as store:
        assert deliver(store, [target], open_week, "papertide", BASE).queued == 0
    assert hook.requests == [] and date(2026, 6, 21) > DAY3 > DAY1


def test_doctor_says_which_push_variable_is_unset_and_never_prints_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "papertide.toml"
    config.write_text(
        '[select]\nembedder = "none"\n[llm]\nbackend = "none"\n'
        '[[notify]]\nurl = "tgram://{PAPERTIDE_TEST_BOT}/12345"\n'
        '[[topics]]\nname = "A"\nquery = "gaussian"\n'
    )
    monkeypatch.delenv("PAPERTIDE_TEST_BOT", raising=False)
    _, _, err = papertide(config, "doctor", "--timeout", "1")
    [line] = [x for x in err.splitlines() if x.startswith("FAIL push:")]
    assert "PAPERTIDE_TEST_BOT" in line and "export PAPERTIDE_TEST_BOT=" in line
    monkeypatch.setenv("PAPERTIDE_TEST_BOT", "123456:" + SECRET)
    _, out, err = papertide(config, "doctor", "--timeout", "1")
    assert "ok   push: 1 URL(s); every variable they name is set" in out
    assert SECRET not in out + err
