"""Pair a page's captions with the detected figure and table regions: pure geometry.

Each detected region goes to the nearest caption on its side (a figure's caption is below it,
a table's above), in the same column; regions that share a caption (sub-figures) are merged.
A caption the model found no region for takes the drawings and images next to it instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from papertide.figures.captions import Caption
from papertide.figures.geometry import Box, union_all
from papertide.figures.layout import Region

CONTENT_LABELS = ("figure", "table")
_MAX_GAP = 0.45  # of the page height: farther regions are not the caption's
_MIN_OVERLAP = 0.3  # horizontal overlap of a region and its caption, of the narrower


@dataclass(frozen=True, slots=True)
class Placed:
    """A caption with the content it describes; ``box`` holds both."""

    caption: Caption
    content: Box
    box: Box
    detected: bool  # True when the layout model found the content, False when drawings did


def place_captions(
    captions: Sequence[Caption],
    regions: Sequence[Region],
    drawings: Sequence[Box],
    page_width: float,
    page_height: float,
    retext: Callable[[Box], str] | None = None,
) -> list[Placed]:
    """Every caption that has content next to it, with that content's box. ``retext`` reads
    the text inside a box, for captions cut short by the table or figure under them."""
    detected_content = [r for r in regions if r.label in CONTENT_LABELS]
    captions = [_trim(c, detected_content, retext) for c in captions]
    voted = _tables_captioned_below(captions, detected_content)
    # Try both conventions for tables (caption above, caption below); keep the one that gives
    # content to more captions, the vote of nearest neighbours breaking a tie.
    options = []
    for tables_below in (voted, not voted):
        owned: dict[int, list[Box]] = {}
        for region in detected_content:
            for i, box in _owners(region, captions, page_height, tables_below):
                owned.setdefault(i, []).append(box)
        options.append(owned)
    owned = max(options, key=len)  # the first (the vote's) on a tie
    placed = []
    for i, caption in enumerate(captions):
        boxes = owned.get(i)
        detected = bool(boxes)
        content = (
            union_all(boxes) if boxes else _drawn_content(caption, captions, drawings, regions)
        )
        if content is None:
            continue
        content = _grow(content, drawings, caption)
        placed.append(Placed(caption, content, content.union(caption.box), detected))
    return placed


def _trim(
    caption: Caption, content: Sequence[Region], retext: Callable[[Box], str] | None
) -> Caption:
    """A caption above its table must not run on into the table's first rows."""
    bottom = caption.box.y1
    for r in content:
        below_first_line = r.box.y0 > caption.box.y0 + 6
        if below_first_line and r.box.y0 < bottom and r.box.horizontal_overlap(caption.box) > 0.3:
            bottom = r.box.y0
    if bottom >= caption.box.y1:
        return caption
    box = Box(caption.box.x0, caption.box.y0, caption.box.x1, bottom)
    text = retext(box) if retext else caption.text
    return replace(caption, box=box, text=text or caption.text)


def _tables_captioned_below(captions: Sequence[Caption], content: Sequence[Region]) -> bool:
    """Whether this page's table captions sit under their tables: the side where the
    nearest content is closer for most of them."""
    votes = 0
    for caption in captions:
        if caption.kind != "table":
            continue
        above = [caption.box.y0 - r.box.y1 for r in content if r.box.y1 <= caption.box.y0 + 8]
        below = [r.box.y0 - caption.box.y1 for r in content if r.box.y0 >= caption.box.y1 - 8]
        if above and (not below or min(above) < min(below)):
            votes += 1
        elif below:
            votes -= 1
    return votes > 0


def _owners(
    region: Region, captions: Sequence[Caption], page_height: float, tables_below: bool
) -> list[tuple[int, Box]]:
    """The caption the region belongs to; or, for a region that spans several captions set
    side by side (a row of figures detected as one), each of them with its share."""
    costs = _costs(region, captions, page_height, tables_below)
    if not costs:
        return []
    best = min(costs.values())
    row = sorted((i for i, c in costs.items() if c <= best + 12), key=lambda i: captions[i].box.x0)
    if len(row) == 1 or any(
        captions[a].box.horizontal_overlap(captions[b].box) > 0
        for a, b in zip(row, row[1:], strict=False)
    ):
        return [(min(costs, key=lambda i: costs[i]), region.box)]
    shares = []
    for n, i in enumerate(row):
        left = (captions[row[n - 1]].box.x1 + captions[i].box.x0) / 2 if n else region.box.x0
        right = (
            (captions[i].box.x1 + captions[row[n + 1]].box.x0) / 2
            if n + 1 < len(row)
            else region.box.x1
        )
        b = region.box
        shares.append((i, Box(max(b.x0, left), b.y0, min(b.x1, right), b.y1)))
    return shares


def _costs(
    region: Region, captions: Sequence[Caption], page_height: float, tables_below: bool
) -> dict[int, float]:
    costs = {}
    for i, caption in enumerate(captions):
        if caption.box.horizontal_overlap(region.box) < _MIN_OVERLAP:
            continue
        below = caption.box.y0 - region.box.y1  # caption under the region
        above = region.box.y0 - caption.box.y1  # caption over the region
        caption_below = caption.kind == "figure" or tables_below
        expected, other = (below, above) if caption_below else (above, below)
        cost = expected if expected > -8 else (other + 80 if other > -8 else None)
        if cost is None:
            continue
        if (region.label == "table") != (caption.kind == "table"):
            cost += 30  # the model calls some tables figures and the reverse
        if cost < _MAX_GAP * page_height:
            costs[i] = cost
    return costs


def _drawn_content(
    caption: Caption,
    captions: Sequence[Caption],
    drawings: Sequence[Box],
    regions: Sequence[Region],
) -> Box | None:
    """Images and vector drawings beside the caption, up to the nearest text block or caption."""
    if not caption.strong:
        return None
    upward = caption.kind == "figure"
    limit = 0.0 if upward else float("inf")
    stops = [c.box for c in captions if c is not caption]
    stops += [r.box for r in regions if r.label in ("text", "title", "reference")]
    # Diagrams made of glyphs (Feynman graphs, flow charts) are often called equations.
    drawings = [*drawings, *(r.box for r in regions if r.label == "equation")]
    for stop in stops:
        if stop.horizontal_overlap(caption.box) < _MIN_OVERLAP or stop.area < 1:
            continue
        if upward and stop.y1 <= caption.box.y0 + 2:
            limit = max(limit, stop.y1)
        elif not upward and stop.y0 >= caption.box.y1 - 2:
            limit = min(limit, stop.y0)
    inside = [
        d
        for d in drawings
        if d.horizontal_overlap(caption.box) > 0.5
        and (
            d.y0 >= limit - 2 and d.y1 <= caption.box.y0 + 2
            if upward
            else d.y1 <= limit + 2 and d.y0 >= caption.box.y1 - 2
        )
    ]
    content = union_all(inside)
    if content is None or content.height < 12 or content.width < 24:
        return None
    return content


def _grow(content: Box, drawings: Sequence[Box], caption: Caption, reach: float = 24.0) -> Box:
    """Take in drawings that stick out of the detected box a little (axis ticks, legends,
    arrows), never a rule or a drawing that would carry the crop into its neighbours."""
    grown = content
    for d in drawings:
        if d.intersection(content) <= 0 or d.intersection(caption.box) > 0:
            continue
        if (
            content.x0 - d.x0 <= reach
            and d.x1 - content.x1 <= reach
            and content.y0 - d.y0 <= reach
            and d.y1 - content.y1 <= reach
        ):
            grown = grown.union(d)
    return grown


def choose(placed: Sequence[Placed]) -> list[Placed]:
    """One crop per caption number: the candidate the model found content for, with a
    "Figure N:"-style label, and the largest content, wins."""
    best: dict[tuple[str, str], Placed] = {}
    for p in placed:
        key = (p.caption.kind, p.caption.number)
        rank = (p.detected, p.caption.strong, p.content.area)
        current = best.get(key)
        if current is None or rank > (
            current.detected,
            current.caption.strong,
            current.content.area,
        ):
            best[key] = p
    return list(best.values())
