"""The ratings file: what the site's "relevant / not relevant" buttons kept in a browser,
exported for ``papertide feedback import``.

    {"format": "papertide-ratings", "version": 1, "exported_at": "2026-06-23T09:12:00Z",
     "ratings": [{"paper": "2606.14721", "topic": "i2i", "relevant": true,
                  "rated_at": "2026-06-23T09:10:41Z"}]}

``paper`` is an arXiv id (a version suffix is ignored), ``topic`` a topic slug, ``rated_at``
an ISO 8601 time (optional). The same object, one rating in ``ratings``, is what the site
POSTs to ``papertide serve``. A rating that does not fit is named and skipped; the others
are read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError

from papertide.errors import InputError
from papertide.records import Feedback, split_arxiv_id

FORMAT = "papertide-ratings"
VERSION = 1


class _Rating(BaseModel):
    model_config = ConfigDict(extra="ignore")

    paper: StrictStr
    topic: StrictStr
    relevant: StrictBool
    rated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ratings:
    ratings: tuple[Feedback, ...]
    problems: tuple[str, ...]  # one per rating that was skipped, naming it


def parse_ratings(data: Any, origin: str, source: str) -> Ratings:
    """The ratings of a decoded ratings document (a file's, or a POST's body)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(
            f'{origin}: not a papertide ratings file (it needs "format": "{FORMAT}");'
            ' export it with the site\'s "Export ratings" button'
        )
    if not isinstance(data.get("version"), int) or data["version"] > VERSION:
        raise InputError(
            f"{origin}: ratings file version {data.get('version')!r} is newer than this"
            f" papertide reads ({VERSION}); upgrade papertide"
        )
    items = data.get("ratings")
    if not isinstance(items, list):
        raise InputError(f'{origin}: "ratings" must be a list of ratings')
    ratings, problems = [], []
    for number, item in enumerate(items, 1):
        try:
            rating = _Rating.model_validate(item)
            paper_id, _ = split_arxiv_id(rating.paper)
        except (ValidationError, ValueError) as exc:
            problems.append(f"{origin}: rating {number} skipped: {_first_error(exc)}")
            continue
        ratings.append(Feedback(paper_id, rating.topic, rating.relevant, source, rating.rated_at))
    return Ratings(tuple(ratings), tuple(problems))


def read_ratings(path: Path) -> Ratings:
    """The ratings of an exported ratings file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})"
        ) from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file in UTF-8") from None
    return parse_ratings(data, str(path), "page")


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the rating"
        return f"{where}: {error['msg']}"
    return str(exc)
