"""A day in the future (a date no announcement can have) never holds back the email (or any
outbox channel) of the days before it, and is not sent: through a real SMTP server on
127.0.0.1 and a real store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from test_mail import BASE, Inbox, config, smtp  # noqa: F401 - smtp is a fixture
from test_publish import DAY3, I2I, digest, entry

from papertide.publish.mail import compose, deliver
from papertide.store import Store

FUTURE = date(2999, 1, 1)


def test_an_emailed_future_day_does_not_block_later_days(
    tmp_path: Path,
    smtp: tuple[Inbox, int],  # noqa: F811 - the fixture
) -> None:
    inbox, port = smtp
    future = digest(I2I, FUTURE, entry("2606.09999", FUTURE, "Dated in the future"))
    today = digest(I2I, DAY3, entry("2606.00100", DAY3, "Announced today"))
    with Store(tmp_path / "p.db") as store:
        # What a store written before future dates were refused holds: that day went out.
        sent = compose("ada@example.org", FUTURE, [future], "papertide", BASE)
        store.queue_message(sent)
        store.mark_message(sent.channel, sent.key, None)
        report = deliver(store, config(port), [future, today], "papertide", BASE)
    assert (report.sent, report.failed) == (1, 0)
    assert [m["Subject"].split(" on ")[1][:10] for m in inbox.messages] == [str(DAY3)]


def test_a_future_day_is_not_sent(
    tmp_path: Path,
    smtp: tuple[Inbox, int],  # noqa: F811 - the fixture
) -> None:
    inbox, port = smtp
    future = digest(I2I, FUTURE, entry("2606.09999", FUTURE, "Dated in the future"))
    today = digest(I2I, DAY3, entry("2606.00100", DAY3, "Announced today"))
    with Store(tmp_path / "p.db") as store:
        deliver(store, config(port), [today, future], "papertide", BASE)
        deliver(store, config(port), [today, future], "papertide", BASE)
    assert [m["Subject"].split(" on ")[1][:10] for m in inbox.messages] == [str(DAY3)]
