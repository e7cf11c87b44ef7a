"""Chat pushes through Apprise: one message per topic and day (or week), queued in the outbox.

A ``[[notify]]`` target is an Apprise URL (Telegram, Slack, Discord, Mattermost, Feishu,
DingTalk, WeCom, ntfy, a JSON webhook, ...). Its secret parts are written as ``{NAME}``, the
name of an environment variable, and filled in only at the moment of sending: the URL as
written, never the filled-in one, names the channel in the store, and everything Apprise
reports is passed on with the secrets replaced by their ``{NAME}`` again. Apprise's own log
lines (which print the service URL, token and all, at debug level) are kept to itself.

A target gets, for each topic it follows, the newest day the first time and then every
newer day; with ``weekly``, also each closed week (see ``rollup``). A failed push stays in
the outbox and is retried by the next run; a failing service never stops the run.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from urllib.parse import quote

from papertide.config import NotifyConfig
from papertide.publish import views
from papertide.publish.outbox import DeliveryReport, due
from papertide.publish.rollup import Rollup, closed, one_line_summary, weekly
from papertide.records import Digest, DigestEntry
from papertide.store import OutboxMessage, Store

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


class PushError(Exception):
    """A target cannot be sent to; the message says why, without any secret."""


def channel(url: str) -> str:
    """The outbox channel of a target: its URL as written, secrets still ``{NAME}``."""
    return f"notify:{url}"


def placeholders(url: str) -> list[str]:
    return PLACEHOLDER.findall(url)


def expand(url: str) -> tuple[str, dict[str, str]]:
    """The URL with every ``{NAME}`` replaced by ``$NAME``, and the secrets it now holds
    (value → placeholder) for ``redact``. Raises PushError naming an unset variable."""
    secrets: dict[str, str] = {}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = os.environ.get(name, "")
        if not value:
            raise PushError(
                f"the environment variable {name} (named in the URL) is empty; export it"
            )
        secrets[value] = secrets[quote(value, safe="")] = match.group(0)
        return value

    return PLACEHOLDER.sub(fill, url), secrets


def redact(text: str, secrets: dict[str, str]) -> str:
    """``text`` with every secret value (longest first) replaced by its ``{NAME}``."""
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, secrets[value])
    return text


def deliver(
    store: Store,
    targets: Sequence[NotifyConfig],
    digests: Sequence[Digest],
    site_title: str,
    base_url: str,
) -> DeliveryReport:
    """Queue what each target has not had yet, then send everything unsent to each."""
    rollups = closed(weekly(digests), digests)
    queued = 0
    for target in targets:
        for message in compose_pending(store, target, digests, rollups, site_title, base_url):
            queued += store.queue_message(message)
    return DeliveryReport("push", queued) + send_pending(store, [t.url for t in targets])


def compose_pending(
    store: Store,
    target: NotifyConfig,
    digests: Sequence[Digest],
    rollups: Sequence[Rollup],
    site_title: str,
    base_url: str,
) -> list[OutboxMessage]:
    wanted = set(target.topics)
    to = channel(target.url)
    messages: list[OutboxMessage] = []
    slugs = dict.fromkeys(d.topic.slug for d in digests if not wanted or d.topic.slug in wanted)
    for slug in slugs:
        if target.daily:
            days = {d.day: d for d in digests if d.topic.slug == slug and d.entries}
            for day in due(store, to, f"daily:{slug}:", days):
                messages.append(daily_message(to, days[day], target.top, site_title, base_url))
        if target.weekly:
            weeks = {r.start: r for r in rollups if r.topic.slug == slug}
            for monday in due(store, to, f"weekly:{slug}:", weeks):
                messages.append(weekly_message(to, weeks[monday], target.top, base_url))
    return messages


def daily_message(
    to: str, digest: Digest, top: int, site_title: str, base_url: str
) -> OutboxMessage:
    """One topic-day: the ``top`` best papers, each with its one-line summary and links."""
    topic, n = digest.topic, len(digest.entries)
    page = f"{base_url}{topic.slug}/{views.day_file(digest.day)}" if base_url else ""
    best = sorted(digest.entries, key=lambda e: -e.match.score)[:top]
    lines = [_item(i, e, page) for i, e in enumerate(best, 1)]
    if n > len(best):
        lines.append(f"… and {n - len(best)} more" + (f": {page}" if page else ""))
    elif page:
        lines.append(f"On the site: {page}")
    subject = f"{topic.name}: {_papers(n)} on {views.long_day(digest.day)}"
    return OutboxMessage(to, f"daily:{topic.slug}:{digest.day}", subject, "\n".join(lines))


def weekly_message(to: str, rollup: Rollup, top: int, base_url: str) -> OutboxMessage:
    """One topic-week: the week's ``top`` best papers by score, grouped by day."""
    page = f"{base_url}{rollup.path}" if base_url else ""
    lines: list[str] = []
    number = 0
    for day, entries in rollup.best(top):
        lines.append(f"**{views.long_day(day)}**")
        day_page = f"{base_url}{rollup.topic.slug}/{views.day_file(day)}" if base_url else ""
        for entry in entries:
            number += 1
            lines.append(_item(number, entry, day_page))
    if rollup.count > number:
        lines.append(f"… and {rollup.count - number} more" + (f": {page}" if page else ""))
    elif page:
        lines.append(f"The week on the site: {page}")
    subject = f"{rollup.topic.name}: {_papers(rollup.count)} in {rollup.label} ({rollup.span})"
    key = f"weekly:{rollup.topic.slug}:{rollup.start}"
    return OutboxMessage(to, key, subject, "\n".join(lines))


def _item(number: int, entry: DigestEntry, page: str) -> str:
    """``1. [Title](permalink) · arXiv`` and the one-line summary below it (Markdown)."""
    paper = entry.paper
    title = _markdown(views.one_line(paper.title))
    abs_url = entry.links.abs_url
    if page:
        head = f"{number}. [{title}]({page}#{views.paper_anchor(paper.arxiv_id)})"
        head += f" · [arXiv]({abs_url})"
    else:
        head = f"{number}. [{title}]({abs_url})"
    summary = one_line_summary(entry)
    return head + (f"  \n   {_markdown(summary)}" if summary else "")


def _papers(n: int) -> str:
    return f"{n} {'paper' if n == 1 else 'papers'}"


def _markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def send_pending(store: Store, urls: Sequence[str]) -> DeliveryReport:
    """Send every unsent message of these targets; record each attempt in the outbox."""
    sent = failed = 0
    errors: list[str] = []
    for url in dict.fromkeys(urls):
        to = channel(url)
        pending = store.unsent_messages(to)
        if not pending:
            continue
        try:
            expanded, secrets = expand(url)
        except PushError as exc:
            for message in pending:
                store.mark_message(to, message.key, str(exc))
            failed += len(pending)
            errors.append(f"{url}: {exc}")
            continue
        for message in pending:
            error = _send(expanded, secrets, message)
            store.mark_message(to, message.key, error)
            if error is None:
                sent += 1
            else:
                failed += 1
                errors.append(f"{url}: {error}")
    return DeliveryReport("push", 0, sent, failed, tuple(errors))


def _send(url: str, secrets: dict[str, str], message: OutboxMessage) -> str | None:
    """Push one message; None when the service accepted it, else why not (no secrets)."""
    import apprise

    # Apprise logs each request's URL, token included, at debug level: keep that to itself.
    logging.getLogger("apprise").propagate = False
    asset = apprise.AppriseAsset(app_id="papertide", app_desc="papertide digests")
    notifier = apprise.Apprise(asset=asset)
    try:
        capture = apprise.LogCapture(level=logging.WARNING)  # type: ignore[no-untyped-call]
        with capture as captured:
            if not notifier.add(url):
                return "Apprise does not accept this URL; check it against the service's page"
            ok = notifier.notify(
                body=message.body_text,
                title=message.subject,
                body_format=apprise.NotifyFormat.MARKDOWN,
            )
            said = captured.getvalue()
    except Exception as exc:  # a plugin's bug must not stop the run; say what it was
        return redact(f"Apprise failed: {type(exc).__name__}: {exc}", secrets)
    if ok:
        return None
    lines = [line.split(" - ", 2)[-1].strip() for line in said.splitlines() if line.strip()]
    return redact(lines[-1] if lines else "the service did not accept the message", secrets)
