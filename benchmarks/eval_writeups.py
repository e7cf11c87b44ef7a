"""Evaluate LLM write-ups against hand-made reference translations.

The references (``writeup_refs.<language>.jsonl`` beside this file: id + reference only) are
careful human translations of 20 abstracts of the development days (2026-06-16..06-23) of
``../shared/data/arxiv/bulk``. The script writes those 20 papers up with the configured backend
(default: the local model) and prints, for the translation: chrF (sacrebleu, character
6-grams), the abstract's numbers kept, ordinary English words left untranslated; for the whole
write-up: the ordinary English words left in Summary + Takeaways, the share of Summary +
Takeaways copied verbatim from the translation (runs of 12+ characters), write-ups with HTML
tags or Markdown the abstract does not have, failures after the repair, calls and seconds per
write-up and answer tokens/s.

    python benchmarks/eval_writeups.py                          # the local model, today's prompt
    python benchmarks/eval_writeups.py --prompt-version 1 --threads 2 --save v1.jsonl
    python benchmarks/eval_writeups.py --score v1.jsonl         # score a saved run again
    python benchmarks/eval_writeups.py --config papertide.toml  # its [llm] backend
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
BULK = (
    ROOT.parent.parent / "shared" / "data" / "arxiv" / "bulk" / "papers_2026-06-16_to_07-01.jsonl"
)

# Numbers written with digits anywhere in the text (math included: "$\mathbf{0.9759}$" keeps
# 0.9759), thousands separators removed; digits glued to letters ("SiO2", "platform1") are not
# numbers of the text.
_NUMBER = re.compile(r"(?<![0-9A-Za-z.])\d+(?:[.,]\d+)*")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", flags=re.S)
_URL = re.compile(r"https?://\S+")
_WORD = re.compile(r"[A-Za-z]+")
# Markup a model may invent: HTML/XML tags (with names in any script, attributes as HTML writes
# them) and Markdown emphasis or headings.
_MARKUP = re.compile(
    r"</?[^\W\d_][\w-]*"
    r"""(?:\s+[A-Za-z_:][A-Za-z0-9_:.-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s<>"']+))?)*\s*/?>"""
    r"|\*\*|__|^#{1,6}\s",
    flags=re.M,
)
COPY_RUN = 12


def numbers(text: str) -> set[str]:
    found = set()
    for match in _NUMBER.finditer(text):
        value = match.group(0).rstrip(".,")
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", value):
            value = value.replace(",", "")
        found.add(value)
    return found


def untranslated_words(translation: str, reference: str) -> list[str]:
    """Ordinary English words (all lower case, 2+ letters, outside math and URLs) in the
    translation that the reference translation does not keep in English itself. Names,
    acronyms and capitalised terms are not counted."""

    def words(text: str) -> list[str]:
        return _WORD.findall(_URL.sub(" ", _MATH.sub(" ", text)))

    kept = {w.lower() for w in words(reference)}
    return [w for w in words(translation) if w.islower() and len(w) > 1 and w not in kept]


def copied_share(summary_and_takeaways: str, translation: str) -> float:
    """The share of characters of the Summary + Takeaways inside runs of COPY_RUN or more
    characters found verbatim in the translation."""
    text = " ".join(summary_and_takeaways.split())
    source = " ".join(translation.split())
    if not text:
        return 0.0
    covered = [False] * len(text)
    for start in range(len(text) - COPY_RUN + 1):
        if text[start : start + COPY_RUN] in source:
            for i in range(start, start + COPY_RUN):
                covered[i] = True
    return sum(covered) / len(text)


def invented_markup(fields: list[str], abstract: str) -> list[str]:
    have = set(_MARKUP.findall(abstract))
    return sorted({m for text in fields for m in _MARKUP.findall(text)} - have)


@dataclass
class Row:
    id: str
    seconds: float
    calls: int
    tokens: int
    translation: str = ""
    summary: str = ""
    takeaways: tuple[str, ...] = ()
    error: str = ""


def load_refs(language: str) -> dict[str, str]:
    path = ROOT / f"writeup_refs.{language}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {row["id"]: row["reference"] for row in rows}


def run(args: argparse.Namespace, refs: dict[str, str]) -> tuple[list[Row], str]:
    from papertide.config import LLMConfig, load_config
    from papertide.errors import WriteupFailedError
    from papertide.fetch import read_papers
    from papertide.llm import make_backend
    from papertide.write import PROMPT_VERSION
    from papertide.write.writer import LLMWriter

    llm = LLMConfig(backend="local")
    if args.config:
        llm = load_config(args.config).llm
    if args.threads is not None:
        llm = llm.model_copy(update={"threads": args.threads})
    if args.temperature is not None:
        llm = llm.model_copy(update={"temperature": args.temperature})
    papers = {p.arxiv_id: p for p in read_papers(BULK) if p.arxiv_id in refs}
    backend = make_backend(llm)
    if backend is None:
        raise SystemExit("no LLM backend configured")
    writer = LLMWriter(backend, args.prompt_version or PROMPT_VERSION)
    label = f"{writer.model}, prompt v{writer.prompt_version}, threads {llm.threads or 'default'}"
    print(f"{len(papers)} papers, {label}, load {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    first, _, last = (args.papers or ":").partition(":")
    chosen = list(refs)[int(first or 0) : int(last) if last else None]
    for arxiv_id in chosen:
        paper = papers[arxiv_id]
        calls, tokens = writer.usage.calls, writer.usage.completion_tokens
        started = time.monotonic()
        row = Row(arxiv_id, 0.0, 0, 0)
        try:
            w = writer.write(paper, None, args.language)
            row.translation, row.summary, row.takeaways = w.translation, w.summary, w.takeaways
        except WriteupFailedError as exc:
            row.error = str(exc)
        row.seconds = time.monotonic() - started
        row.calls = writer.usage.calls - calls
        row.tokens = writer.usage.completion_tokens - tokens
        rows.append(row)
        if args.save:  # row by row, so that an interrupted run keeps what it wrote
            with args.save.open("a", encoding="utf-8") as out:
                out.write(json.dumps(row.__dict__, ensure_ascii=False) + "\n")
        state = f"FAILED {row.error[:120]}" if row.error else "ok"
        print(
            f"  {arxiv_id}: {row.calls} call(s), {row.seconds:.1f} s, {row.tokens} tok, {state}",
            flush=True,
        )
    return rows, f"{label}, load at the end {os.getloadavg()[0]:.2f}"


def score(rows: list[Row], refs: dict[str, str], abstracts: dict[str, str]) -> None:
    import sacrebleu

    hyps = [r.translation for r in rows]
    chrf = sacrebleu.corpus_chrf(hyps, [[refs[r.id] for r in rows]])
    kept = total = 0
    words: list[str] = []
    summary_words: list[str] = []
    copied: list[float] = []
    marked = []
    for r in rows:
        source = numbers(abstracts[r.id])
        got = numbers(r.translation)
        kept += len(source & got)
        total += len(source)
        words += untranslated_words(r.translation, refs[r.id])
        if not r.error:
            summary_words += untranslated_words(" ".join((r.summary, *r.takeaways)), refs[r.id])
            copied.append(copied_share(" ".join((r.summary, *r.takeaways)), r.translation))
            bad = invented_markup([r.translation, r.summary, *r.takeaways], abstracts[r.id])
            if bad:
                marked.append((r.id, bad))
    ok = [r for r in rows if not r.error]
    n = len(rows)
    print(f"chrF (char 6-gram, translation vs reference): {chrf.score:.1f}")
    print(f"numbers of the abstract kept in the translation: {kept}/{total}")
    print(
        f"untranslated ordinary English words per abstract: {len(words) / n:.1f}"
        f"  {' '.join(sorted(set(words))[:30])}"
    )
    print(
        f"untranslated ordinary English words per Summary + Takeaways: "
        f"{len(summary_words) / max(1, len(ok)):.1f}  {' '.join(sorted(set(summary_words))[:30])}"
    )
    print(
        f"copied share of Summary + Takeaways ({COPY_RUN}+-char runs): "
        f"{statistics.mean(copied) if copied else 0:.2f}"
    )
    print(f"write-ups with invented markup: {len(marked)}/{len(ok)}  {marked[:5]}")
    print(f"failed after repair: {n - len(ok)}/{n}")
    for r in rows:
        if r.error:
            print(f"  {r.id}: {r.error[:200]}")
    seconds = [r.seconds for r in rows]
    tokens = sum(r.tokens for r in rows)
    print(f"calls per paper: {sum(r.calls for r in rows) / n:.2f}")
    print(
        f"seconds per write-up: mean {statistics.mean(seconds):.1f}, median "
        f"{statistics.median(seconds):.1f}, max {max(seconds):.1f};"
        f" {tokens / sum(seconds):.1f} answer tokens/s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="use this config's [llm]")
    parser.add_argument("--language", default="zh-CN")
    parser.add_argument("--prompt-version", default=None, help="default: the current one")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--papers", help="a slice of the 20, e.g. 0:5 (to run shards at once)")
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument("--save", type=Path, help="write the write-ups here (JSONL)")
    parser.add_argument(
        "--score", type=Path, nargs="+", help="score saved runs (shards) instead of running"
    )
    args = parser.parse_args()
    if not BULK.is_file():
        print(f"no bulk file at {BULK}", file=sys.stderr)
        return 1
    refs = load_refs(args.language)
    abstracts = {}
    for line in BULK.read_text(encoding="utf-8").splitlines():
        row: dict[str, Any] = json.loads(line)
        if row["id"] in refs:
            abstracts[row["id"]] = row["summary"]
    if args.score:
        lines = [x for path in args.score for x in path.read_text(encoding="utf-8").splitlines()]
        rows = [
            Row(**{**json.loads(x), "takeaways": tuple(json.loads(x)["takeaways"])}) for x in lines
        ]
        print(f"scoring {' '.join(map(str, args.score))}")
    else:
        if args.save:
            args.save.parent.mkdir(parents=True, exist_ok=True)
            args.save.write_text("", encoding="utf-8")
        rows, label = run(args, refs)
        print(label)
    score(rows, refs, abstracts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
