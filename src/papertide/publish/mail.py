"""The daily email digest: composed into the store's outbox, then sent over SMTP.

Each recipient gets one message per announcement day that has papers in their topics (all
topics when they chose none): the newest such day the first time, then every newer day. A
message is composed once and queued in the store; a run sends every queued message that no
server has accepted yet. A failed send stays queued, is reported, and is retried by the next
run; an accepted one is marked sent and never sent again. Every attempt carries the same
Message-ID, so even a retry after a crash at the wrong moment shows up once in a mail client.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from papertide.config import EmailConfig, EmailRecipient
from papertide.publish import views
from papertide.publish.site import template
from papertide.records import Digest, Topic
from papertide.store import OutboxEmail, Store

ABSTRACT_CHARS = 600  # an abstract longer than this is cut in the email; the link has it all


@dataclass(frozen=True)
class MailReport:
    queued: int
    sent: int
    failed: int
    errors: tuple[str, ...] = ()

    def line(self) -> str:
        text = f"email: {self.sent} sent"
        if self.failed:
            text += f", {self.failed} failed and kept for the next run ({self.errors[0]})"
        return text


@dataclass(frozen=True)
class _Item:
    title: str
    url: str
    authors: str
    status: str
    summary: str
    abstract: str
    links: tuple[tuple[str, str], ...]


def deliver(
    store: Store,
    config: EmailConfig,
    digests: Sequence[Digest],
    site_title: str,
    base_url: str,
) -> MailReport:
    """Queue the digests each recipient has not had yet, then send everything unsent."""
    queued = 0
    for recipient in config.recipients:
        for email in compose_pending(store, recipient, digests, site_title, base_url):
            queued += store.queue_email(email)
    sent = failed = 0
    errors: list[str] = []
    pending = store.unsent_emails()
    if not pending:
        return MailReport(queued, 0, 0)
    try:
        with _connect(config) as smtp:
            for email in pending:
                try:
                    smtp.send_message(_message(config, email))
                except (smtplib.SMTPException, OSError) as exc:
                    store.mark_email(email.recipient, email.day, _describe(exc))
                    errors.append(f"{email.recipient}: {_describe(exc)}")
                    failed += 1
                else:
                    store.mark_email(email.recipient, email.day, None)
                    sent += 1
    except (smtplib.SMTPException, OSError, MailConfigError) as exc:
        reason = _describe(exc)
        where = f"{config.host}:{config.port}"
        for email in pending[sent + failed :]:
            store.mark_email(email.recipient, email.day, reason)
            failed += 1
        errors.insert(0, f"cannot send through {where}: {reason}")
    return MailReport(queued, sent, failed, tuple(errors))


class MailConfigError(Exception):
    """The SMTP password's environment variable is not set."""


def compose_pending(
    store: Store,
    recipient: EmailRecipient,
    digests: Sequence[Digest],
    site_title: str,
    base_url: str,
) -> list[OutboxEmail]:
    wanted = set(recipient.topics)
    by_day: dict[date, list[Digest]] = {}
    for digest in digests:
        if digest.entries and (not wanted or digest.topic.slug in wanted):
            by_day.setdefault(digest.day, []).append(digest)
    if not by_day:
        return []
    had = store.email_days(recipient.address)
    days = sorted(d for d in by_day if d > max(had)) if had else [max(by_day)]
    return [compose(recipient.address, day, by_day[day], site_title, base_url) for day in days]


def compose(
    address: str, day: date, digests: Sequence[Digest], site_title: str, base_url: str
) -> OutboxEmail:
    """One recipient's digest of one day: HTML and plain text with the same content."""
    sections: list[tuple[Topic, list[_Item]]] = []
    for digest in digests:
        items = []
        for e in digest.entries:
            anchor = views.paper_anchor(e.paper.arxiv_id)
            page = f"{base_url}{digest.topic.slug}/{views.day_file(day)}#{anchor}"
            abstract = " ".join(e.paper.abstract.split())
            if len(abstract) > ABSTRACT_CHARS:
                abstract = abstract[: ABSTRACT_CHARS - 1].rsplit(" ", 1)[0] + " …"
            links = [("Abstract", e.links.abs_url), ("PDF", e.links.pdf_url)]
            links += [("Code", u) for u in e.links.code_urls[:2]]
            links.append(("Cool Papers", e.links.cool_papers_url))
            if base_url:
                links.insert(0, ("On the site", page))
            authors = list(e.paper.authors)
            items.append(
                _Item(
                    title=views.one_line(e.paper.title),
                    url=page if base_url else e.links.abs_url,
                    authors=", ".join(authors[:6]) + (" et al." if len(authors) > 6 else ""),
                    status=views.status_label(e.status, e.paper.version)[0],
                    summary=e.writeup.summary if e.writeup else "",
                    abstract=abstract,
                    links=tuple(links),
                )
            )
        sections.append((digest.topic, items))
    total = sum(len(items) for _, items in sections)
    counts = ", ".join(f"{t.name} ({len(items)})" for t, items in sections)
    subject = f"{site_title}: {total} {'paper' if total == 1 else 'papers'} on {day} · {counts}"
    context = {
        "title": site_title,
        "day": views.long_day(day),
        "sections": sections,
        "base_url": base_url,
        "subject": subject,
    }
    digest_of = hashlib.sha256(f"{address}\n{day}".encode()).hexdigest()[:16]
    return OutboxEmail(
        recipient=address,
        day=day,
        message_id=f"<papertide.{day.isoformat()}.{digest_of}@papertide.invalid>",
        subject=" ".join(subject.split()),
        body_text=template("email.txt").render(context).strip() + "\n",
        body_html=template("email.html").render(context),
    )


def _message(config: EmailConfig, email: OutboxEmail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = email.recipient
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = email.message_id
    msg.set_content(email.body_text)
    msg.add_alternative(email.body_html, subtype="html")
    return msg


def _connect(config: EmailConfig) -> smtplib.SMTP:
    password = ""
    if config.user:
        password = os.environ.get(config.password_env, "")
        if not password:
            raise MailConfigError(
                f"[email] user is set but the environment variable {config.password_env} "
                "(named by [email] password_env) is empty; export the SMTP password there"
            )
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.security == "ssl":
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=30, context=context)
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=30)
        if config.security == "starttls":
            smtp.starttls(context=context)
    if config.user:
        smtp.login(config.user, password)
    return smtp


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        message = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
        return f"server said {exc.smtp_code} {message}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{a} ({c})" for a, (c, _) in exc.recipients.items())
        return f"recipients refused: {refused}"
    return str(exc) or type(exc).__name__
