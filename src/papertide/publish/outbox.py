"""What email and push share: which periods are due on a channel, and the report of a send.

Every message goes through the store's outbox (``Store.queue_message``): composed once,
keyed by its channel and the period it covers (``daily:2026-06-16``,
``weekly:i2i:2026-06-15``), sent until the service accepts it, never sent twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from papertide.fetch.limits import latest_day
from papertide.store import Store


@dataclass(frozen=True)
class DeliveryReport:
    """What one channel (``email``, ``push``) did in one run."""

    channel: str
    queued: int = 0
    sent: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()

    def line(self) -> str:
        text = f"{self.channel}: {self.sent} sent"
        if self.failed:
            text += f", {self.failed} failed and kept for the next run ({self.errors[0]})"
        return text

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.channel,
            self.queued + other.queued,
            self.sent + other.sent,
            self.failed + other.failed,
            self.errors + other.errors,
        )


def due(store: Store, channel: str, prefix: str, periods: Iterable[date]) -> list[date]:
    """The periods to queue on a channel under a key prefix (``daily:``, ``weekly:i2i:``):
    the newest one the first time, then every one newer than the newest already queued, so
    a new reader is not flooded with the archive and nothing is queued twice. A period after
    tomorrow cannot have been announced (a store written before import refused such dates may
    hold one): it is neither queued nor allowed to hold back the periods before it."""
    last = latest_day()
    available = {p for p in periods if p <= last}
    if not available:
        return []
    had = {date.fromisoformat(k[len(prefix) :]) for k in store.outbox_keys(channel, prefix)}
    had = {p for p in had if p <= last}
    if not had:
        return [max(available)]
    return sorted(p for p in available if p > max(had))
