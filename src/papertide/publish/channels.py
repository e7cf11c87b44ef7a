"""The channels published beside the site: Hexo/Hugo posts, email digests, chat pushes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from papertide.config import Config
from papertide.publish import mail, push
from papertide.publish.blog import export_posts
from papertide.records import Digest
from papertide.store import Store


def publish_channels(
    store: Store, config: Config, digests: Sequence[Digest], llm_note: str | None
) -> tuple[str, ...]:
    """Export blog posts, send email and pushes as configured; one line for each channel."""
    notes: list[str] = []
    kinds: tuple[Literal["hexo", "hugo"], ...] = ("hexo", "hugo")
    for kind in kinds:
        folder = config.export_dir(kind)
        if folder is not None:
            result = export_posts(
                kind, folder, digests, config.output_dir, config.language, llm_note
            )
            notes.append(f"{kind}: {result.posts} posts, {result.written} files written → {folder}")
    title, base_url = config.site.title, config.site.base_url
    if config.email is not None:
        notes.append(mail.deliver(store, config.email, digests, title, base_url).line())
    if config.notify:
        notes.append(push.deliver(store, config.notify, digests, title, base_url).line())
    return tuple(notes)
