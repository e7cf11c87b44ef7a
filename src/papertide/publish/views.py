"""Turn digest records into the plain values the page templates show.

Everything here is pure: no disk, no templates. Hrefs are relative to the page that shows them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlsplit

from papertide.records import DigestEntry, Figure, PaperStatus, Writeup

AUTHORS_SHOWN = 10  # authors listed before the rest fold behind "and N more"
AUTHORS_FOLD_OVER = 12  # fold only lists longer than this, so "and 1 more" never appears

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_CODE_HOSTS = frozenset({"github.com", "gitlab.com", "huggingface.co", "bitbucket.org"})
_SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
RESERVED_SLUGS = frozenset({"static", "index.html"})


def check_slug(slug: str) -> None:
    """Raise ValueError unless ``slug`` is usable as one folder name of the site."""
    if not _SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise ValueError(
            f"topic slug {slug!r} cannot name a folder of the site: use letters, digits, "
            f"'.', '_' or '-', not starting with a dot, and not {sorted(RESERVED_SLUGS)}"
        )


def paper_anchor(arxiv_id: str) -> str:
    """The id of a paper's card on a day page: old-style ids lose their slash."""
    return arxiv_id.replace("/", "-")


def day_file(day: date) -> str:
    return f"{day.isoformat()}.html"


def long_day(day: date) -> str:
    """``"Tuesday, 16 June 2026"``, the same whatever the machine's locale."""
    return f"{_WEEKDAYS[day.weekday()]}, {day.day} {_MONTHS[day.month - 1]} {day.year}"


def day_span(start: date, end: date) -> str:
    """The days from ``start`` to ``end``: ``"15–21 June 2026"``, ``"29 June – 5 July 2026"``,
    ``"29 December 2025 – 4 January 2026"``."""
    month = _MONTHS[end.month - 1]
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {month} {end.year}"
    if start.year == end.year:
        return f"{start.day} {_MONTHS[start.month - 1]} – {end.day} {month} {end.year}"
    return f"{start.day} {_MONTHS[start.month - 1]} {start.year} – {end.day} {month} {end.year}"


@dataclass(frozen=True)
class WeekLink:
    """A week's roll-up as a link from a topic's pages: ``weeks/2026-W25.html``."""

    href: str  # relative to the topic's folder
    label: str  # "Week 25 of 2026"
    span: str  # "15–21 June 2026"


def week_start(day: date) -> date:
    """The Monday of the (ISO) week of ``day``."""
    return day - timedelta(days=day.weekday())


def week_name(monday: date) -> str:
    """``"2026-W25"``: the ISO week, as it names the week's page."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_label(monday: date) -> str:
    """``"Week 25 of 2026"``."""
    year, week, _ = monday.isocalendar()
    return f"Week {week} of {year}"


def week_link(day: date) -> WeekLink:
    monday = week_start(day)
    return WeekLink(
        f"weeks/{week_name(monday)}.html",
        week_label(monday),
        day_span(monday, monday + timedelta(days=6)),
    )


def month_label(year: int, month: int) -> str:
    return f"{_MONTHS[month - 1]} {year}"


@dataclass(frozen=True)
class Moment:
    """A time as a ``<time datetime>`` value and as shown to the reader."""

    iso: str
    text: str

    @classmethod
    def of(cls, t: datetime) -> Moment:
        if t.tzinfo is not None:
            t = t.astimezone(UTC)
            return cls(t.isoformat(timespec="minutes"), t.strftime("%Y-%m-%d %H:%M UTC"))
        return cls(t.isoformat(timespec="minutes"), t.strftime("%Y-%m-%d %H:%M"))


@dataclass(frozen=True)
class LinkView:
    label: str
    url: str
    kind: str  # "abs", "pdf", "html", "code", "project", "cool": a CSS hook
    detail: str = ""  # tells apart several links of one kind: "owner/repo"


@dataclass(frozen=True)
class FigureView:
    src: str
    label: str  # "Figure 3a", "Table 2", or "" when uncaptioned
    caption: str
    alt: str


@dataclass(frozen=True)
class CardView:
    """One paper's card on a day page."""

    anchor: str
    arxiv_id: str
    versioned_id: str
    title: str
    abs_url: str
    status: str  # "new", "revised v3", "cross-list"
    status_kind: str  # "new", "revised", "cross"
    withdrawn: bool
    categories: tuple[str, ...]
    authors_shown: tuple[str, ...]
    authors_folded: tuple[str, ...]
    abstract: str
    links: tuple[LinkView, ...]
    comment: tuple[tuple[str, bool], ...]  # (text, is_venue) segments; empty when no comment
    journal_ref: str | None
    writeup: Writeup | None
    writeup_lang: str
    writeup_failure: str | None  # why the last write-up attempt failed (retried next run)
    reason: str
    score: str
    figures: tuple[FigureView, ...]
    rating: str  # the stored rating: "true" relevant, "false" not, "" none


def status_label(status: PaperStatus, version: int) -> tuple[str, str]:
    """The badge text and its CSS kind for a paper's status on a day page."""
    if status is PaperStatus.REVISED:
        return f"revised v{version}", "revised"
    if status is PaperStatus.CROSS:
        return "cross-list", "cross"
    return "new", "new"


def comment_segments(comment: str, venue: str | None) -> tuple[tuple[str, bool], ...]:
    # Imported here so that publishing does not load the enrich stage until a comment needs it.
    from papertide.enrich import highlight_venue

    return tuple(highlight_venue(comment, venue))


def figure_view(fig: Figure, root: str) -> FigureView:
    # Figure paths are relative to the site's root; quoting keeps any odd name (or a stray
    # scheme such as "https:") inside the site as a plain relative path.
    src = root + quote(fig.path.lstrip("/"), safe="/")
    kind = "Table" if fig.kind == "table" else "Figure"
    label = f"{kind} {fig.number}" if fig.number else ""
    caption = fig.caption.strip()
    if label and caption.lower().startswith((kind.lower(), "fig.")):
        label = ""  # the caption already says "Figure 3: ..."
    alt = label or caption[:120] or f"{kind} from page {fig.page}"
    return FigureView(src=src, label=label, caption=caption, alt=alt)


def card_view(entry: DigestEntry, language: str, root: str) -> CardView:
    """Build one card; ``root`` is the relative path from the page to the site's root."""
    paper, links = entry.paper, entry.links
    status, status_kind = status_label(entry.status, paper.version)
    authors = paper.authors
    shown: tuple[str, ...] = authors
    folded: tuple[str, ...] = ()
    if len(authors) > AUTHORS_FOLD_OVER:
        shown, folded = authors[:AUTHORS_SHOWN], authors[AUTHORS_SHOWN:]
    link_views = [
        LinkView("Abstract", links.abs_url, "abs"),
        LinkView("PDF", links.pdf_url, "pdf"),
        LinkView("HTML", links.html_url, "html"),
    ]
    link_views += _several("Code", links.code_urls, "code")
    link_views += _several("Project page", links.project_urls, "project")
    link_views.append(LinkView("Cool Papers", links.cool_papers_url, "cool"))
    comment = (paper.comment or "").strip()
    writeup = entry.writeup
    return CardView(
        anchor=paper_anchor(paper.arxiv_id),
        arxiv_id=paper.arxiv_id,
        versioned_id=paper.versioned_id,
        title=one_line(paper.title),
        abs_url=links.abs_url,
        status=status,
        status_kind=status_kind,
        withdrawn=paper.withdrawn,
        categories=paper.categories,
        authors_shown=shown,
        authors_folded=folded,
        abstract=paper.abstract.strip(),
        links=tuple(link_views),
        comment=comment_segments(comment, links.venue) if comment else (),
        journal_ref=paper.journal_ref,
        writeup=writeup,
        writeup_lang=(writeup.language if writeup and writeup.language else language),
        writeup_failure=entry.writeup_failure,
        reason=entry.match.reason,
        score=f"{entry.match.score:.2f}",
        figures=tuple(figure_view(f, root) for f in sorted(entry.figures, key=_figure_order)),
        rating="" if entry.rating is None else str(entry.rating).lower(),
    )


def cards(entries: Sequence[DigestEntry], language: str, root: str) -> list[CardView]:
    result = []
    seen: set[str] = set()
    for entry in entries:
        view = card_view(entry, language, root)
        anchor, n = view.anchor, 1
        while anchor in seen:  # the same paper twice on one page must not repeat an id
            n += 1
            anchor = f"{view.anchor}-{n}"
        seen.add(anchor)
        result.append(replace(view, anchor=anchor) if n > 1 else view)
    return result


def _several(label: str, urls: tuple[str, ...], kind: str) -> list[LinkView]:
    if len(urls) == 1:
        return [LinkView(label, urls[0], kind)]
    return [LinkView(label, url, kind, short_url(url)) for url in urls]


def short_url(url: str) -> str:
    """``"owner/repo"`` for a code host, else the host and path, cut to a readable length."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    if parts.netloc.removeprefix("www.") in _CODE_HOSTS and path.count("/") >= 1:
        text = "/".join(path.split("/")[:2])
    else:
        text = parts.netloc + ("/" + path if path else "")
    return text if len(text) <= 32 else text[:31] + "…"


def _figure_order(fig: Figure) -> int:
    return fig.index


def one_line(text: str) -> str:
    """arXiv titles arrive wrapped over several lines; show them on one."""
    return " ".join(text.split())
