"""Blog export: one Markdown post per topic per day, for Hexo and for Hugo.

Hexo (``[export] hexo_dir``, e.g. ``blog/source/_posts``)::

    <day>-<slug>.md            the post
    <day>-<slug>/<figure>      its figures (Hexo's post asset folder)

Hugo (``[export] hugo_dir``, e.g. ``blog/content/posts``), a page bundle per post::

    <day>-<slug>/index.md
    <day>-<slug>/<figure>

Figures are copied beside the post and referenced by bare file name, so the post works with
Hexo's ``post_asset_folder: true`` and as a Hugo bundle. Paper text is escaped so that the
blog engine shows it as written: Markdown punctuation is backslash-escaped and braces become
character references, so neither Hexo's Nunjucks tags (``{% %}``, ``{{ }}``) nor Hugo
shortcodes can fire from an abstract. LaTeX keeps its dollars and backslashes, for a math
plugin to render. Posts are rewritten only when their content changes; nothing is deleted.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Literal

from papertide.fetch.text import strip_controls
from papertide.publish import views
from papertide.publish.site import write_if_changed
from papertide.records import Digest, DigestEntry, Figure

BlogKind = Literal["hexo", "hugo"]
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~!$()+\-.])")
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'}]")


@dataclass(frozen=True)
class ExportResult:
    kind: BlogKind
    posts: int
    written: int  # files (posts and figures) new or changed
    out_dir: Path


def export_posts(
    kind: BlogKind,
    out_dir: Path,
    digests: Iterable[Digest],
    site_dir: Path,
    language: str,
    llm_note: str | None,
) -> ExportResult:
    """Write one post per non-empty digest into ``out_dir``; figures are read from
    ``site_dir`` (their paths are relative to the site's root) and copied beside the post."""
    posts = written = 0
    for digest in digests:
        if not digest.entries:
            continue
        name = f"{digest.day.isoformat()}-{digest.topic.slug}"
        figures = {
            f: f"{views.paper_anchor(e.paper.arxiv_id)}-{Path(f.path).name}"
            for e in digest.entries
            for f in e.figures
            if (site_dir / f.path).is_file()
        }
        text = render_post(kind, digest, figures, language, llm_note)
        post = out_dir / (f"{name}/index.md" if kind == "hugo" else f"{name}.md")
        written += write_if_changed(post, text.encode("utf-8"))
        for fig, file_name in figures.items():
            written += _copy_if_changed(site_dir / fig.path, out_dir / name / file_name)
        posts += 1
    return ExportResult(kind=kind, posts=posts, written=written, out_dir=out_dir)


def render_post(
    kind: BlogKind,
    digest: Digest,
    figures: dict[Figure, str],
    language: str,
    llm_note: str | None,
) -> str:
    """The post's Markdown with front matter; ``figures`` maps each shipped figure to its
    file name beside the post."""
    topic, day = digest.topic, digest.day
    titles = "; ".join(views.one_line(e.paper.title) for e in digest.entries)
    count = len(digest.entries)
    description = f"{count} {'paper' if count == 1 else 'papers'} on {topic.name}, {day}: {titles}"
    if len(description) > 200:
        description = description[:199] + "…"
    tags = [topic.name]
    for e in digest.entries:
        cat = e.paper.primary_category
        if cat and cat not in tags and len(tags) < 6:
            tags.append(cat)
    cover = next(iter(figures.values()), None)
    updated = digest.updated if digest.updated.tzinfo else digest.updated.replace(tzinfo=UTC)
    front: list[str] = ["---", f"title: {_q(f'{topic.name} · {day.isoformat()}')}"]
    if kind == "hexo":
        front.append(f"date: {day.isoformat()} 00:00:00")
        front.append(f"updated: {updated.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')}")
    else:
        front.append(f"date: {datetime.combine(day, time(0, 0), tzinfo=UTC).isoformat()}")
        front.append(f"lastmod: {updated.astimezone(UTC).isoformat(timespec='seconds')}")
    front.append("categories:")
    front.append(f"  - {_q(topic.name)}")
    front.append("tags:")
    front += [f"  - {_q(t)}" for t in tags]
    front.append(f"description: {_q(description)}")
    if cover:
        if kind == "hexo":
            front.append(f"cover: {_q(cover)}")
        else:  # Hugo themes read either a cover image or the images list
            front += ["cover:", f"  image: {_q(cover)}", "images:", f"  - {_q(cover)}"]
    front.append("katex: true" if kind == "hexo" else "math: true")
    front.append("---")
    body = [
        "",
        f"{count} {'paper' if count == 1 else 'papers'} selected for **{_md(topic.name)}** "
        f"from the arXiv announcements of {views.long_day(day)}.",
        "",
    ]
    if llm_note:
        body += [f"> {_md(llm_note)}", ""]
    elif any(e.writeup for e in digest.entries):
        body += [
            "> Translations, summaries and key takeaways are machine-generated by a language "
            "model and may be wrong: read the paper before relying on it.",
            "",
        ]
    for number, entry in enumerate(digest.entries, 1):
        body += _paper(number, entry, figures, language)
    return "\n".join(front + body).rstrip("\n") + "\n"


def _paper(number: int, e: DigestEntry, figures: dict[Figure, str], language: str) -> list[str]:
    paper, links = e.paper, e.links
    status, _ = views.status_label(e.status, paper.version)
    out = [f"## {number}. {_md(views.one_line(paper.title))}", ""]
    out += [f"**Authors:** {_md(', '.join(paper.authors))}", ""]
    out += [f"`arXiv:{paper.versioned_id}` · {status} · {_md(', '.join(paper.categories))}", ""]
    comment = (paper.comment or "").strip()
    if comment:
        parts = views.comment_segments(comment, links.venue)
        text = "".join(f"**{_md(t)}**" if venue else _md(t) for t, venue in parts)
        out += [f"**Comment:** {text}", ""]
    link_list = [("Abstract", links.abs_url), ("PDF", links.pdf_url), ("HTML", links.html_url)]
    link_list += [("Code", u) for u in links.code_urls]
    link_list += [("Project page", u) for u in links.project_urls]
    link_list.append(("Cool Papers", links.cool_papers_url))
    out += [" · ".join(f"[{label}](<{_url(url)}>)" for label, url in link_list), ""]
    if e.writeup:
        out += ["**Summary**", "", _md(e.writeup.summary), ""]
        if e.writeup.takeaways:
            out += ["**Key Takeaways**", ""]
            out += [f"{i}. {_md(point)}" for i, point in enumerate(e.writeup.takeaways, 1)]
            out.append("")
    out += ["**Abstract**", "", _md(" ".join(paper.abstract.split())), ""]
    if e.writeup and e.writeup.translation:
        lang = e.writeup.language or language
        out += [f"**Translation ({_md(lang)})**", "", _md(e.writeup.translation), ""]
    out += [f"*Why it matched:* {_md(e.match.reason)}", ""]
    for fig in e.figures:
        if fig in figures:
            view = views.figure_view(fig, "")
            caption = f"{view.label}. {view.caption}" if view.label else view.caption
            out += [f"![{_md(view.alt)}]({figures[fig]})", "", f"*{_md(caption)}*", ""]
    return out


def _md(text: str) -> str:
    """Text shown as written by Markdown engines and by Hexo/Hugo template processing.

    URLs become autolinks (``<https://...>``): escaping inside them would change the address
    that GFM's bare-URL linking picks up."""
    flat = " ".join(text.split())
    out: list[str] = []
    at = 0
    for m in _URL.finditer(flat):
        out.append(_escape(flat[at : m.start()]))
        out.append(f"<{_url(m.group(0))}>")
        at = m.end()
    out.append(_escape(flat[at:]))
    return "".join(out)


def _escape(text: str) -> str:
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return escaped.replace("{", "&#123;").replace("}", "&#125;")


def _url(url: str) -> str:
    for char, code in (("<", "%3C"), (">", "%3E"), (" ", "%20"), ("{", "%7B"), ("}", "%7D")):
        url = url.replace(char, code)
    return url


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML, once the C1 controls that YAML
    refuses and JSON keeps are gone: import strips them, a store written before may hold them)."""
    return json.dumps(strip_controls(" ".join(text.split())), ensure_ascii=False)


def _copy_if_changed(src: Path, dest: Path) -> bool:
    same_size = dest.is_file() and dest.stat().st_size == src.stat().st_size
    if same_size and dest.read_bytes() == src.read_bytes():
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return True
