"""Benchmark: publishing the 3,294-paper bulk file with the six starter topics.

Prints, each in a fresh child process: the full build (site, search index, feeds and Hexo
export) of every day but the last, with its peak memory; the run that imports the last day and
rebuilds incrementally; a rebuild with nothing new; and `hexo generate` on the exported
Markdown (needs node and Hexo under .ci/node, as .ci/run installs them).

    python benchmarks/bench_publish.py [--data ../shared/data] [--hexo .ci/node]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BULK = "arxiv/bulk/papers_2026-06-16_to_07-01.jsonl"
THEME = {
    "layout.ejs": "<!doctype html><html><body><%- body %></body></html>\n",
    "index.ejs": "<% page.posts.each(function (p) { %><a><%= p.title %></a><% }) %>\n",
    "post.ejs": "<article><h1><%= page.title %></h1><%- page.content %></article>\n",
}


def measure(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run a child; return (seconds, its peak resident MiB, its stdout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{' '.join(command)} failed:\n{err.read().decode()[-2000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode()


def papertide(*args: str) -> list[str]:
    return [sys.executable, "-m", "papertide", *args]


def split_last_day(bulk: Path, work: Path) -> tuple[Path, Path, str]:
    lines = bulk.read_text(encoding="utf-8").splitlines()
    last = max(json.loads(line)["announced"] for line in lines if line.strip())
    before = [line for line in lines if line.strip() and json.loads(line)["announced"] != last]
    day = [line for line in lines if line.strip() and json.loads(line)["announced"] == last]
    (work / "before.jsonl").write_text("\n".join(before) + "\n", encoding="utf-8")
    (work / "last.jsonl").write_text("\n".join(day) + "\n", encoding="utf-8")
    return work / "before.jsonl", work / "last.jsonl", last


def configure(work: Path) -> None:
    subprocess.run(papertide("init"), cwd=work, check=True, capture_output=True)
    config = work / "papertide.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("[site]\n", '[site]\nbase_url = "https://example.org/papers/"\n', 1)
    text += '\n[export]\nhexo_dir = "blog/source/_posts"\n'
    # Keyword selection only: this measures publishing, not the embedding model.
    if "\n[select]\n" in text:
        text = text.replace("\n[select]\n", '\n[select]\nembedder = "none"\n', 1)
    else:
        text += '\n[select]\nembedder = "none"\n'
    config.write_text(text, encoding="utf-8")


def hexo_site(blog: Path, prefix: Path) -> None:
    (blog / "themes" / "mini" / "layout").mkdir(parents=True, exist_ok=True)
    for name, text in THEME.items():
        (blog / "themes" / "mini" / "layout" / name).write_text(text)
    (blog / "_config.yml").write_text(
        "title: bench\nurl: http://localhost\ntheme: mini\npost_asset_folder: true\n"
    )
    deps = json.loads((prefix / "package.json").read_text())["dependencies"]
    package = {"name": "b", "hexo": {"version": "8"}, "dependencies": deps}
    (blog / "package.json").write_text(json.dumps(package))
    link = blog / "node_modules"
    if not link.exists():
        link.symlink_to(prefix / "node_modules")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--hexo", type=Path, default=ROOT / ".ci" / "node")
    opts = parser.parse_args()
    bulk = (opts.data / BULK).resolve()
    if not bulk.is_file():
        sys.exit(f"{bulk}: not found; pass --data DIR")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        before, last_file, last = split_last_day(bulk, work)
        configure(work)
        subprocess.run(papertide("import", str(before)), cwd=work, check=True, capture_output=True)
        full, full_mem, out = measure(papertide("build"), work)
        print(f"full build (all days but {last}):  {full:6.2f} s, peak {full_mem:5.0f} MiB")
        print("    " + out.strip().replace("\n", "\n    "))
        site = work / "site"
        pages = len(list(site.rglob("*.html")))
        feeds = len(list(site.rglob("*.xml"))) + len(list(site.rglob("feed.json")))
        index_kib = (site / "static" / "search-index.js").stat().st_size / 1024
        print(f"    {pages} pages, {feeds} feed files, search index {index_kib:.0f} KiB")
        inc, inc_mem, out = measure(papertide("run", "--from", str(last_file)), work)
        print(f"run importing {last} + incremental build: {inc:6.2f} s, peak {inc_mem:5.0f} MiB")
        print("    " + out.strip().replace("\n", "\n    "))
        same, same_mem, _ = measure(papertide("build"), work)
        print(f"rebuild, nothing new:                 {same:6.2f} s, peak {same_mem:5.0f} MiB")
        posts = work / "blog" / "source" / "_posts"
        md = len(list(posts.glob("*.md")))
        node = shutil.which("node")
        cli = opts.hexo / "node_modules" / "hexo" / "bin" / "hexo"
        if node is None or not cli.is_file():
            print(f"hexo generate: skipped (node or Hexo under {opts.hexo} missing)")
            return
        hexo_site(work / "blog", opts.hexo.resolve())
        gen, gen_mem, _ = measure([node, str(cli), "generate"], work / "blog")
        html = len(list((work / "blog" / "public").rglob("*.html")))
        print(f"hexo generate ({md} posts → {html} pages): {gen:6.2f} s, peak {gen_mem:5.0f} MiB")


if __name__ == "__main__":
    main()
