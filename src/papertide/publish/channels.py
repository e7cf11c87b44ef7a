"""The channels published beside the site: Hexo/Hugo posts and the email digest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from papertide.config import Config
from papertide.publish.blog import export_posts
from papertide.publish.mail import deliver
from papertide.records import Digest
from papertide.store import Store


def publish_channels(
    store: Store, config: Config, digests: Sequence[Digest], llm_note: str | None
) -> tuple[str, ...]:
    """Export blog posts and send email as configured; one line for each channel that ran."""
    notes: list[str] = []
    kinds: tuple[Literal["hexo", "hugo"], ...] = ("hexo", "hugo")
    for kind in kinds:
        folder = config.export_dir(kind)
        if folder is not None:
            result = export_posts(
                kind, folder, digests, config.output_dir, config.language, llm_note
            )
            notes.append(f"{kind}: {result.posts} posts, {result.written} files written → {folder}")
    if config.email is not None:
        report = deliver(store, config.email, digests, config.site.title, config.site.base_url)
        notes.append(report.line())
    return tuple(notes)
