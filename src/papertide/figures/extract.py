"""Extract a paper's figures and tables, with their captions, from its PDF.

Pages are read with pypdfium2; only pages whose text layer holds a caption are rendered for
the layout model, which keeps a 15-page paper within seconds. Nothing here raises for a bad
PDF: an encrypted, corrupt, truncated, huge or image-only file gives the first page as the
fallback (when it can be rendered at all) and a reason, so a run never stops on one paper.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papertide.figures.captions import caption_text, find_captions, page_lines
from papertide.figures.geometry import Box
from papertide.figures.layout import LayoutDetector, PicoDetLayout
from papertide.figures.pairing import Placed, choose, place_captions

log = logging.getLogger("papertide.figures")

_PDFIUM_ERRORS = {
    1: "unknown error",
    2: "file not found or not readable",
    3: "not a PDF or corrupted",
    4: "encrypted: it needs a password",
    5: "unsupported security scheme",
}


@dataclass(frozen=True, slots=True)
class FigureOptions:
    tables: bool = True  # crop tables as well as figures
    time_limit: float = 30.0  # seconds per paper; pages after it are skipped
    max_pages: int = 50  # pages read per paper; longer papers keep their first pages
    max_bytes: int = 50_000_000  # larger files are not opened
    target_width: int = 1400  # pixels across a crop, sharp on a high-DPI screen
    max_pixels: int = 6_000_000  # cap on one crop's pixel count
    pad: float = 4.0  # points of white around each crop
    image_format: str = "webp"  # "webp" or "png"


@dataclass(frozen=True, slots=True)
class Crop:
    """One saved image: a figure, a table, or the first page as the fallback."""

    kind: str  # "figure", "table" or "page"
    number: str | None
    caption: str
    page: int  # 1-based
    box: Box  # in page points, origin top-left
    path: Path
    detected: bool = True  # found by the layout model rather than by the drawings alone


@dataclass(frozen=True, slots=True)
class Extraction:
    crops: tuple[Crop, ...]  # figures by number, then tables; or the fallback page
    reason: str | None  # why there are no figures, or what went wrong on the way
    seconds: float
    pages: int = 0
    warnings: tuple[str, ...] = field(default=())

    @property
    def fallback(self) -> bool:
        return any(c.kind == "page" for c in self.crops)

    @property
    def readable(self) -> bool:
        return bool(self.crops)


_detector: PicoDetLayout | None = None


def default_detector() -> PicoDetLayout:
    """The layout model, loaded once per process."""
    global _detector
    if _detector is None:
        _detector = PicoDetLayout()
    return _detector


def extract_figures(
    pdf: Path | bytes,
    out_dir: Path,
    options: FigureOptions = FigureOptions(),
    detector: LayoutDetector | None = None,
) -> Extraction:
    """Crop every captioned figure (and table) of ``pdf`` into ``out_dir``."""
    import pypdfium2 as pdfium

    started = time.monotonic()
    size = len(pdf) if isinstance(pdf, bytes) else _size(pdf)
    if size is not None and size > options.max_bytes:
        return _failed(
            f"the PDF is {size / 1e6:.0f} MB, over the {options.max_bytes / 1e6:.0f} MB cap",
            started,
        )
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        return _failed(f"cannot open the PDF: {_PDFIUM_ERRORS.get(code or 1, str(exc))}", started)
    except (OSError, ValueError) as exc:
        return _failed(f"cannot read the PDF: {exc}", started)
    try:
        return _extract(document, out_dir, options, detector, started)
    finally:
        document.close()


def _extract(
    document: Any,
    out_dir: Path,
    options: FigureOptions,
    detector: LayoutDetector | None,
    started: float,
) -> Extraction:
    pages = len(document)
    if pages == 0:
        return _failed("the PDF has no pages", started)
    warnings: list[str] = []
    if pages > options.max_pages:
        warnings.append(f"read the first {options.max_pages} of {pages} pages")
    placed: list[tuple[int, Placed]] = []
    text_chars = 0
    for index in range(min(pages, options.max_pages)):
        if time.monotonic() - started > options.time_limit:
            warnings.append(f"time limit of {options.time_limit:.0f} s reached at page {index + 1}")
            break
        try:
            found, chars = _page_figures(document[index], options, detector)
        except Exception as exc:  # one broken page must not lose the others
            warnings.append(f"page {index + 1} unreadable ({type(exc).__name__}: {exc})")
            continue
        text_chars += chars
        placed.extend((index, p) for p in found)
    chosen = {id(p): i for i, p in placed}
    best = choose([p for _, p in placed])
    out_dir.mkdir(parents=True, exist_ok=True)
    crops = []
    for p in sorted(best, key=_order):
        page_index = chosen[id(p)]
        try:
            crops.append(_save_crop(document[page_index], page_index, p, out_dir, options))
        except Exception as exc:
            warnings.append(f"cannot crop {p.caption.kind} {p.caption.number} ({exc})")
    for w in warnings:
        log.warning("%s", w)
    if crops:
        return Extraction(
            tuple(crops), "; ".join(warnings) or None, _since(started), pages, tuple(warnings)
        )
    if text_chars == 0:
        reason = "the PDF has no text layer (scanned pages?), so no captions can be found"
    else:
        reason = "no captioned figure or table found"
    if warnings:
        reason += "; " + "; ".join(warnings)
    return _fallback(document, out_dir, options, reason, started, pages)


def _page_figures(
    page: Any, options: FigureOptions, detector: LayoutDetector | None
) -> tuple[list[Placed], int]:
    width, height = page.get_size()
    textpage = page.get_textpage()
    chars = textpage.count_chars()
    # Table captions take part even when tables are off, so that no figure claims a table.
    captions = find_captions(page_lines(textpage, height), textpage, height)
    if not any(options.tables or c.kind == "figure" for c in captions):
        return [], chars
    image = page.render(scale=608 / max(width, 1.0)).to_pil()
    regions = (detector or default_detector()).detect(image, width, height)
    drawings = _drawings(page, width, height)
    placed = place_captions(
        captions, regions, drawings, width, height, lambda box: caption_text(textpage, box, height)
    )
    return [p for p in placed if options.tables or p.caption.kind == "figure"], chars


def _drawings(page: Any, width: float, height: float) -> list[Box]:
    import pypdfium2.raw as raw

    kinds = [raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_SHADING]
    boxes = []
    for obj in page.get_objects(filter=kinds, max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        box = Box(
            max(0.0, left), max(0.0, height - top), min(width, right), min(height, height - bottom)
        )
        if box.area > 0.5 * width * height or box.width <= 0 or box.height <= 0:
            continue  # page backgrounds and degenerate paths
        boxes.append(box)
    return boxes


def _order(p: Placed) -> tuple[int, tuple[int, ...], str]:
    digits = tuple(int(d) for d in re.findall(r"\d+", p.caption.number))
    return (0 if p.caption.kind == "figure" else 1, digits, p.caption.number)


def _save_crop(page: Any, index: int, p: Placed, out_dir: Path, options: FigureOptions) -> Crop:
    width, height = page.get_size()
    box = p.box.padded(options.pad, width, height)
    prefix = "fig" if p.caption.kind == "figure" else "tab"
    name = f"{prefix}-{_safe(p.caption.number)}.{options.image_format}"
    _render(page, box, out_dir / name, options)
    return Crop(
        p.caption.kind, p.caption.number, p.caption.text, index + 1, box, out_dir / name, p.detected
    )


def _render(page: Any, box: Box, path: Path, options: FigureOptions) -> None:
    width, height = page.get_size()
    scale = min(4.0, max(2.0, options.target_width / max(box.width, 1.0)))
    pixels = box.width * box.height * scale * scale
    if pixels > options.max_pixels:
        scale *= (options.max_pixels / pixels) ** 0.5
    crop = (box.x0, height - box.y1, width - box.x1, box.y0)  # cut off: left, bottom, right, top
    image = page.render(scale=scale, crop=crop).to_pil().convert("RGB")
    save_image(image, path, options.image_format)


def save_image(image: Any, path: Path, image_format: str) -> None:
    tmp = path.with_name(path.name + ".part")
    if image_format == "png":
        image.save(tmp, format="PNG", optimize=True)
    else:
        image.save(tmp, format="WEBP", quality=80, method=0)
    tmp.replace(path)


def _fallback(
    document: Any, out_dir: Path, options: FigureOptions, reason: str, started: float, pages: int
) -> Extraction:
    log.warning("no figures: %s; using the first page", reason)
    try:
        page = document[0]
        width, height = page.get_size()
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"page-1.{options.image_format}"
        box = Box(0.0, 0.0, width, height)
        _render(page, box, path, FigureOptions(target_width=900, image_format=options.image_format))
    except Exception as exc:
        return _failed(f"{reason}; the first page cannot be rendered either ({exc})", started)
    crop = Crop("page", None, "First page of the paper", 1, box, path, detected=False)
    return Extraction((crop,), reason, _since(started), pages)


def _failed(reason: str, started: float) -> Extraction:
    log.warning("no figures: %s", reason)
    return Extraction((), reason, _since(started))


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _safe(number: str | None) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", number or "x")


def _since(started: float) -> float:
    return time.monotonic() - started
