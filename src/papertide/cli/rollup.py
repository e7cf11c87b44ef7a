"""`papertide rollup`: a topic's last N days on one page, with its feeds."""

from __future__ import annotations

import click

from papertide.cli.console import load, note, reports_errors, stdout
from papertide.pipeline import rollup


@click.command("rollup")
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(1, 366),
    help="Calendar days the roll-up covers, up to the newest announcement day in the store.",
)
@click.option(
    "--topic",
    "slugs",
    multiple=True,
    help="Only this topic (its slug; repeatable). Default: every topic.",
)
@click.pass_context
@reports_errors
def rollup_cmd(ctx: click.Context, days: int, slugs: tuple[str, ...]) -> None:
    """Write each topic's roll-up of the last N days into the site, with its feeds.

    The page (<topic>/last-N-days/index.html) lists the papers of those days by day, best
    score first, and links each to its card on the day page. Weekly roll-ups are part of
    every build; this page is not: run the command again (after `papertide run`) to
    refresh it.

    \b
    Examples:
      papertide rollup --days 14
      papertide run; papertide rollup --days 30 --topic 3dgs
    """
    config = load(ctx)
    known = {t.slug for t in config.topics}
    unknown = [slug for slug in slugs if slug not in known]
    if unknown:
        raise click.BadParameter(
            f"no topic with slug {unknown[0]!r}; use one of {sorted(known)}", param_hint="--topic"
        )
    windows, result = rollup(config, days, slugs)
    if not windows:
        stdout.print("no papers selected yet: run `papertide run` first")
        return
    for window in windows:
        page = result.out_dir / window.path
        stdout.print(f"{window.topic.slug}: {window.count} papers, {window.span} → {page}")
    for message in result.notes:
        note(message)
