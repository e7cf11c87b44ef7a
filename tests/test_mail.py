"""The email digest through a real SMTP server on 127.0.0.1 (aiosmtpd), with a real store."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from test_publish import DAY3, GS, I2I, digest, entry, sample_digests

from papertide.config import EmailConfig, EmailRecipient
from papertide.publish.mail import deliver
from papertide.store import Store

BASE = "https://example.org/papers/"


class Inbox:
    """An aiosmtpd handler keeping every message it accepts; it can refuse on demand."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 4.3.0 mailbox temporarily unavailable"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def config(port: int, *recipients: EmailRecipient) -> EmailConfig:
    return EmailConfig(
        host="127.0.0.1",
        port=port,
        security="none",
        sender="papertide <digest@example.org>",
        recipients=recipients or (EmailRecipient(address="ada@example.org", topics=("i2i",)),),
    )


def parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_a_digest_arrives_with_text_and_html_parts_and_links(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    with Store(tmp_path / "p.db") as store:
        report = deliver(store, config(port), sample_digests(), "papertide", BASE)
    assert (report.queued, report.sent, report.failed) == (1, 1, 0)
    assert report.line() == "email: 1 sent"
    [msg] = inbox.messages
    assert msg["To"] == "ada@example.org" and msg["X-Envelope-To"] == "ada@example.org"
    assert msg["Subject"] == (
        f"papertide: 2 papers on {DAY3} · Image-to-image translation (2)"
    )  # the newest day only, the first time
    assert msg.get_content_type() == "multipart/alternative"
    text, html = parts(msg)
    for body in (text, html):
        assert "CycleDiff: Unpaired Image-to-Image Translation" in body
        assert "Revised sketch-to-photo" in body
        assert "本文提出一种图像翻译方法。" in body  # the summary
        assert "https://arxiv.org/pdf/2606.00100v1" in body
        assert "https://github.com/a/cyclediff" in body
    assert f'href="{BASE}i2i/{DAY3}.html#2606.00100"' in html
    assert f"{BASE}i2i/{DAY3}.html#2606.00100" in text
    assert "<" not in text.replace("<papertide", "")  # the plain part is plain


def test_a_second_run_sends_nothing_new_and_a_new_day_is_sent_once(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    digests = sample_digests()
    with Store(tmp_path / "p.db") as store:
        deliver(store, config(port), digests, "papertide", BASE)
        again = deliver(store, config(port), digests, "papertide", BASE)
        assert (again.queued, again.sent, again.failed) == (0, 0, 0)
        assert len(inbox.messages) == 1
        later = DAY3 + timedelta(days=1)
        grown = [*digests, digest(I2I, later, entry("2606.00900", later, "Next day"))]
        deliver(store, config(port), grown, "papertide", BASE)
        deliver(store, config(port), grown, "papertide", BASE)
    assert [m["Subject"].split(" on ")[1][:10] for m in inbox.messages] == [
        str(DAY3),
        str(later),
    ]


def test_each_recipient_gets_only_the_topics_they_chose(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    splat = entry("2606.00321", DAY3, "Faster Gaussian splatting")
    digests = [*sample_digests(), digest(GS, DAY3, splat)]
    recipients = (
        EmailRecipient(address="ada@example.org", topics=("3dgs",)),
        EmailRecipient(address="alan@example.org"),  # no choice: every topic
    )
    with Store(tmp_path / "p.db") as store:
        deliver(store, config(port, *recipients), digests, "papertide", BASE)
    got = {m["To"]: parts(m)[0] for m in inbox.messages}
    assert "Faster Gaussian splatting" in got["ada@example.org"]
    assert "CycleDiff" not in got["ada@example.org"]
    assert "Faster Gaussian splatting" in got["alan@example.org"]
    assert "CycleDiff" in got["alan@example.org"]


def test_a_failed_send_is_reported_kept_and_retried_by_the_next_run(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    digests = sample_digests()
    with Store(tmp_path / "p.db") as store:
        down = deliver(store, config(free_port()), digests, "papertide", BASE)  # nobody listens
        assert (down.queued, down.sent, down.failed) == (1, 0, 1)
        assert "cannot send through 127.0.0.1:" in down.errors[0]
        assert "kept for the next run" in down.line()
        inbox.refuse = True
        refused = deliver(store, config(port), digests, "papertide", BASE)
        assert (refused.sent, refused.failed) == (0, 1)
        assert "451" in refused.errors[0]
        [waiting] = store.unsent_messages("email:ada@example.org")
        assert waiting.attempts == 2 and waiting.last_error and "451" in waiting.last_error
        inbox.refuse = False
        retried = deliver(store, config(port), digests, "papertide", BASE)
        assert (retried.queued, retried.sent, retried.failed) == (0, 1, 0)
        assert deliver(store, config(port), digests, "papertide", BASE).sent == 0
        assert store.unsent_messages("email:ada@example.org") == []
    [msg] = inbox.messages
    assert str(DAY3) in msg["Subject"]


def test_a_missing_password_is_reported_and_nothing_is_lost(
    tmp_path: Path, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    monkeypatch.delenv("PAPERTIDE_TEST_SMTP_PW", raising=False)
    cfg = config(port).model_copy(update={"user": "ada", "password_env": "PAPERTIDE_TEST_SMTP_PW"})
    with Store(tmp_path / "p.db") as store:
        report = deliver(store, cfg, sample_digests(), "papertide", BASE)
        assert report.failed == 1 and "PAPERTIDE_TEST_SMTP_PW" in report.errors[0]
        assert len(store.unsent_messages("email:ada@example.org")) == 1
    assert inbox.messages == []


def test_no_papers_for_a_recipient_means_no_email(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    only_gs = (EmailRecipient(address="ada@example.org", topics=("3dgs",)),)
    with Store(tmp_path / "p.db") as store:
        report = deliver(store, config(port, *only_gs), sample_digests(), "papertide", BASE)
    assert (report.queued, report.sent) == (0, 0)
    assert inbox.messages == []
