"""The prebuilt index behind the site's search page.

The index is a script (``static/search-index.js``) that sets ``window.papertideIndex``, not a
JSON file fetched at view time: browsers refuse ``fetch()`` from ``file://`` pages, and the
site must work when opened straight from disk. ``static/papertide.js`` searches it in the
browser, so search needs no server and sends no request anywhere.

Shape (arrays, not objects, to keep it small)::

    {"v": 1,
     "topics": [[slug, name], ...],
     "papers": [[title, authors, abstract, summary, versioned_id, [[topic, day, anchor], ...]]]}

One row per paper version; ``topic`` indexes ``topics``; ``day`` is ``YYYY-MM-DD``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from papertide.publish import views
from papertide.records import Digest, Topic


def search_index(topics: Sequence[Topic], digests: Sequence[Digest]) -> bytes:
    topic_index = {t.slug: i for i, t in enumerate(topics)}
    rows: dict[str, list[object]] = {}
    places: dict[str, list[list[object]]] = {}
    ordered = sorted(digests, key=lambda d: (d.day, topic_index.get(d.topic.slug, 0)), reverse=True)
    for digest in ordered:
        where = topic_index.get(digest.topic.slug)
        if where is None:
            continue
        for entry in digest.entries:
            paper = entry.paper
            key = paper.versioned_id
            if key not in rows:
                rows[key] = [
                    views.one_line(paper.title),
                    ", ".join(paper.authors),
                    " ".join(paper.abstract.split()),
                    entry.writeup.summary if entry.writeup else "",
                    key,
                ]
                places[key] = []
            places[key].append([where, digest.day.isoformat(), views.paper_anchor(paper.arxiv_id)])
    index = {
        "v": 1,
        "topics": [[t.slug, t.name] for t in topics],
        "papers": [[*row, places[key]] for key, row in rows.items()],
    }
    text = json.dumps(index, ensure_ascii=False, separators=(",", ":"))
    return f"window.papertideIndex={text};\n".encode()
