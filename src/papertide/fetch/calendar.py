"""arXiv's announcement calendar.

arXiv announces new submissions at 20:00 US Eastern time on Sunday to Thursday evenings, and
not on its holidays. The listing of an announcement carries the next day's date (Thursday
evening's announcement is Friday's listing), which is the day papertide files papers under.
US Eastern time is computed here (daylight saving from the second Sunday of March to the first
Sunday of November, the rule since 2007) so that no time-zone database is needed.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta

ANNOUNCE_HOUR = 20  # 20:00 US Eastern
_ANNOUNCE_WEEKDAYS = {6, 0, 1, 2, 3}  # Sunday..Thursday (Monday is 0)


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def eastern_offset(moment: datetime) -> timedelta:
    """UTC offset of US Eastern time at an aware moment: -4 h in summer, -5 h in winter."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    year = utc.year
    # 02:00 local: 07:00 UTC when summer time starts, 06:00 UTC when it ends.
    start = datetime.combine(_nth_sunday(year, 3, 2), datetime.min.time()) + timedelta(hours=7)
    end = datetime.combine(_nth_sunday(year, 11, 1), datetime.min.time()) + timedelta(hours=6)
    return timedelta(hours=-4) if start <= utc < end else timedelta(hours=-5)


def announcement_moment(evening: date) -> datetime:
    """20:00 US Eastern on the given evening, as an aware UTC datetime."""
    naive = datetime.combine(evening, datetime.min.time()) + timedelta(hours=ANNOUNCE_HOUR)
    guess = naive.replace(tzinfo=UTC) + timedelta(hours=5)
    return (naive - eastern_offset(guess)).replace(tzinfo=UTC)


def is_announcement_evening(evening: date, holidays: Collection[date] = ()) -> bool:
    return evening.weekday() in _ANNOUNCE_WEEKDAYS and evening not in holidays


def last_announcement(now: datetime, holidays: Collection[date] = ()) -> datetime:
    """The most recent announcement moment at or before ``now``."""
    evening = (now.astimezone(UTC) + eastern_offset(now)).date()
    while not (is_announcement_evening(evening, holidays) and announcement_moment(evening) <= now):
        evening -= timedelta(days=1)
    return announcement_moment(evening)


def next_announcement(now: datetime, holidays: Collection[date] = ()) -> datetime:
    """The first announcement moment after ``now``."""
    evening = (now.astimezone(UTC) + eastern_offset(now)).date()
    while not (is_announcement_evening(evening, holidays) and announcement_moment(evening) > now):
        evening += timedelta(days=1)
    return announcement_moment(evening)


def listing_day(moment: datetime) -> date:
    """The date of the listing an announcement moment publishes (the next calendar day)."""
    return (moment + eastern_offset(moment)).date() + timedelta(days=1)


def describe(moment: datetime) -> str:
    """``"Sunday 2024-12-01 20:00 US Eastern (01:00 UTC)"``."""
    local = moment + eastern_offset(moment)
    return f"{local:%A %Y-%m-%d %H:%M} US Eastern ({moment.astimezone(UTC):%a %H:%M} UTC)"
