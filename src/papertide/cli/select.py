"""The selection commands: `papertide select`, `papertide eval relevance`, `papertide calibrate`.

Thin wrappers over papertide.select.batch.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.table import Table

from papertide.cli.console import (
    config_option,
    load,
    note,
    progress_bars,
    reports_errors,
    stderr,
    stdout,
    tracker,
)
from papertide.config import Config
from papertide.errors import InputError
from papertide.fetch import read_papers
from papertide.records import Paper
from papertide.select.batch import Evaluation, calibrate_topics, evaluate, score_papers
from papertide.select.evaluate import Scores, read_labels
from papertide.select.stage import Tracker
from papertide.store import open_store

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def _labels_option(help: str) -> Callable[[F], F]:
    return click.option(
        "--labels",
        "labels_dir",
        required=True,
        type=click.Path(file_okay=False, path_type=Path),
        help=help,
    )


_input_option = click.option(
    "--input",
    "-i",
    "inputs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Papers to judge: Atom, RSS, OAI-PMH XML or JSONL (repeatable).",
)


def _papers(config: Config, inputs: Sequence[Path]) -> list[Paper]:
    if inputs:
        papers: list[Paper] = []
        for path in inputs:
            papers.extend(read_papers(path))
        return papers
    if config.store_missing():
        raise InputError(f"{config.store_path}: no store yet; give the papers with --input FILE")
    with open_store(config) as store:
        return list(store.papers())


def _with_progress(run: Callable[[Tracker], T]) -> T:
    with progress_bars() as progress:
        return run(tracker(progress))


@click.command("select")
@_input_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default="-",
    show_default=True,
    help="Where to write the JSON lines ('-' for stdout).",
)
@config_option
@click.pass_context
@reports_errors
def select_cmd(
    ctx: click.Context, inputs: tuple[Path, ...], output: Path, local_config: Path | None
) -> None:
    """Score papers from files against the configured topics; the site is not touched.

    Writes one JSON line per (paper, topic): {"id", "topic", "selected", "score",
    "reason"}. Paper embeddings are cached in the store, so a second run is fast.

    \b
    Example:
      papertide select --input day.jsonl --config papertide.toml --output scores.jsonl
    """
    if not inputs:
        raise click.UsageError("give at least one --input FILE")
    config = load(ctx, local_config)
    papers = _papers(config, inputs)
    matches = _with_progress(lambda track: score_papers(config, papers, None, note, track))
    lines = [
        json.dumps(
            {
                "id": m.arxiv_id,
                "topic": m.topic,
                "selected": m.selected,
                "score": m.score,
                "reason": m.reason,
            },
            ensure_ascii=False,
        )
        for m in matches
    ]
    text = "".join(line + "\n" for line in lines)
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    chosen = sum(m.selected for m in matches)
    stderr.print(f"{len(papers)} papers, {len(matches)} decisions, {chosen} selected")


@click.group("eval")
def eval_group() -> None:
    """Measure papertide against hand-judged labels."""


@eval_group.command("relevance")
@_labels_option('Folder of <topic-slug>.jsonl files with rows {"id", "label"} (2, 1 or 0).')
@_input_option
@click.option(
    "--baseline",
    type=click.Choice(["keyword"]),
    help="Also print the keyword-only figures beside papertide's.",
)
@click.option(
    "--feedback",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="A simulated reader first rates N papers per topic on the earliest labelled days "
    "(the top of each day's page, 10 a day; relevant = labelled 1 or 2); only the later days "
    "are scored, with and without the ratings.",
)
@config_option
@click.pass_context
@reports_errors
def relevance(
    ctx: click.Context,
    labels_dir: Path,
    inputs: tuple[Path, ...],
    baseline: str | None,
    feedback: int,
    local_config: Path | None,
) -> None:
    """Precision, recall and F1 of topic selection per labelled topic, and their macro average.

    The papers are those of the days the labelled papers were announced (from --input
    files, else from the store); papers no label names count as not relevant. Precision
    counts labels 1 and 2 as correct; recall is over the label-2 papers.

    \b
    Examples:
      papertide eval relevance --labels labels/dev --input papers.jsonl --baseline keyword
      papertide eval relevance --labels labels/dev --input papers.jsonl --feedback 30
    """
    config = load(ctx, local_config)
    labels = read_labels(labels_dir)
    papers = _papers(config, inputs)
    result = _with_progress(
        lambda track: evaluate(config, labels, papers, baseline is not None, note, track, feedback)
    )
    _print_evaluation(result, baseline is not None)


def _cells(s: Scores | None) -> list[str]:
    if s is None:
        return ["", "", ""]
    return [f"{s.precision:.2f}", f"{s.recall:.2f}", f"{s.f1:.2f}"]


def _print_evaluation(result: Evaluation, baseline: bool) -> None:
    if not result.topics:
        raise InputError("no configured topic has a label file; label files are <slug>.jsonl")
    days = f"{result.days[0]}..{result.days[-1]}" if result.days else "no days"
    title = f"Relevance on {result.papers} papers announced {days}"
    rated = bool(result.rating_days)
    if rated:
        first, last = result.rating_days[0], result.rating_days[-1]
        title += f", after ratings of {first}..{last}"
    table = Table(title=title)
    table.add_column("topic")
    for head in ("P", "R", "F1", "selected", "core"):
        table.add_column(head, justify="right")
    if rated:
        for head in ("rated +/-", "unrated P", "unrated R", "unrated F1"):
            table.add_column(head, justify="right")
    if baseline:
        for head in ("keyword P", "keyword R", "keyword F1"):
            table.add_column(head, justify="right")
    for t in result.topics:
        row = [t.slug, *_cells(t.scores), str(t.scores.selected), str(t.scores.core)]
        if rated:
            row += [f"{t.rated[0]}/{t.rated[1]}", *_cells(t.unrated)]
        table.add_row(*(row + (_cells(t.baseline) if baseline else [])))
    row = ["macro", *_cells(result.macro()), "", ""]
    if rated:
        row += ["", *_cells(result.macro("unrated"))]
    table.add_row(*(row + (_cells(result.macro("baseline")) if baseline else [])))
    stdout.print(table)
    for slug in result.missing:
        note(f"labels for {slug!r} were not used: no topic in the config has that slug")


@click.command("calibrate")
@_labels_option("Folder of <topic-slug>.jsonl label files, as for `eval relevance`.")
@_input_option
@config_option
@click.pass_context
@reports_errors
def calibrate_cmd(
    ctx: click.Context, labels_dir: Path, inputs: tuple[Path, ...], local_config: Path | None
) -> None:
    """Choose each labelled topic's threshold from hand-judged labels.

    Prints the threshold that maximises F1 on all labelled days, that (optimistic) F1,
    and an honest one: each day judged at a threshold chosen on the other days. Copy
    the thresholds you trust into the topics' `threshold` keys.

    \b
    Example:
      papertide calibrate --labels labels/dev --input papers.jsonl
    """
    config = load(ctx, local_config)
    labels = read_labels(labels_dir)
    papers = _papers(config, inputs)
    found = _with_progress(lambda track: calibrate_topics(config, labels, papers, note, track))
    table = Table(title="Thresholds from labels")
    for head in ("topic", "now", "F1 now", "chosen", "F1 fitted", "F1 leave-one-day-out"):
        table.add_column(head, justify="left" if head == "topic" else "right")
    current = {t.slug: t.threshold for t in config.topic_records()}
    for c in found:
        table.add_row(
            c.slug,
            f"{current[c.slug]:.3f}",
            f"{c.default_f1:.2f}",
            f"{c.threshold:.3f}",
            f"{c.f1:.2f}",
            f"{c.cv_f1:.2f}",
        )
    stdout.print(table)
    for c in found:
        stdout.print(f"[[topics]] slug = {c.slug!r}: threshold = {c.threshold}")
