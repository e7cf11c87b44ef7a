"""Run health: alert the owner when a run fails, arXiv is unreachable, or a topic goes quiet.

Each problem is an *incident*, kept open in the store until a run shows it is over: a run
that succeeds closes ``run-failed``, a harvest that reaches arXiv closes
``arxiv-unreachable``, a day with a selected paper closes a topic's ``topic-empty``. An
alert is queued (in the outbox, like every message) only when an incident opens, so a
problem that lasts a week is one alert, not one per run; a recovery closes the incident
silently, and the next problem is a new incident with a new alert.

Alerts go to the ``[alerts]`` channels: Apprise URLs (``urls``) and email addresses
(``email``, through the ``[email]`` server). Each says what happened and what to do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from papertide.config import Config
from papertide.publish import mail, push
from papertide.publish.outbox import DeliveryReport
from papertide.records import Topic
from papertide.store import Incident, OutboxMessage, Store

RUN_FAILED = "run-failed"
ARXIV_UNREACHABLE = "arxiv-unreachable"
TOPIC_EMPTY = "topic-empty"


@dataclass(frozen=True)
class Outcome:
    """What a run showed about the health of the setup."""

    error: str | None = None  # why the run failed; None when it finished
    harvested: bool = False  # the run asked arXiv for its announcements
    unreachable: str | None = None  # what the harvest said when arXiv could not be reached


@dataclass(frozen=True)
class Alert:
    subject: str
    body: str


@dataclass(frozen=True)
class HealthReport:
    opened: tuple[Incident, ...]
    closed: tuple[str, ...]  # "kind" or "kind:subject" of each incident a recovery closed
    delivery: DeliveryReport | None  # None when no alert channel is configured

    def line(self) -> str | None:
        """One line for the run summary when something opened, closed, was sent or failed."""
        parts = []
        if self.opened:
            parts.append(f"{len(self.opened)} opened ({', '.join(_name(i) for i in self.opened)})")
        if self.closed:
            parts.append(f"{len(self.closed)} closed ({', '.join(self.closed)})")
        if self.delivery is not None and (self.delivery.sent or self.delivery.failed):
            parts.append(self.delivery.line().removeprefix("alerts: "))
        elif self.opened and self.delivery is None:
            parts.append("not sent: add [alerts] urls or email to be told")
        return "alerts: " + "; ".join(parts) if parts else None


def review(
    store: Store, topics: Sequence[Topic], empty_days: int, outcome: Outcome
) -> HealthReport:
    """Open the incidents this run shows and close those it shows are over."""
    opened: list[Incident | None] = []
    closed: list[str] = []

    def settle(kind: str, subject: str, problem: str | None) -> None:
        if problem is not None:
            opened.append(store.open_incident(kind, subject, problem))
        elif store.close_incident(kind, subject):
            closed.append(f"{kind}:{subject}" if subject else kind)

    settle(RUN_FAILED, "", outcome.error)
    if outcome.harvested:
        settle(ARXIV_UNREACHABLE, "", outcome.unreachable)
    if outcome.error is None and empty_days:
        for topic in topics:
            days = store.recent_decision_days(topic.slug, empty_days)
            if not days:
                continue
            if len(days) == empty_days and all(selected == 0 for _, _, selected in days):
                judged = sum(n for _, n, _ in days)
                settle(
                    TOPIC_EMPTY,
                    topic.slug,
                    f"{topic.name} selected none of the {judged} papers announced on the last"
                    f" {empty_days} announcement days ({days[-1][0]} to {days[0][0]})",
                )
            elif days[0][2] > 0:
                settle(TOPIC_EMPTY, topic.slug, None)
    return HealthReport(tuple(i for i in opened if i is not None), tuple(closed), None)


def alert(incident: Incident, topics: Sequence[Topic]) -> Alert:
    """The message of an incident: what happened and what to do."""
    if incident.kind == RUN_FAILED:
        return Alert(
            "papertide: a run failed",
            f"{incident.detail}\n\n"
            "What to do: fix what the error names (`papertide doctor` checks the config,"
            " store, models, LLM endpoint and arXiv), then run `papertide run` again. Nothing"
            " is lost: the next run completes what this one missed. You get this alert once;"
            " the next run that finishes closes it.",
        )
    if incident.kind == ARXIV_UNREACHABLE:
        return Alert(
            "papertide: arXiv is unreachable",
            f"{incident.detail}\n\n"
            "The site was built from what the store already holds. What to do: nothing for a"
            " passing outage, since the next run fetches every announcement it missed. If it"
            " lasts, check the machine's network and [arxiv] rss_url / oai_url;"
            " `papertide doctor` tests the endpoints. You get this alert once; the next run"
            " that reaches arXiv closes it.",
        )
    topic = next((t for t in topics if t.slug == incident.subject), None)
    threshold = f" (now {topic.threshold})" if topic else ""
    name = topic.name if topic else incident.subject
    return Alert(
        f"papertide: {name} selected nothing for several announcement days",
        f"{incident.detail}.\n\n"
        "What to do: if arXiv really had nothing on the topic, nothing. Otherwise check the"
        f" topic's query, categories and description in papertide.toml, or lower its"
        f" threshold{threshold}; `papertide calibrate` suggests one from labelled papers. You"
        " get this alert once; the next day with a selected paper closes it.",
    )


def deliver(
    store: Store, config: Config, report: HealthReport, topics: Sequence[Topic]
) -> HealthReport:
    """Queue an alert for each newly opened incident on every ``[alerts]`` channel, then send
    every alert not yet accepted (earlier failures included)."""
    urls, addresses = config.alerts.urls, config.alerts.email
    if not urls and not addresses:
        return report
    for incident in report.opened:
        message = alert(incident, topics)
        key = f"alert:{incident.kind}:{incident.subject}:{incident.opened_at}"
        for url in urls:
            store.queue_message(
                OutboxMessage(push.channel(url), key, message.subject, message.body)
            )
        for address in addresses:
            digest = hashlib.sha256(f"{address}\n{key}".encode()).hexdigest()[:16]
            store.queue_message(
                OutboxMessage(
                    mail.channel(address),
                    key,
                    message.subject,
                    message.body + "\n",
                    message_id=f"<papertide.alert.{digest}@papertide.invalid>",
                )
            )
    delivery = DeliveryReport("alerts") + push.send_pending(store, urls)
    if addresses and config.email is not None:
        delivery += mail.send_pending(store, config.email, addresses)
    return HealthReport(report.opened, report.closed, delivery)


def _name(incident: Incident) -> str:
    return f"{incident.kind}: {incident.subject}" if incident.subject else incident.kind
