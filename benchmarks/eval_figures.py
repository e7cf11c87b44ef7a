"""Evaluate and time figure extraction on the papers in ../shared/data/pdfs.

For each of the six arXiv papers: the distinct "Figure N" (and "Table N") captions that the
text layer holds, found here by a regular expression over every text line; how many of them
got exactly one crop that holds the caption's first line and no other caption's (caption
recall); the share of crops that hold their own caption and no other (crop precision);
seconds and peak memory per paper, each in a fresh process. Side by side, the naive approach
of taking the embedded images: a caption counts as found when an image of at least 60 × 60 pt
sits right above or below it in its column. For deepfigures' paper.pdf: the IoU of each crop
with the recorded figure box joined with its caption box. Contact sheets are written to
--sheets for checking by eye.

    python benchmarks/eval_figures.py [--data ../shared/data] [--sheets /tmp/sheets]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAPTION = re.compile(r"^\s*(Figure|FIGURE|Fig\.|FIG\.|Table|TABLE)\s*(\d+)\s*[:.]")


def text_layer_captions(pdf: Path) -> dict[tuple[str, str], list[tuple[int, tuple[float, ...]]]]:
    """(kind, number) → every (page, line box) whose text line starts like that caption."""
    import pypdfium2 as pdfium

    from papertide.figures.captions import page_lines

    found: dict[tuple[str, str], list[tuple[int, tuple[float, ...]]]] = {}
    document = pdfium.PdfDocument(pdf)
    for index in range(len(document)):
        page = document[index]
        _, height = page.get_size()
        for line in page_lines(page.get_textpage(), height):
            m = CAPTION.match(line.text)
            if m:
                kind = "table" if m.group(1).lower().startswith("tab") else "figure"
                found.setdefault((kind, m.group(2)), []).append((index + 1, line.box.rounded()))
    return found


def inside(box: tuple[float, ...], crop: tuple[float, ...], slack: float = 1.0) -> bool:
    return (
        box[0] >= crop[0] - slack
        and box[1] >= crop[1] - slack
        and box[2] <= crop[2] + slack
        and box[3] <= crop[3] + slack
    )


def score(
    captions: dict[tuple[str, str], list[tuple[int, tuple[float, ...]]]],
    crops: list[dict[str, object]],
    kind: str,
) -> tuple[int, int, int, int]:
    """(captions, found with exactly one clean crop, crops, clean crops) for one kind."""
    wanted = {k: v for k, v in captions.items() if k[0] == kind}
    mine = [c for c in crops if c["kind"] == kind]
    clean = 0
    good: Counter[str] = Counter()
    for crop in mine:
        box = tuple(crop["box"])  # type: ignore[arg-type]
        lines = [
            (key, place)
            for key, places in captions.items()
            for place in places
            if place[0] == crop["page"] and inside(place[1], box)
        ]
        own = [k for k, _ in lines if k == (kind, crop["number"])]
        others = [k for k, _ in lines if k != (kind, crop["number"])]
        if own and not others:
            clean += 1
            good[str(crop["number"])] += 1
    found = sum(1 for (_, number) in wanted if good[number] == 1)
    return len(wanted), found, len(mine), clean


def naive(
    pdf: Path, captions: dict[tuple[str, str], list[tuple[int, tuple[float, ...]]]]
) -> dict[str, float]:
    """Embedded images as the figures: how many, and which captions they would illustrate."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    started = time.perf_counter()
    document = pdfium.PdfDocument(pdf)
    images: list[tuple[int, tuple[float, ...]]] = []
    for index in range(len(document)):
        page = document[index]
        _, height = page.get_size()
        for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=15):
            left, bottom, right, top = obj.get_bounds()
            images.append((index + 1, (left, height - top, right, height - bottom)))
    seconds = time.perf_counter() - started
    big = [(p, b) for p, b in images if b[2] - b[0] >= 60 and b[3] - b[1] >= 60]

    def near(image: tuple[int, tuple[float, ...]], place: tuple[int, tuple[float, ...]]) -> bool:
        (p, b), (q, c) = image, place
        overlap = min(b[2], c[2]) - max(b[0], c[0])
        gap = min(abs(c[1] - b[3]), abs(b[1] - c[3]))
        return p == q and overlap > 0 and gap < 40

    figures = {k: v for k, v in captions.items() if k[0] == "figure"}
    found = sum(1 for places in figures.values() if any(near(i, pl) for i in big for pl in places))
    useful = sum(1 for i in big if any(near(i, pl) for v in figures.values() for pl in v))
    return {
        "images": len(images),
        "big": len(big),
        "found": found,
        "captions": len(figures),
        "precision": useful / len(big) if big else 0.0,
        "seconds": seconds,
    }


def child(pdf: Path, out: Path, tables: bool) -> None:
    """Run in a fresh process: load the model, extract, print the crops as JSON."""
    from papertide.figures.extract import FigureOptions, default_detector, extract_figures

    started = time.perf_counter()
    default_detector()
    loaded = time.perf_counter() - started
    cpu = time.process_time()
    result = extract_figures(pdf, out, FigureOptions(tables=tables))
    cpu = time.process_time() - cpu
    crops = [
        {
            "kind": c.kind,
            "number": c.number,
            "page": c.page,
            "box": list(c.box.rounded()),
            "caption": c.caption,
            "path": str(c.path),
            "detected": c.detected,
        }
        for c in result.crops
    ]
    print(
        json.dumps(
            {
                "load": loaded,
                "cpu": cpu,
                "seconds": result.seconds,
                "pages": result.pages,
                "reason": result.reason,
                "crops": crops,
            }
        )
    )


def measure(pdf: Path, out: Path, tables: bool) -> tuple[dict[str, object], float]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(pdf), str(out), "1" if tables else "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{pdf.name}: extraction process failed ({status})")
    return json.loads(output), usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sheets", type=Path, default=Path("/tmp/papertide-figure-sheets"))
    parser.add_argument("--no-tables", action="store_true", help="figures only")
    args = parser.parse_args()
    from papertide.figures.contact_sheet import contact_sheet
    from papertide.figures.extract import Crop
    from papertide.figures.geometry import Box

    folder = args.data / "pdfs" / "arxiv_ml_cv"
    tables = not args.no_tables
    print(
        f"{'paper':<28}{'pages':>6}{'s':>7}{'cpu s':>7}{'MiB':>7}  "
        f"{'figures found':>14}{'crop prec':>11}"
        f"{'tables found':>14}  | naive: {'images':>7}{'found':>7}{'prec':>6}{'s':>7}"
    )
    totals = Counter[str]()
    for pdf in sorted(folder.glob("*.pdf")):
        captions = text_layer_captions(pdf)
        out = args.sheets / pdf.stem
        result, mib = measure(pdf, out, tables)
        crops: list[dict[str, object]] = result["crops"]  # type: ignore[assignment]
        f_all, f_found, f_crops, f_clean = score(captions, crops, "figure")
        t_all, t_found, t_crops, t_clean = score(captions, crops, "table")
        base = naive(pdf, captions)
        for key, value in (
            ("f_all", f_all),
            ("f_found", f_found),
            ("crops", f_crops + t_crops),
            ("clean", f_clean + t_clean),
            ("t_all", t_all),
            ("t_found", t_found),
            ("n_found", int(base["found"])),
            ("n_big", int(base["big"])),
            ("n_useful", round(base["precision"] * base["big"])),
        ):
            totals[key] += value
        precision = (f_clean + t_clean) / max(1, f_crops + t_crops)
        figs = f"{f_found}/{f_all}"
        tabs = f"{t_found}/{t_all}" if tables else "-"
        n_found = f"{int(base['found'])}/{int(base['captions'])}"
        print(
            f"{pdf.stem[:27]:<28}{result['pages']:>6}{result['seconds']:>7.2f}"
            f"{result['cpu']:>7.2f}{mib:>7.0f}  "
            f"{figs:>14}{precision:>11.2f}{tabs:>14}"
            f"  | {base['images']:>7}{n_found:>7}{base['precision']:>6.2f}{base['seconds']:>7.2f}"
        )
        missing = [
            n
            for (k, n) in captions
            if k == "figure"
            and sum(1 for c in crops if c["kind"] == "figure" and c["number"] == n) != 1
        ]
        if missing:
            print(
                f"{'':<28}figures without exactly one crop: {', '.join(sorted(missing, key=int))}"
            )
        sheet_crops = [
            Crop(
                str(c["kind"]),
                c["number"],
                str(c["caption"]),
                int(c["page"]),  # type: ignore[arg-type]
                Box(*c["box"]),
                Path(str(c["path"])),
                bool(c["detected"]),
            )  # type: ignore[misc]
            for c in crops
        ]
        contact_sheet(pdf.stem, sheet_crops, args.sheets / f"{pdf.stem}.png", result["reason"])  # type: ignore[arg-type]
    t = totals
    recall = t["f_found"] / max(1, t["f_all"])
    line = f"\ncaption recall: figures {t['f_found']}/{t['f_all']} = {recall:.3f}"
    if tables:
        line += f", tables {t['t_found']}/{t['t_all']} = {t['t_found'] / max(1, t['t_all']):.3f}"
    line += f"; crop precision {t['clean']}/{t['crops']} = {t['clean'] / max(1, t['crops']):.3f}"
    print(line)
    n_recall = t["n_found"] / max(1, t["f_all"])
    n_precision = t["n_useful"] / max(1, t["n_big"])
    print(
        f"naive embedded images: figure caption recall {t['n_found']}/{t['f_all']} = "
        f"{n_recall:.3f}; precision {t['n_useful']}/{t['n_big']} = {n_precision:.3f}"
    )
    deepfigures(args.data / "pdfs" / "deepfigures_endtoend", args.sheets / "deepfigures", tables)
    print(f"\ncontact sheets: {args.sheets}/*.png")


def deepfigures(folder: Path, out: Path, tables: bool) -> None:
    pdf = folder / "paper.pdf"
    recorded = json.loads((folder / "paper.pdf-result.json").read_text(encoding="utf-8"))
    result, mib = measure(pdf, out, tables)
    crops: list[dict[str, object]] = result["crops"]  # type: ignore[assignment]
    print(
        f"\n{pdf}: {result['seconds']:.2f} s, {mib:.0f} MiB; IoU of each crop with the recorded"
        " figure box joined with its caption box (100 dpi pixels → points):"
    )
    ious = []
    for fig in recorded["figures"]:
        scale = 72 / recorded["dpi"]
        boxes = [fig["figure_boundary"], fig["caption_boundary"]]
        truth = (
            min(b["x1"] for b in boxes) * scale,
            min(b["y1"] for b in boxes) * scale,
            max(b["x2"] for b in boxes) * scale,
            max(b["y2"] for b in boxes) * scale,
        )
        kind = "table" if fig["figure_type"] == "Table" else "figure"
        mine = [c for c in crops if c["kind"] == kind and c["number"] == fig["name"]]
        iou = 0.0
        if mine:
            box = tuple(mine[0]["box"])  # type: ignore[arg-type]
            page_ok = mine[0]["page"] == fig["page"] + 1
            w = min(box[2], truth[2]) - max(box[0], truth[0])
            h = min(box[3], truth[3]) - max(box[1], truth[1])
            inter = w * h if w > 0 and h > 0 and page_ok else 0.0
            area = (box[2] - box[0]) * (box[3] - box[1]) + (truth[2] - truth[0]) * (
                truth[3] - truth[1]
            )
            iou = inter / (area - inter)
        ious.append(iou)
        print(f"  {fig['figure_type']} {fig['name']} (page {fig['page'] + 1}): IoU {iou:.3f}")
    print(f"  mean IoU {sum(ious) / max(1, len(ious)):.3f} over {len(ious)} recorded boxes")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4] == "1")
    else:
        main()
