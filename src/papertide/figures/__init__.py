"""Key figures from a paper's PDF: every figure and table with its caption, cropped.

``extract.extract_figures`` does one PDF; ``stage`` is the pipeline's figures stage;
``download`` gets PDFs politely from arXiv into the cache (``cache``: its layout, pruning).
The heavy parts (pypdfium2, onnxruntime, NumPy, Pillow) come with the ``figures`` extra and
load only when used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from papertide.config import Config
    from papertide.fetch.client import PoliteClient
    from papertide.figures.stage import FigureCounts
    from papertide.records import Topic
    from papertide.store import Store

MISSING_EXTRA = (
    "[figures] is enabled but the figure extractor is not installed; run "
    "`pip install 'papertide[figures]'` (figures skipped this run)"
)


def run_stage(
    store: Store,
    config: Config,
    topics: Sequence[Topic],
    track: Callable[[list[tuple[str, int]], str, int | None], Iterable[tuple[str, int]]],
    client: PoliteClient | None = None,
    warn: Callable[[str], None] | None = None,
) -> FigureCounts | None:
    """The figures stage of a run; None when ``[figures] enabled`` is off or the extra is
    not installed (which is said through ``warn``)."""
    if not config.figures.enabled:
        return None
    try:
        from papertide.figures.stage import figures_stage
    except ImportError:
        if warn:
            warn(MISSING_EXTRA)
        return None
    return figures_stage(store, config, topics, track, client, *(() if warn is None else (warn,)))
