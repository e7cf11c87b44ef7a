"""`papertide figures`: extract figures from PDFs or arXiv ids without the rest of the pipeline.

A thin wrapper over papertide.figures.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.text import Text

from papertide.cli.console import config_file, reports_errors, stderr, stdout
from papertide.config import ArxivConfig, load_config
from papertide.errors import ConfigError, PapertideError
from papertide.figures.cache import cache_name
from papertide.records import split_arxiv_id

if TYPE_CHECKING:
    from papertide.figures.download import PdfSource


@click.command("figures")
@click.argument("inputs", nargs=-1, required=True, metavar="PDF_OR_ID...")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the crops, one sub-folder per paper, each with a contact sheet.",
)
@click.option("--tables/--no-tables", default=True, show_default=True, help="Crop tables too.")
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where downloaded PDFs are kept, by id and version (default: OUT/pdfs).",
)
@click.option(
    "--time-limit", default=30.0, show_default=True, help="Seconds per paper before giving up."
)
@click.pass_context
@reports_errors
def figures_cmd(
    ctx: click.Context,
    inputs: tuple[str, ...],
    out_dir: Path,
    tables: bool,
    cache_dir: Path | None,
    time_limit: float,
) -> None:
    """Crop every figure and table, with its caption, from PDFs or arXiv papers.

    Writes OUT/<paper>/fig-N.webp, tab-N.webp, figures.json and contact-sheet.png (every
    crop with its caption, for checking by eye). An arXiv id (2010.11929v2; without a
    version, v1) is downloaded politely from arXiv and cached. A PDF without captioned
    figures gives its first page instead; one that cannot be read (encrypted, corrupt) is
    reported with the reason. The command goes on with the rest and exits 1 if any input
    gave nothing.

    \b
    Examples:
      papertide figures paper.pdf --out figs
      papertide figures 1512.03385v1 2010.11929v2 --out figs --no-tables
    """
    from papertide.figures.contact_sheet import contact_sheet
    from papertide.figures.extract import FigureOptions, extract_figures

    options = FigureOptions(tables=tables, time_limit=time_limit)
    source: PdfSource | None = None
    failures = 0
    for item in inputs:
        local = Path(item)
        try:
            if local.is_file():
                pdf, name = local, local.stem
            else:
                source = source or _source(ctx, cache_dir or out_dir / "pdfs")
                arxiv_id, version = _arxiv_id(item)
                name = cache_name(arxiv_id, version)
                pdf = source.get(arxiv_id, version)
        except PapertideError as exc:  # a bad id or a failed download: go on with the rest
            failures += 1
            stderr.print(Text(f"{item}: ", style="bold red") + Text(str(exc)))
            continue
        folder = out_dir / re.sub(r"[^\w.\-]+", "_", name)
        result = extract_figures(pdf, folder, options)
        if not result.crops:
            failures += 1
            stderr.print(Text(f"{item}: ", style="bold red") + Text(result.reason or "no crops"))
            continue
        sheet = contact_sheet(name, result.crops, folder / "contact-sheet.png", result.reason)
        (folder / "figures.json").write_text(
            json.dumps(
                [
                    {
                        "kind": c.kind,
                        "number": c.number,
                        "caption": c.caption,
                        "page": c.page,
                        "box": list(c.box.rounded()),
                        "file": c.path.name,
                    }
                    for c in result.crops
                ],
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
        n_fig = sum(c.kind == "figure" for c in result.crops)
        n_tab = sum(c.kind == "table" for c in result.crops)
        told = (
            f"first page only: {result.reason}"
            if result.fallback
            else (f"{n_fig} figures, {n_tab} tables")
        )
        stdout.print(f"{item}: {told} ({result.seconds:.1f} s) → {sheet}")
    if failures:
        sys.exit(1)


def _arxiv_id(text: str) -> tuple[str, int]:
    try:
        arxiv_id, version = split_arxiv_id(text)
    except ValueError:
        raise PapertideError(
            f"{text}: neither a PDF file nor an arXiv id such as 2010.11929v2"
        ) from None
    return arxiv_id, version or 1


def _source(ctx: click.Context, cache_dir: Path) -> PdfSource:
    from papertide.fetch.client import PoliteClient
    from papertide.figures.download import PdfSource

    arxiv = ArxivConfig()
    url, max_mb, timeout = "https://arxiv.org/pdf", 50.0, 60.0
    path = config_file(ctx)
    if path.is_file():
        try:
            config = load_config(path)
        except ConfigError:
            pass
        else:
            arxiv, f = config.arxiv, config.figures
            url, max_mb, timeout = f.pdf_url, f.max_pdf_mb, f.timeout
    client = PoliteClient(contact=arxiv.contact, delay=arxiv.delay, timeout=timeout, max_attempts=2)
    return PdfSource(cache_dir, client, url, int(max_mb * 1_000_000))
