"""Speed of the default local model on this machine: tokens/s by thread count, the prompt
prefix kept in the KV cache across calls, and prompt-lookup decoding.

For each thread count, writes up the same 3 abstracts of the development days with prompt v2's
two calls (greedy, as papertide does) and prints seconds per write-up, prompt tokens per
write-up (most come from the KV cache: the system message, and the abstract for the second
call) and answer tokens/s; then the same with llama-cpp-python's LlamaPromptLookupDecoding
(draft tokens taken from the prompt: numbers, names and math a translation copies). Check
`uptime` first: on a busy machine every figure is slower, 2 threads more than 1.

    python benchmarks/bench_local_speed.py --threads 1 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from papertide.fetch import read_papers
from papertide.llm import model
from papertide.llm.local import bounded
from papertide.write.prompt import summarise_messages, summary_schema, translate_messages

ROOT = Path(__file__).resolve().parent
BULK = (
    ROOT.parent.parent / "shared" / "data" / "arxiv" / "bulk" / "papers_2026-06-16_to_07-01.jsonl"
)
IDS = ("2606.19710", "2606.15409", "2606.23489")  # from the evaluation set, with numbers


def run(threads: int, lookup: bool, papers: list[Any]) -> None:
    from llama_cpp import Llama
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    # llama-cpp-python 0.3 turns logits_all on for a draft model but sizes its logits buffer
    # from the argument: without logits_all=True the first draft fails ("could not broadcast").
    extra: dict[str, Any] = {
        "draft_model": LlamaPromptLookupDecoding(num_pred_tokens=10),
        "logits_all": True,
    }
    llama = Llama(
        model_path=str(model.default_model_path()),
        n_ctx=4096,
        n_threads=threads,
        verbose=False,
        **(extra if lookup else {}),
    )
    total = answer = 0.0
    tokens = prompt = 0
    for paper in papers:
        started = time.monotonic()
        for messages, schema in (
            (translate_messages(paper, "zh-CN"), None),
            (summarise_messages(paper, None, "zh-CN"), summary_schema("zh-CN")),
        ):
            call = time.monotonic()
            result = llama.create_chat_completion(
                messages=messages,
                temperature=0.0,
                max_tokens=1500,
                repeat_penalty=1.1,
                response_format={"type": "json_object", "schema": bounded(schema)}
                if schema
                else None,
            )
            answer += time.monotonic() - call
            usage = result["usage"]
            tokens += usage["completion_tokens"]
            prompt += usage["prompt_tokens"]
        total += time.monotonic() - started
    label = f"{threads} thread(s){', prompt lookup' if lookup else ''}"
    print(
        f"{label}: {total / len(papers):.1f} s per write-up, {prompt / len(papers):.0f} prompt +"
        f" {tokens / len(papers):.0f} answer tokens, {tokens / answer:.1f} answer tokens/s"
        f" (prompt evaluation included), load {os.getloadavg()[0]:.2f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-lookup", action="store_true", help="skip prompt-lookup decoding")
    args = parser.parse_args()
    if not model.is_assembled():
        print("the default model is not assembled: papertide model assemble", file=sys.stderr)
        return 1
    wanted = set(IDS)
    papers = [p for p in read_papers(BULK) if p.arxiv_id in wanted]
    print(f"{len(papers)} papers ({', '.join(IDS)}), load {os.getloadavg()[0]:.2f}", flush=True)
    for threads in args.threads:
        run(threads, False, papers)
        if not args.no_lookup:
            run(threads, True, papers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
