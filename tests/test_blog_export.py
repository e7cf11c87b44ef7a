"""Blog export: Markdown posts with front matter for Hexo and Hugo, built by real Hexo.

The Hexo test needs node and Hexo installed under ``.ci/node`` (``.ci/run`` installs them;
locally: ``npm install --prefix .ci/node hexo@8.1.2 hexo-renderer-marked@7.0.1 ...``, see
``.ci/run``) or under ``$PAPERTIDE_HEXO_PREFIX``; it skips, saying so, when they are absent.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_publish import DAY2, DAY3, HOSTILE, I2I, digest, entry, sample_digests, write_figures

from papertide.publish.blog import export_posts
from papertide.records import Digest

ROOT = Path(__file__).resolve().parent.parent
HEXO_PREFIX = Path(os.environ.get("PAPERTIDE_HEXO_PREFIX", ROOT / ".ci" / "node"))
TEMPLATE_TEXT = "{% raw %} {{ site.title }} {# c #} {{< shortcode >}} _a_ *b* [x](y) #h |t|"


def front_matter(post: Path) -> tuple[dict[str, object], str]:
    """The YAML front matter as written by papertide (scalars and lists of scalars)."""
    text = post.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    data: dict[str, object] = {}
    key = ""
    for line in head.splitlines():
        if line.startswith("  - "):
            value = json.loads(line[4:])
            current = data.setdefault(key, [])
            assert isinstance(current, list)
            current.append(value)
        elif line.startswith("  "):
            sub, value = line.strip().split(": ", 1)
            data[key] = {sub: json.loads(value)}
        else:
            key, _, value = line.partition(":")
            value = value.strip()
            if value:
                data[key] = json.loads(value) if value.startswith('"') else value
    return data, body


def export(tmp_path: Path, kind: str, digests: list[Digest]) -> Path:
    site = tmp_path / "site"
    write_figures(site, digests)
    out = tmp_path / kind
    export_posts(kind, out, digests, site, "zh-CN", None)  # type: ignore[arg-type]
    return out


def test_hexo_posts_one_per_topic_day_with_front_matter(tmp_path: Path) -> None:
    out = export(tmp_path, "hexo", sample_digests())
    assert sorted(p.name for p in out.glob("*.md")) == [
        "2026-05-29-i2i.md",
        "2026-06-15-i2i.md",
        "2026-06-16-i2i.md",
    ]
    meta, body = front_matter(out / f"{DAY3}-i2i.md")
    assert meta["title"] == f"Image-to-image translation · {DAY3}"
    assert meta["date"] == f"{DAY3} 00:00:00"
    assert meta["categories"] == ["Image-to-image translation"]
    assert meta["tags"] == ["Image-to-image translation", "cs.CV"]
    assert str(meta["description"]).startswith("2 papers on Image-to-image translation")
    assert meta["cover"] == "2606.00100-fig1.png"
    # figures sit in the post's asset folder and are referenced by their bare names
    assert (out / f"{DAY3}-i2i" / "2606.00100-fig1.png").is_file()
    assert "![Figure 1](2606.00100-fig1.png)" in body
    assert "## 1. CycleDiff: Unpaired Image\\-to\\-Image Translation" in body
    assert (
        "**Comment:** **Accepted by MICCAI 2026**\\. 12 pages\\. "
        "Code: <https://github.com/a/cyclediff>" in body
    )
    assert "1\\. 第一点。" not in body and "1. 第一点。" in body  # numbered takeaways
    assert "[Cool Papers](<https://papers.cool/arxiv/2606.00100>)" in body
    assert "cover" not in front_matter(out / f"{DAY2}-i2i.md")[0]


def test_hugo_posts_are_page_bundles(tmp_path: Path) -> None:
    out = export(tmp_path, "hugo", sample_digests())
    bundle = out / f"{DAY3}-i2i"
    meta, body = front_matter(bundle / "index.md")
    assert meta["date"] == f"{DAY3}T00:00:00+00:00"
    assert meta["cover"] == {"image": "2606.00100-fig1.png"}
    assert meta["images"] == ["2606.00100-fig1.png"]
    assert (bundle / "2606.00100-fig1.png").is_file()
    assert "![Figure 1](2606.00100-fig1.png)" in body


def test_exporting_again_writes_nothing(tmp_path: Path) -> None:
    digests = sample_digests()
    out = export(tmp_path, "hexo", digests)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    again = export_posts("hexo", out, digests, tmp_path / "site", "zh-CN", None)
    assert (again.posts, again.written) == (3, 0)
    assert stamps == {p: p.stat().st_mtime_ns for p in out.rglob("*")}


def test_template_syntax_and_markdown_in_paper_text_stay_text(tmp_path: Path) -> None:
    odd = entry("2606.00666", DAY3, f"Title {TEMPLATE_TEXT}", abstract=f"$x_1$ {HOSTILE}")
    out = export(tmp_path, "hexo", [digest(I2I, DAY3, odd)])
    _, body = front_matter(out / f"{DAY3}-i2i.md")
    for raw in ("{%", "{{", "{#", "<script>", " _a_ ", "*b*"):
        assert raw not in body


# ---------------------------------------------------------------- real Hexo

THEME = {
    "layout.ejs": "<!doctype html><html><body><%- body %></body></html>\n",
    "index.ejs": (
        "<ul><% page.posts.each(function (p) { %>"
        '<li><a href="<%- url_for(p.path) %>"><%= p.title %></a></li><% }) %></ul>\n'
    ),
    "post.ejs": (
        '<article><h1 class="post-title"><%= page.title %></h1><%- page.content %></article>\n'
    ),
}
SITE_CONFIG = """title: papertide test blog
url: http://localhost:4000
permalink: :year/:month/:day/:title/
source_dir: source
public_dir: public
theme: mini
post_asset_folder: true
marked:
  postAsset: true
"""


def hexo() -> list[str]:
    node = shutil.which("node")
    cli = HEXO_PREFIX / "node_modules" / "hexo" / "bin" / "hexo"
    if node is None:
        pytest.skip("node is not installed (Debian: apt-get install nodejs npm)")
    if not cli.is_file():
        pytest.skip(f"Hexo is not installed under {HEXO_PREFIX} (.ci/run installs it with npm)")
    return [node, str(cli)]


def test_real_hexo_generates_the_exported_posts(tmp_path: Path) -> None:
    command = hexo()
    blog = tmp_path / "blog"
    (blog / "themes" / "mini" / "layout").mkdir(parents=True)
    for name, text in THEME.items():
        (blog / "themes" / "mini" / "layout" / name).write_text(text)
    (blog / "_config.yml").write_text(SITE_CONFIG)
    deps = json.loads((HEXO_PREFIX / "package.json").read_text())["dependencies"]
    package = {"name": "blog", "private": True, "hexo": {"version": "8"}, "dependencies": deps}
    (blog / "package.json").write_text(json.dumps(package))
    (blog / "node_modules").symlink_to(HEXO_PREFIX / "node_modules")
    odd = entry("2606.00666", DAY3, f"Odd {TEMPLATE_TEXT}", abstract=f"$x_1$ {HOSTILE}")
    digests = sample_digests()
    digests[-1] = dataclasses.replace(digests[-1], entries=(*digests[-1].entries, odd))
    site = tmp_path / "site"
    write_figures(site, digests)
    result = export_posts("hexo", blog / "source" / "_posts", digests, site, "zh-CN", None)
    assert result.posts == 3
    done = subprocess.run(
        [*command, "generate"], cwd=blog, capture_output=True, text=True, timeout=300
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "ERROR" not in log and "Unhandled" not in log, log
    post = blog / "public" / "2026" / "06" / "16" / "2026-06-16-i2i"
    html = (post / "index.html").read_text(encoding="utf-8")
    assert "Image-to-image translation · 2026-06-16" in html
    assert "CycleDiff: Unpaired Image-to-Image Translation" in html
    assert "<strong>Accepted by MICCAI 2026</strong>" in html
    assert 'Code: <a target="_blank" rel="noopener" href="https://github.com/a/cyclediff">' in html
    assert (post / "2606.00100-fig1.png").is_file()  # the asset folder was published
    assert 'src="/2026/06/16/2026-06-16-i2i/2606.00100-fig1.png"' in html or (
        'src="2606.00100-fig1.png"' in html
    )
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    assert "{% raw %} {{ site.title }} {# c #}" in html.replace("&#123;", "{").replace(
        "&#125;", "}"
    )
    assert "$x_1$" in html  # math left for a math plugin, not mangled into emphasis
    index = (blog / "public" / "index.html").read_text(encoding="utf-8")
    assert index.count("<li>") == 3
