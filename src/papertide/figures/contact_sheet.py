"""One PNG showing every crop with its caption, for checking an extraction by eye."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from papertide.figures.extract import Crop

CELL_WIDTH = 560
COLUMNS = 3
_MARGIN = 16
_CAPTION_LINES = 6


def contact_sheet(title: str, crops: Sequence[Crop], path: Path, note: str | None = None) -> Path:
    """Lay the crops out in a grid, each above its label and the start of its caption."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=14)
    bold = ImageFont.load_default(size=20)
    cells: list[Image.Image] = []
    for crop in crops:
        with Image.open(crop.path) as img:
            picture = img.convert("RGB")
        picture.thumbnail((CELL_WIDTH, CELL_WIDTH))
        label = f"{crop.kind} {crop.number or ''} — page {crop.page}" + (
            "" if crop.detected else " (from drawings)"
        )
        lines = [label, *textwrap.wrap(crop.caption, 72)[:_CAPTION_LINES]]
        cell = Image.new("RGB", (CELL_WIDTH, picture.height + 8 + 18 * len(lines)), "white")
        cell.paste(picture, (0, 0))
        draw = ImageDraw.Draw(cell)
        draw.rectangle((0, 0, picture.width - 1, picture.height - 1), outline=(200, 0, 0))
        for n, line in enumerate(lines):
            draw.text(
                (0, picture.height + 6 + 18 * n),
                line,
                fill="black" if n else (0, 0, 160),
                font=font,
            )
        cells.append(cell)
    header = 40 + (24 if note else 0)
    rows = [cells[i : i + COLUMNS] for i in range(0, len(cells), COLUMNS)]
    heights = [max(c.height for c in row) for row in rows]
    width = COLUMNS * (CELL_WIDTH + _MARGIN) + _MARGIN
    sheet = Image.new(
        "RGB", (width, header + sum(h + _MARGIN for h in heights) + _MARGIN), (235, 235, 235)
    )
    draw = ImageDraw.Draw(sheet)
    draw.text((_MARGIN, 10), f"{title}: {len(crops)} crops", fill="black", font=bold)
    if note:
        draw.text((_MARGIN, 38), note[:180], fill=(160, 0, 0), font=font)
    y = header
    for row, h in zip(rows, heights, strict=True):
        for col, cell in enumerate(row):
            sheet.paste(cell, (_MARGIN + col * (CELL_WIDTH + _MARGIN), y))
        y += h + _MARGIN
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, format="PNG", optimize=True)
    return path
