"""Typed, immutable records passed between the pipeline stages."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

# New-style ids (0704.0001 .. 2606.14721) and old-style ids (hep-th/9901001, math.GT/0309136).
# A version has at most four digits (arXiv's record is in the dozens), so no id overflows the
# store's integers.
_ID_RE = re.compile(
    r"^(?:arXiv:)?(?P<id>\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d{1,4}))?$"
)
_VERSION_RE = re.compile(r"^\s*[vV]?(\d{1,4})\s*$")


def parse_version(label: str) -> int:
    """The number of a version label: ``"v2"`` or ``"2"`` -> 2; ValueError otherwise."""
    m = _VERSION_RE.match(label)
    if not m or int(m.group(1)) < 1:
        raise ValueError(f"not an arXiv version: {label!r}")
    return int(m.group(1))


def split_arxiv_id(text: str) -> tuple[str, int | None]:
    """Split ``"2606.14721v2"`` (or an abs/pdf URL) into ``("2606.14721", 2)``.

    Raises ValueError when the text holds no arXiv identifier.
    """
    s = text.strip()
    for prefix in ("oai:arXiv.org:", "http://", "https://"):
        if s.startswith(prefix):
            s = s[len(prefix) :]
    for host in ("arxiv.org/abs/", "arxiv.org/pdf/", "export.arxiv.org/abs/", "www.arxiv.org/abs/"):
        if s.startswith(host):
            s = s[len(host) :]
    s = s.removesuffix(".pdf")
    m = _ID_RE.match(s)
    if not m:
        raise ValueError(f"not an arXiv identifier: {text!r}")
    v = m.group("v")
    return m.group("id"), int(v) if v else None


class AnnounceType(StrEnum):
    """How a paper appeared in an announcement (arXiv's listing vocabulary)."""

    NEW = "new"
    CROSS = "cross"
    REPLACE = "replace"
    REPLACE_CROSS = "replace-cross"
    UNKNOWN = ""


@dataclass(frozen=True, slots=True)
class Paper:
    """One version of one arXiv paper, as a source describes it."""

    arxiv_id: str  # without version: "2606.14721", "hep-th/9901001"
    version: int  # 1 for v1; sources that do not state it give 1
    title: str
    authors: tuple[str, ...]
    abstract: str
    categories: tuple[str, ...]  # primary category first
    announced: date | None = None  # listing day on which this version appeared
    published: datetime | None = None  # submission time of v1
    updated: datetime | None = None  # submission time of this version
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    announce_type: AnnounceType = AnnounceType.UNKNOWN
    withdrawn: bool = False

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.versioned_id}"

    @property
    def html_url(self) -> str:
        return f"https://arxiv.org/html/{self.versioned_id}"

    @property
    def cool_papers_url(self) -> str:
        return f"https://papers.cool/arxiv/{self.arxiv_id}"

    def listed_in(self, categories: Iterable[str]) -> str | None:
        """The first of the paper's categories that the list admits ('cs' admits 'cs.CV')."""
        wanted = tuple(categories)
        for cat in self.categories:
            if any(cat == w or cat.startswith(w + ".") for w in wanted):
                return cat
        return None


@dataclass(frozen=True, slots=True)
class Topic:
    """A subject a reader follows; built from the configuration."""

    slug: str
    name: str
    description: str = ""
    query: str = ""
    categories: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()  # arXiv ids of papers on the topic
    negative_examples: tuple[str, ...] = ()  # arXiv ids of papers that are not
    example_texts: tuple[str, ...] = ()  # titles or abstracts on the topic
    exclude: tuple[str, ...] = ()  # keyword queries that rule a paper out
    threshold: float = 0.5  # a paper is selected when its score reaches this


@dataclass(frozen=True, slots=True)
class Match:
    """The selection decision for one paper version and one topic."""

    arxiv_id: str
    version: int
    topic: str  # topic slug
    day: date  # the announcement day whose page lists the paper
    selected: bool
    score: float  # in [0, 1]
    reason: str  # readable: "title matches 'image-to-image'"
    decided_at: datetime | None = None  # when the store recorded the decision


@dataclass(frozen=True, slots=True)
class Feedback:
    """The reader's rating of one paper for one topic: from the site's buttons, an exported
    ratings file or the reader's library."""

    paper_id: str  # arXiv id without version: "2606.14721"
    topic: str  # topic slug
    relevant: bool
    source: str  # where the rating came from: "page", "serve", "bibtex", "zotero", ...
    rated_at: datetime | None = None  # when the reader rated it; None: now


@dataclass(frozen=True, slots=True)
class Selected:
    """A paper version a topic selected (or, on its day page, one it nearly selected), as the
    stages after selection see it."""

    paper: Paper  # at the selected version
    match: Match
    announce_type: AnnounceType  # how that version was announced


class PaperStatus(StrEnum):
    """What a paper is on a given day page."""

    NEW = "new"
    REVISED = "revised"
    CROSS = "cross-list"


@dataclass(frozen=True, slots=True)
class Links:
    """Every useful link and the venue found for a paper."""

    abs_url: str
    pdf_url: str
    html_url: str
    cool_papers_url: str
    code_urls: tuple[str, ...] = ()
    project_urls: tuple[str, ...] = ()
    venue: str | None = None


@dataclass(frozen=True, slots=True)
class Writeup:
    """The LLM's translation, summary and takeaways for one paper version."""

    arxiv_id: str
    version: int
    language: str
    model: str
    prompt_version: str
    translation: str
    summary: str
    takeaways: tuple[str, ...]
    # Checks that found something, e.g. "numbers not in the abstract: 42" (see write.validate).
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure or table cropped from a paper's PDF."""

    arxiv_id: str
    version: int
    index: int  # display order, 0 first
    kind: str  # "figure" or "table"
    number: str | None  # "1", "3a"; None when uncaptioned
    caption: str
    page: int
    path: str  # image file, relative to the site's root
    box: tuple[float, float, float, float] | None = None  # on the page, in points, top-left origin


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One paper as it appears on a topic's day page."""

    paper: Paper
    match: Match
    status: PaperStatus
    links: Links
    writeup: Writeup | None = None
    figures: tuple[Figure, ...] = ()
    writeup_failure: str | None = None  # why the last write-up attempt failed, if it did
    rating: bool | None = None  # the reader's stored rating for the page's topic, if any


@dataclass(frozen=True, slots=True)
class Digest:
    """One topic's page for one announcement day."""

    topic: Topic
    day: date
    entries: tuple[DigestEntry, ...]
    updated: datetime = field(default_factory=datetime.now)
    # The best-scored papers the topic did not select that day, shown on the site's day page
    # only, so that the reader can rate them too (no write-up, no figures)
    near_misses: tuple[DigestEntry, ...] = ()
