"""Figures from PDFs: a drawn figure is cropped with its caption; broken PDFs (corrupt,
encrypted, truncated in download) and PDFs without figures end with the fallback and a
logged reason; the pipeline stage fills the site and never redoes a finished paper."""

from __future__ import annotations

import http.server
import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pypdfium2", reason="the figures extra is not installed")

from pdfs import CHART_PAGE, TEXT_PAGE, encrypted, make_pdf  # noqa: E402

from papertide.config import load_config  # noqa: E402
from papertide.fetch.client import PoliteClient  # noqa: E402
from papertide.figures.download import PdfSource, PdfUnavailableError  # noqa: E402
from papertide.figures.extract import extract_figures  # noqa: E402
from papertide.figures.geometry import Box  # noqa: E402
from papertide.pipeline import run  # noqa: E402
from papertide.store import Store  # noqa: E402

CHART_BOX = Box(160, 792 - 640, 460, 792 - 448)  # the bars, axes and their labels, top-left origin


def test_a_drawn_figure_is_cropped_with_its_whole_caption(tmp_path: Path) -> None:
    from PIL import Image

    result = extract_figures(make_pdf(CHART_PAGE, TEXT_PAGE), tmp_path)
    assert result.reason is None
    (crop,) = result.crops
    assert (crop.kind, crop.number, crop.page) == ("figure", "1", 1)
    assert crop.caption == (
        "Figure 1: Five bars drawn as vector paths, the tallest one second."
        " The caption goes on over a second line."
    )
    assert crop.box.contains(CHART_BOX, slack=1)
    assert crop.box.y1 >= 792 - 405  # the caption's second line is inside
    assert crop.box.y0 > 792 - 712  # the body text above is not
    with Image.open(crop.path) as image:
        assert crop.path.suffix == ".webp"
        assert image.width >= 2 * crop.box.width  # sharp on a high-DPI screen


def test_a_pdf_without_figures_falls_back_to_its_first_page(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="papertide.figures"):
        result = extract_figures(make_pdf(TEXT_PAGE), tmp_path)
    (crop,) = result.crops
    assert crop.kind == "page" and crop.page == 1 and crop.path.is_file()
    assert result.reason == "no captioned figure or table found"
    assert "no captioned figure or table found; using the first page" in caplog.text


@pytest.mark.parametrize(
    ("pdf", "reason"),
    [
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "not a PDF or corrupted"),
        (make_pdf(CHART_PAGE)[:600], "not a PDF or corrupted"),
        (encrypted(make_pdf(CHART_PAGE)), "encrypted: it needs a password"),
    ],
    ids=["corrupt", "cut-short", "encrypted"],
)
def test_an_unreadable_pdf_gives_a_logged_reason_and_no_crops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, pdf: bytes, reason: str
) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    with caplog.at_level(logging.WARNING, logger="papertide.figures"):
        result = extract_figures(path, tmp_path / "out")
    assert result.crops == ()
    assert result.reason == f"cannot open the PDF: {reason}"
    assert reason in caplog.text


def test_an_image_only_pdf_says_it_has_no_text_layer(tmp_path: Path) -> None:
    result = extract_figures(make_pdf("0.5 g 72 72 468 648 re f"), tmp_path)
    assert result.fallback
    assert "no text layer" in (result.reason or "")


def test_a_pdf_over_the_size_cap_is_not_opened(tmp_path: Path) -> None:
    from papertide.figures.extract import FigureOptions

    result = extract_figures(make_pdf(CHART_PAGE), tmp_path, FigureOptions(max_bytes=500))
    assert result.crops == () and "over the 0 MB cap" in (result.reason or "")


# --- downloads and the pipeline stage ------------------------------------------------------


class PdfServer(http.server.ThreadingHTTPServer):
    """Answers /pdf/<id>v<n> with ``self.body``, truncated to ``self.cut`` bytes if set."""

    body = b""
    cut: int | None = None
    requests: list[str]


class PdfHandler(http.server.BaseHTTPRequestHandler):
    server: PdfServer

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.server.requests.append(self.path)
        if not self.path.startswith("/pdf/2606.14721"):
            self.send_error(404)
            return
        body = self.server.body if self.server.cut is None else self.server.body[: self.server.cut]
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Connection", "close")  # no length: the end of the body is the close
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[PdfServer]:
    srv = PdfServer(("127.0.0.1", 0), PdfHandler)
    srv.requests = []
    srv.body = make_pdf(CHART_PAGE)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def local_client() -> PoliteClient:
    return PoliteClient(delay=0.0, floor=0.0, max_attempts=1, timeout=5.0)


def test_a_truncated_download_is_not_cached_and_says_so(tmp_path: Path, server: PdfServer) -> None:
    server.cut = len(server.body) - 200
    base = f"http://127.0.0.1:{server.server_address[1]}/pdf"
    source = PdfSource(tmp_path, local_client(), base)
    with pytest.raises(PdfUnavailableError, match="download truncated after") as caught:
        source.get("2606.14721", 1)
    assert caught.value.retry and caught.value.partial
    assert not list(tmp_path.iterdir())
    server.cut = None
    assert source.get("2606.14721", 1).read_bytes() == server.body
    assert source.get("2606.14721", 1).is_file() and len(server.requests) == 2  # cached


CONFIG = """
[site]
output_dir = "site"
[store]
path = "store.db"
[llm]
backend = "none"
[select]
embedder = "none"
[figures]
enabled = true
pdf_url = "{url}"
[[topics]]
name = "I2I"
query = 'ti:"image-to-image"'
"""


def test_the_stage_retries_a_truncated_download_then_never_redoes_the_paper(
    tmp_path: Path, server: PdfServer, fixtures: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{server.server_address[1]}/pdf"
    (tmp_path / "papertide.toml").write_text(CONFIG.format(url=url), encoding="utf-8")
    config = load_config(tmp_path / "papertide.toml")
    papers = fixtures / "fetch" / "papers.jsonl"
    server.cut = len(server.body) - 200  # the cross-reference table and trailer are lost
    warnings: list[str] = []
    first = run(config, [papers], client=local_client(), warn=warnings.append)
    assert first.figures is not None and first.figures.postponed == 1
    assert any("download truncated" in w for w in warnings)
    with Store(config.store_path) as store:
        assert store.figure_job("2606.14721", 1) == ("retry", 1)
        shown = store.figures_of("2606.14721", 1)
    assert shown == ()  # the page shows the paper without figures until the next run

    server.cut = None
    second = run(config, [], client=local_client())
    assert second.figures is not None and second.figures.with_figures == 1
    with Store(config.store_path) as store:
        assert store.figure_job("2606.14721", 1) == ("ok", 2)
        (figure,) = store.figures_of("2606.14721", 1)
    assert figure.path == "figures/2606.14721v1/fig-1.webp"
    assert figure.caption.startswith("Figure 1: Five bars")
    assert figure.box is not None and Box(*figure.box).contains(CHART_BOX, slack=1)
    assert (config.output_dir / figure.path).is_file()
    assert (config.output_dir / "figures/2606.14721v1/thumb.webp").is_file()
    day_page = (config.output_dir / "i2i" / "2026-06-16.html").read_text(encoding="utf-8")
    assert 'src="../figures/2606.14721v1/fig-1.webp"' in day_page
    assert "Five bars drawn as vector paths" in day_page

    asked = len(server.requests)
    third = run(config, [], client=local_client())
    assert third.figures is not None and third.figures.with_figures == 0
    assert len(server.requests) == asked  # a finished paper is not downloaded again

    shutil.rmtree(config.output_dir)  # the site deleted: a rebuild shows the figures again
    run(config, [], command="build", client=local_client(), write=False)
    assert (config.output_dir / figure.path).read_bytes() == (
        tmp_path / "pdfs" / "2606.14721v1" / "fig-1.webp"
    ).read_bytes()
    assert (config.output_dir / "figures/2606.14721v1/thumb.webp").is_file()
    assert len(server.requests) == asked


def test_without_network_the_run_finishes_and_postpones_figures(
    tmp_path: Path, fixtures: Path
) -> None:
    closed = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PdfHandler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens there: every connection is refused
    (tmp_path / "papertide.toml").write_text(
        CONFIG.format(url=f"http://127.0.0.1:{port}/pdf"), encoding="utf-8"
    )
    config = load_config(tmp_path / "papertide.toml")
    warnings: list[str] = []
    summary = run(
        config, [fixtures / "fetch" / "papers.jsonl"], client=local_client(), warn=warnings.append
    )
    assert summary.figures is not None and summary.figures.postponed >= 1
    assert "postponed" in summary.line()
    assert any("figure downloads postponed to the next run" in w for w in warnings)
    with Store(config.store_path) as store:
        assert store.figure_job("2606.14721", 1) == ("retry", 1)
        assert store.figures_of("2606.14721", 1) == ()


def test_figure_1_of_a_real_paper_is_found_with_its_caption(
    shared_data: Path, tmp_path: Path
) -> None:
    from papertide.figures.extract import FigureOptions

    pdf = shared_data / "pdfs" / "arxiv_ml_cv" / "1512.03385v1_ResNet.pdf"
    if not pdf.is_file():
        pytest.skip(f"{pdf} not found")
    result = extract_figures(pdf, tmp_path, FigureOptions(max_pages=2, tables=False))
    first = result.crops[0]
    assert (first.kind, first.number, first.page) == ("figure", "1", 1)
    assert first.caption.startswith("Figure 1. Training error (left) and test error (right)")
    assert first.caption.endswith("is presented in Fig. 4.")
    # The caption's lines, and the two plots side by side above them, in the right column.
    assert first.box.contains(Box(309, 305.6, 545, 346.5), slack=1)
    assert first.box.y0 < 305.6 - 80 and first.box.x0 > 290


def test_the_figures_command_writes_crops_and_a_contact_sheet_and_goes_on_after_a_bad_pdf(
    tmp_path: Path,
) -> None:
    import json

    from click.testing import CliRunner
    from PIL import Image

    from papertide.cli import main

    good = tmp_path / "good.pdf"
    good.write_bytes(make_pdf(CHART_PAGE))
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(encrypted(make_pdf(CHART_PAGE)))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "--config",
            str(tmp_path / "none.toml"),
            "figures",
            str(locked),
            str(good),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "locked.pdf: cannot open the PDF: encrypted: it needs a password" in result.stderr
    assert "good.pdf: 1 figures, 0 tables" in result.stdout
    (entry,) = json.loads((out / "good" / "figures.json").read_text(encoding="utf-8"))
    assert entry["number"] == "1" and entry["file"] == "fig-1.webp"
    assert (out / "good" / "fig-1.webp").is_file()
    with Image.open(out / "good" / "contact-sheet.png") as sheet:
        assert sheet.format == "PNG" and sheet.height > 200
