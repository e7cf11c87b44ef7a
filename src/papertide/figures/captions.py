"""Captions found in a page's text layer: "Figure 3:", "Fig. 3.", "Table 2", with their lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from papertide.figures.geometry import Box, union_all

_CAPTION_RE = re.compile(
    r"^\s*(?P<kind>Figure|FIGURE|Fig\.|FIG\.|Fig|Table|TABLE)\s*"
    r"(?P<number>[A-Z]?\d+(?:\.\d+)?[a-z]?)\s*(?P<sep>[:.|]|$)"
)
_MAX_CAPTION_LINES = 25


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    box: Box


@dataclass(frozen=True, slots=True)
class Caption:
    kind: str  # "figure" or "table"
    number: str  # "3", "A.1"
    text: str  # the whole caption, on one line
    box: Box  # every line of the caption
    strong: bool  # "Figure 3:" or "Figure 3." rather than a bare "Figure 3"


def page_lines(textpage: Any, page_height: float) -> list[Line]:
    """The page's text lines, top to bottom; the text layer's rectangles merged per line."""
    pieces: list[Line] = []
    for i in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(i)
        text = textpage.get_text_bounded(left, bottom, right, top)
        if text.strip():
            box = Box(left, page_height - top, right, page_height - bottom)
            pieces.append(Line(" ".join(text.split()), box))
    pieces.sort(key=lambda p: (round(p.box.y0), p.box.x0))
    lines: list[Line] = []
    for piece in pieces:
        if lines and _same_line(lines[-1].box, piece.box):
            last = lines[-1]
            lines[-1] = Line(f"{last.text} {piece.text}", last.box.union(piece.box))
        else:
            lines.append(piece)
    return lines


def _same_line(a: Box, b: Box) -> bool:
    shared = min(a.y1, b.y1) - max(a.y0, b.y0)
    gap = b.x0 - a.x1
    return shared > 0.5 * min(a.height, b.height) and -2 < gap < 8


def find_captions(lines: list[Line], textpage: Any, page_height: float) -> list[Caption]:
    """Every line that starts like a caption, with the lines that continue it."""
    captions = []
    for i, line in enumerate(lines):
        m = _CAPTION_RE.match(line.text)
        if not m:
            continue
        kind = "table" if m.group("kind").lower().startswith("tab") else "figure"
        below = lines[i + 1 : i + 40]
        # The caption's column: as wide as the left-aligned lines that follow it.
        aligned = [n.box.x1 for n in below[:6] if abs(n.box.x0 - line.box.x0) < 4]
        right = max([line.box.x1, *aligned])
        block = [line]
        for nxt in below:
            prev = block[-1].box
            if not (line.box.x0 - 3 <= nxt.box.x0 < right - 5) or nxt.box.y0 < line.box.y0:
                continue  # another column
            if nxt.box.y0 - prev.y1 > 0.8 * max(prev.height, 6.0):
                break
            if len(block) >= _MAX_CAPTION_LINES or _CAPTION_RE.match(nxt.text):
                break
            block.append(nxt)
        box = union_all(b.box for b in block)
        assert box is not None
        captions.append(
            Caption(
                kind=kind,
                number=m.group("number"),
                text=caption_text(textpage, box, page_height) or line.text,
                box=box,
                strong=m.group("sep") in (":", ".", "|"),
            )
        )
    return captions


def caption_text(textpage: Any, box: Box, page_height: float) -> str:
    """The text inside a box of the page, on one line, words split at line ends joined."""
    text = textpage.get_text_bounded(box.x0, page_height - box.y1, box.x1, page_height - box.y0)
    return _join(str(text).splitlines())


def _join(parts: list[str]) -> str:
    text = ""
    for raw in parts:
        part = " ".join(raw.split())
        if not part:
            continue
        if text.endswith("-") and part[:1].islower():
            text = text[:-1] + part
        else:
            text = f"{text} {part}" if text else part
    return text.strip()
