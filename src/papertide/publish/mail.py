"""The email digests, daily and weekly: composed into the store's outbox, sent over SMTP.

Each recipient gets one message per announcement day that has papers in their topics (all
topics when they chose none): the newest such day the first time, then every newer day. With
``weekly``, also one message per closed week: the week's papers by day, best score first.
A message is composed once and queued in the store; a run sends every queued message that no
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
from papertide.publish.outbox import DeliveryReport, due
from papertide.publish.rollup import Rollup, closed, weekly
from papertide.publish.site import template
from papertide.records import Digest, DigestEntry, Topic
from papertide.store import OutboxMessage, Store

ABSTRACT_CHARS = 600  # an abstract longer than this is cut in the email; the link has it all


@dataclass(frozen=True)
class _Item:
    title: str
    url: str
    authors: str
    status: str
    summary: str
    abstract: str
    links: tuple[tuple[str, str], ...]


# A topic's part of an email: (topic, [(day heading or "", items)]).
_Section = tuple[Topic, list[tuple[str, list[_Item]]]]


def channel(address: str) -> str:
    """The outbox channel of one recipient."""
    return f"email:{address}"


def deliver(
    store: Store,
    config: EmailConfig,
    digests: Sequence[Digest],
    site_title: str,
    base_url: str,
) -> DeliveryReport:
    """Queue the digests each recipient has not had yet, then send everything unsent."""
    rollups = closed(weekly(digests), digests)
    queued = 0
    for recipient in config.recipients:
        for email in compose_pending(store, recipient, digests, rollups, site_title, base_url):
            queued += store.queue_message(email)
    addresses = [r.address for r in config.recipients]
    return DeliveryReport("email", queued) + send_pending(store, config, addresses)


def send_pending(store: Store, config: EmailConfig, addresses: Sequence[str]) -> DeliveryReport:
    """Send every unsent message to these addresses over one SMTP connection."""
    pending = [m for a in dict.fromkeys(addresses) for m in store.unsent_messages(channel(a))]
    if not pending:
        return DeliveryReport("email")
    sent = failed = 0
    errors: list[str] = []
    try:
        with _connect(config) as smtp:
            for email in pending:
                try:
                    smtp.send_message(_message(config, email))
                except (smtplib.SMTPException, OSError) as exc:
                    store.mark_message(email.channel, email.key, _describe(exc))
                    errors.append(f"{_address(email)}: {_describe(exc)}")
                    failed += 1
                else:
                    store.mark_message(email.channel, email.key, None)
                    sent += 1
    except (smtplib.SMTPException, OSError, MailConfigError) as exc:
        reason = _describe(exc)
        where = f"{config.host}:{config.port}"
        for email in pending[sent + failed :]:
            store.mark_message(email.channel, email.key, reason)
            failed += 1
        errors.insert(0, f"cannot send through {where}: {reason}")
    return DeliveryReport("email", 0, sent, failed, tuple(errors))


class MailConfigError(Exception):
    """The SMTP password's environment variable is not set."""


def compose_pending(
    store: Store,
    recipient: EmailRecipient,
    digests: Sequence[Digest],
    rollups: Sequence[Rollup],
    site_title: str,
    base_url: str,
) -> list[OutboxMessage]:
    wanted = set(recipient.topics)
    to = channel(recipient.address)
    emails: list[OutboxMessage] = []
    if recipient.daily:
        by_day: dict[date, list[Digest]] = {}
        for digest in digests:
            if digest.entries and (not wanted or digest.topic.slug in wanted):
                by_day.setdefault(digest.day, []).append(digest)
        for day in due(store, to, "daily:", by_day):
            emails.append(compose(recipient.address, day, by_day[day], site_title, base_url))
    if recipient.weekly:
        by_week: dict[date, list[Rollup]] = {}
        for rollup in rollups:
            if not wanted or rollup.topic.slug in wanted:
                by_week.setdefault(rollup.start, []).append(rollup)
        for monday in due(store, to, "weekly:", by_week):
            emails.append(compose_week(recipient.address, by_week[monday], site_title, base_url))
    return emails


def compose(
    address: str, day: date, digests: Sequence[Digest], site_title: str, base_url: str
) -> OutboxMessage:
    """One recipient's digest of one day: HTML and plain text with the same content."""
    sections: list[_Section] = [
        (d.topic, [("", [_item(e, d.topic, day, base_url) for e in d.entries])]) for d in digests
    ]
    return _email(
        address, f"daily:{day}", f"on {day}", views.long_day(day), sections, site_title, base_url
    )


def compose_week(
    address: str, rollups: Sequence[Rollup], site_title: str, base_url: str
) -> OutboxMessage:
    """One recipient's digest of one week: each topic's papers by day, best score first."""
    sections: list[_Section] = [
        (
            r.topic,
            [
                (views.long_day(d.day), [_item(e, r.topic, d.day, base_url) for e in d.entries])
                for d in r.days
            ],
        )
        for r in rollups
    ]
    first = rollups[0]
    heading = f"{first.label} · {first.span}"
    return _email(
        address,
        f"weekly:{first.start}",
        f"in {first.label.lower()} ({first.span})",
        heading,
        sections,
        site_title,
        base_url,
    )


def _email(
    address: str,
    key: str,
    when: str,
    heading: str,
    sections: list[_Section],
    site_title: str,
    base_url: str,
) -> OutboxMessage:
    total = sum(len(items) for _, groups in sections for _, items in groups)
    counts = ", ".join(
        f"{t.name} ({sum(len(items) for _, items in groups)})" for t, groups in sections
    )
    subject = f"{site_title}: {total} {'paper' if total == 1 else 'papers'} {when} · {counts}"
    context = {
        "title": site_title,
        "day": heading,
        "sections": sections,
        "base_url": base_url,
        "subject": subject,
    }
    digest_of = hashlib.sha256(f"{address}\n{key}".encode()).hexdigest()[:16]
    return OutboxMessage(
        channel=channel(address),
        key=key,
        subject=" ".join(subject.split()),
        body_text=template("email.txt").render(context).strip() + "\n",
        body_html=template("email.html").render(context),
        message_id=f"<papertide.{key.replace(':', '.')}.{digest_of}@papertide.invalid>",
    )


def _item(e: DigestEntry, topic: Topic, day: date, base_url: str) -> _Item:
    anchor = views.paper_anchor(e.paper.arxiv_id)
    page = f"{base_url}{topic.slug}/{views.day_file(day)}#{anchor}"
    abstract = " ".join(e.paper.abstract.split())
    if len(abstract) > ABSTRACT_CHARS:
        abstract = abstract[: ABSTRACT_CHARS - 1].rsplit(" ", 1)[0] + " …"
    links = [("Abstract", e.links.abs_url), ("PDF", e.links.pdf_url)]
    links += [("Code", u) for u in e.links.code_urls[:2]]
    links.append(("Cool Papers", e.links.cool_papers_url))
    if base_url:
        links.insert(0, ("On the site", page))
    authors = list(e.paper.authors)
    return _Item(
        title=views.one_line(e.paper.title),
        url=page if base_url else e.links.abs_url,
        authors=", ".join(authors[:6]) + (" et al." if len(authors) > 6 else ""),
        status=views.status_label(e.status, e.paper.version)[0],
        summary=e.writeup.summary if e.writeup else "",
        abstract=abstract,
        links=tuple(links),
    )


def _address(email: OutboxMessage) -> str:
    return email.channel.removeprefix("email:")


def _message(config: EmailConfig, email: OutboxMessage) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = _address(email)
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    if email.message_id:
        msg["Message-ID"] = email.message_id
    msg.set_content(email.body_text)
    if email.body_html:
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
