"""The reader's ratings: `papertide feedback import|list` (the site's "relevant / not relevant"
buttons) and `papertide library import|zotero` (the reader's own library)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from papertide.cli.console import load, reports_errors, stdout, warning
from papertide.config import Config
from papertide.errors import InputError
from papertide.feedback.library import FORMATS, LibraryFile, read_library
from papertide.feedback.ratings import read_ratings
from papertide.feedback.stage import LibraryImport, import_library, record_ratings
from papertide.feedback.zotero import read_zotero
from papertide.store import open_store

_topic_option = click.option(
    "--topic", "-t", "slug", required=True, help="The topic (its slug) these papers belong to."
)


@click.group("feedback")
def feedback_group() -> None:
    """The ratings given with the site's "relevant / not relevant" buttons.

    Under `papertide serve` a click is recorded in the store at once; on a static site the
    browser keeps the ratings, and "Export ratings" saves them as a file for
    `papertide feedback import`. A topic whose ratings changed is judged again by the next
    run or build, and no other topic is.
    """


@feedback_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
@reports_errors
def feedback_import(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Record the ratings of files exported from the site.

    A rating replaces an older rating of the same paper and topic; importing a file again
    changes nothing. Ratings for topics the config does not have are named and skipped.

    \b
    Example:
      papertide feedback import ~/Downloads/papertide-ratings-2026-06-23.json
      papertide build    # the rated topics are judged again
    """
    config = load(ctx)
    files = [read_ratings(path) for path in paths]  # every file read before one is stored
    with open_store(config) as store:
        store.lock()
        recorded = record_ratings(
            store, [r for f in files for r in f.ratings], [t.slug for t in config.topic_records()]
        )
    for problem in [p for f in files for p in f.problems] + list(recorded.problems):
        warning(problem)
    stdout.print(recorded.line())


@feedback_group.command("list")
@click.option("--topic", "-t", "slug", help="Only this topic (its slug).")
@click.pass_context
@reports_errors
def feedback_list(ctx: click.Context, slug: str | None) -> None:
    """Show the stored ratings, per topic, oldest first.

    \b
    Example:
      papertide feedback list --topic i2i
    """
    config = load(ctx)
    slugs = [_topic(config, slug)] if slug else [t.slug for t in config.topic_records()]
    if config.store_missing():
        stdout.print(f"{config.store_path}: no store yet; run `papertide run` first")
        return
    table = Table(title="Ratings")
    for column in ("topic", "paper", "rating", "from", "rated (UTC)", "title"):
        table.add_column(column)
    with open_store(config) as store:
        for topic in slugs:
            for r in store.feedback_for(topic):
                paper = store.get_paper(r.paper_id)
                table.add_row(
                    topic,
                    r.paper_id,
                    "relevant" if r.relevant else "not relevant",
                    r.source,
                    r.rated_at.strftime("%Y-%m-%d %H:%M") if r.rated_at else "",
                    paper.title if paper else "(not in the store yet)",
                )
    stdout.print(table)


@click.group("library")
def library_group() -> None:
    """Start or sharpen a topic from the reader's library.

    Every entry that names an arXiv paper (by its id, an arXiv URL or DOI, or the DOI of a
    stored paper) becomes a "relevant" rating of that paper for the topic; entries that
    cannot be read, or matched, are named.
    """


@library_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_topic_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    help="The file's format (default: judged from its name and content).",
)
@click.pass_context
@reports_errors
def library_import(ctx: click.Context, paths: tuple[Path, ...], slug: str, fmt: str | None) -> None:
    """Import a library export: BibTeX (.bib), RIS (.ris), CSL-JSON (.json), or a text
    file of arXiv ids, arXiv URLs and DOIs (one per line, # comments).

    Zotero: File > Export Library (BibTeX, RIS or CSL JSON); Mendeley, JabRef, EndNote and
    Google Scholar export BibTeX or RIS.

    \b
    Examples:
      papertide library import my-library.bib --topic i2i
      papertide library import ids.txt --topic 3dgs
    """
    config = load(ctx)
    _topic(config, slug)
    libraries = [read_library(path, fmt) for path in paths]
    for library in libraries:
        _report(_import(config, slug, library))


@library_group.command("zotero")
@_topic_option
@click.option("--collection", help="Only this collection of the library (its name or key).")
@click.pass_context
@reports_errors
def library_zotero(ctx: click.Context, slug: str, collection: str | None) -> None:
    """Import the papers of a Zotero library (or one of its collections) over the web API.

    Needs [zotero] library_id in the config, and a key in the environment variable that
    [zotero] api_key_env names (default ZOTERO_API_KEY) unless the library is public.

    \b
    Example:
      export ZOTERO_API_KEY=...   # zotero.org/settings/keys: read-only access is enough
      papertide library zotero --topic i2i --collection "Image translation"
    """
    config = load(ctx)
    _topic(config, slug)
    _report(_import(config, slug, read_zotero(config.zotero, collection)))


def _import(config: Config, slug: str, library: LibraryFile) -> LibraryImport:
    with open_store(config) as store:
        store.lock()
        return import_library(store, slug, library, [t.slug for t in config.topic_records()])


def _report(result: LibraryImport) -> None:
    for problem in result.library.problems:
        warning(problem)
    lines = result.lines()
    stdout.print(lines[0])
    for line in lines[1:]:
        warning(line)


def _topic(config: Config, slug: str) -> str:
    slugs = [t.slug for t in config.topic_records()]
    if slug not in slugs:
        raise InputError(f"no topic with slug {slug!r} in the config; use one of {slugs}")
    return slug
