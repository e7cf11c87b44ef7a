"""Run-health alerts, as the owner meets them: `papertide run` against an unreachable arXiv,
a broken output folder and a topic that selects nothing, with the alerts pushed through the
real Apprise library to a local endpoint (and emailed through a local SMTP server): one
alert per incident, whatever the number of runs, and a recovery closes it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirun import papertide
from test_mail import Inbox, free_port
from webhook import Endpoint, endpoint

from papertide.health import ARXIV_UNREACHABLE, Outcome, review
from papertide.records import Topic
from papertide.store import Store

DEAD_ARXIV = '[arxiv]\nrss_url = "http://127.0.0.1:9/rss"\nmax_wait = 1\n'


@pytest.fixture
def hook() -> Iterator[Endpoint]:
    with endpoint() as server:
        yield server


def project(tmp_path: Path, fixtures: Path, alerts: str, extra: str = "") -> Path:
    shutil.copy(fixtures / "pipeline" / "day1-2.jsonl", tmp_path / "day1-2.jsonl")
    config = tmp_path / "config.toml"
    text = (fixtures / "pipeline" / "config.toml").read_text()
    config.write_text(text + "\n" + extra + alerts)
    return config


def alerts_to(hook: Endpoint, *more: str) -> str:
    return f'[alerts]\nurls = ["{hook.url("json", "/alerts")}"]\n' + "".join(more)


def test_arxiv_unreachable_is_alerted_once_with_what_to_do(
    tmp_path: Path, fixtures: Path, hook: Endpoint
) -> None:
    config = project(tmp_path, fixtures, alerts_to(hook), DEAD_ARXIV)
    code, out, _ = papertide(config, "run")
    assert code == 3
    assert "alerts: 1 opened (arxiv-unreachable); 1 sent" in out
    for _ in range(2):  # the outage goes on: no second alert
        code, out, _ = papertide(config, "run")
        assert code == 3 and "alerts:" not in out
    [request] = hook.requests
    alert = request.json()
    assert alert["title"] == "papertide: arXiv is unreachable"
    assert "arXiv is unreachable: 127.0.0.1:9" in alert["message"]
    assert "What to do:" in alert["message"] and "next run fetches" in alert["message"]


def test_a_recovery_closes_the_incident_and_a_new_outage_is_a_new_alert(tmp_path: Path) -> None:
    topics = [Topic(slug="i2i", name="I2I", query="gan")]
    with Store(tmp_path / "p.db") as store:
        down = Outcome(harvested=True, unreachable="arXiv is unreachable: timed out")
        assert [i.kind for i in review(store, topics, 3, down).opened] == [ARXIV_UNREACHABLE]
        assert review(store, topics, 3, down).opened == ()
        assert review(store, topics, 3, Outcome()).closed == ()  # no harvest: nothing shown
        back = review(store, topics, 3, Outcome(harvested=True))
        assert back.closed == (ARXIV_UNREACHABLE,) and store.open_incidents() == []
        again = review(store, topics, 3, down)
        assert [i.kind for i in again.opened] == [ARXIV_UNREACHABLE]


def test_a_failed_run_is_alerted_once_and_the_next_good_run_closes_it(
    tmp_path: Path, fixtures: Path, hook: Endpoint
) -> None:
    config = project(tmp_path, fixtures, alerts_to(hook))
    (tmp_path / "site").write_text("a file where the site's folder should be")
    papers = str(tmp_path / "day1-2.jsonl")
    for _ in range(2):
        code, _, err = papertide(config, "run", "--from", papers)
        assert code == 1 and "Traceback" not in err
    [request] = hook.requests
    alert = request.json()
    assert alert["title"] == "papertide: a run failed"
    assert alert["message"].startswith("`papertide run` (run 1) failed: ")
    assert "papertide doctor" in alert["message"]
    (tmp_path / "site").unlink()
    code, out, _ = papertide(config, "run", "--from", papers)
    assert code == 0 and "alerts: 1 closed (run-failed)" in out
    (tmp_path / "site").rename(tmp_path / "site-moved")
    (tmp_path / "site").write_text("broken again")
    papertide(config, "run", "--from", papers)
    assert len(hook.requests) == 2  # a new incident, a new alert


def test_a_topic_that_selects_nothing_for_n_days_is_alerted_once(
    tmp_path: Path, fixtures: Path, hook: Endpoint
) -> None:
    quiet = '\n[[topics]]\nname = "Quantum gravity"\nslug = "qg"\nquery = \'abs:"spin foam"\'\n'
    config = project(tmp_path, fixtures, alerts_to(hook, "empty_days = 2\n"))
    config.write_text(config.read_text().replace("[alerts]", quiet + "\n[alerts]"))
    papers = str(tmp_path / "day1-2.jsonl")
    code, out, _ = papertide(config, "run", "--from", papers)
    assert code == 0 and "alerts: 1 opened (topic-empty: qg); 1 sent" in out
    papertide(config, "run", "--from", papers)
    [request] = hook.requests
    alert = request.json()
    assert alert["title"] == (
        "papertide: Quantum gravity selected nothing for several announcement days"
    )
    assert "none of the" in alert["message"] and "2026-06-16 to 2026-06-17" in alert["message"]
    assert "threshold (now 0.5)" in alert["message"]


def test_an_alert_the_service_refused_is_sent_by_the_next_run(
    tmp_path: Path, fixtures: Path, hook: Endpoint
) -> None:
    config = project(tmp_path, fixtures, alerts_to(hook), DEAD_ARXIV)
    hook.status = 500
    _, out, _ = papertide(config, "run")
    assert "alerts: 1 opened (arxiv-unreachable); 0 sent, 1 failed and kept for the next run" in out
    _, status, _ = papertide(config, "status")
    assert "open incident since " in status and "arxiv-unreachable: arXiv is unreachable" in status
    assert "outbox: 1 message(s) waiting for the next run; last error" in status
    hook.status = 200
    _, out, _ = papertide(config, "run")
    assert "alerts: 1 sent" in out
    papertide(config, "run")
    assert len(hook.requests) == 1


def test_alerts_are_emailed_through_the_email_server(tmp_path: Path, fixtures: Path) -> None:
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    email = (
        f'[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'sender = "papertide <digest@example.org>"\n'
        '[[email.recipients]]\naddress = "ada@example.org"\n'
    )
    config = project(tmp_path, fixtures, email + '[alerts]\nemail = ["ops@example.org"]\n')
    config.write_text(config.read_text() + DEAD_ARXIV)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        papertide(config, "run")
        papertide(config, "run")
    finally:
        controller.stop()
    alerts = [m for m in inbox.messages if m["To"] == "ops@example.org"]
    [alert] = alerts
    assert alert["Subject"] == "papertide: arXiv is unreachable"
    body = alert.get_body(("plain",))
    assert body is not None and "What to do:" in body.get_content()


def test_alert_email_needs_an_email_server(tmp_path: Path, fixtures: Path) -> None:
    config = project(tmp_path, fixtures, '[alerts]\nemail = ["ops@example.org"]\n')
    code, _, err = papertide(config, "run")
    assert code == 1 and "alerts.email needs an [email] table" in err
