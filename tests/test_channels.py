"""Every channel from one `papertide run`: feeds, Hexo/Hugo posts and email, configured in
papertide.toml; config errors name their key; the README documents every key."""

from __future__ import annotations

import shutil
from pathlib import Path

import feedparser
import pytest
from clirun import papertide as run
from test_mail import Inbox, free_port

from papertide.config import Config, load_config
from papertide.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = """
[export]
hexo_dir = "blog/source/_posts"
hugo_dir = "hugo/content/posts"

[email]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "papertide <digest@example.org>"

[[email.recipients]]
address = "ada@example.org"
topics = ["i2i"]
"""


def project(tmp_path: Path, fixtures: Path, port: int, base_url: str = "") -> Path:
    for name in ("config.toml", "day1-2.jsonl"):
        shutil.copy(fixtures / "pipeline" / name, tmp_path / name)
    config = tmp_path / "config.toml"
    text = config.read_text()
    if base_url:
        text = text.replace("[site]\n", f'[site]\nbase_url = "{base_url}"\n', 1)
    config.write_text(text + CHANNELS.format(port=port))
    return config


def test_one_run_publishes_feeds_posts_and_email(tmp_path: Path, fixtures: Path) -> None:
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = project(tmp_path, fixtures, port, "https://example.org/p")
        code, out, err = run(config, "run", "--from", str(tmp_path / "day1-2.jsonl"))
        assert code == 0, err
        assert "email: 1 sent" in out
        assert "hexo: " in out and "hugo: " in out and "feeds are off" not in out
        code, out, _ = run(config, "build")
        assert code == 0 and "email: 0 sent" in out
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    site = tmp_path / "site"
    feed = feedparser.parse((site / "i2i" / "atom.xml").read_bytes())
    assert feed.bozo == 0 and feed.entries
    assert all(e.link.startswith("https://example.org/p/i2i/") for e in feed.entries)
    hexo_posts = sorted(p.name for p in (tmp_path / "blog/source/_posts").glob("*.md"))
    hugo_posts = sorted(p.parent.name for p in (tmp_path / "hugo/content/posts").glob("*/index.md"))
    assert hexo_posts and [p.removesuffix(".md") for p in hexo_posts] == hugo_posts
    days = {p.name.removesuffix(".html") for p in (site / "i2i").glob("2*.html")}
    assert {p[:10] for p in hexo_posts if p.endswith("-i2i.md")} == days


def test_a_failed_email_is_reported_by_the_run_and_sent_by_the_next(
    tmp_path: Path, fixtures: Path
) -> None:
    from aiosmtpd.controller import Controller

    port = free_port()
    config = project(tmp_path, fixtures, port)
    code, out, _ = run(config, "run", "--from", str(tmp_path / "day1-2.jsonl"))
    assert code == 0  # the site is published; the email waits in the outbox
    assert "email: 0 sent, 1 failed and kept for the next run (cannot send through" in out
    assert "feeds are off: set [site] base_url" in out
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        code, out, _ = run(config, "build")
    finally:
        controller.stop()
    assert "email: 1 sent" in out and len(inbox.messages) == 1
    text = inbox.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "https://arxiv.org/abs/2606.00004" in text and "17 June 2026" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[site]\nbase_url = "example.org"\n', "site.base_url: 'example.org' is not an absolute"),
        (
            '[email]\nhost = "h"\nsender = "a@b.c"\n[[email.recipients]]\naddress = "x@y.z"\n'
            'topics = ["nope"]\n',
            "no topic with slug 'nope'",
        ),
        ('[email]\nhost = "h"\nsender = "a@b.c"\n', "email.recipients: required key is missing"),
        ('[email]\nhost = "h"\nsender = "a@b.c"\nsecurity = "tls"\n', "email.security"),
        ("[export]\nhexo = 'x'\n", "export.hexo: unknown key"),
    ],
)
def test_config_mistakes_name_their_key(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "papertide.toml"
    path.write_text(extra + '\n[[topics]]\nname = "I2I"\nslug = "i2i"\nquery = "abs:gan"\n')
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_config(path)


def test_base_url_gets_its_trailing_slash(tmp_path: Path) -> None:
    path = tmp_path / "papertide.toml"
    path.write_text('[site]\nbase_url = "https://x.org/p"\n[[topics]]\nname = "A"\nquery = "a"\n')
    assert load_config(path).site.base_url == "https://x.org/p/"


def test_readme_documents_the_publishing_keys() -> None:
    from papertide.config import EmailConfig

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    export = Config.model_fields["export"].annotation
    for key in export.model_fields:  # type: ignore[union-attr]
        assert f"`[export] {key}`" in readme, key
    for key in EmailConfig.model_fields:
        assert f"`[email] {key}`" in readme, key
    assert "`[site] base_url`" in readme


PUSH = """
[[notify]]
url = "{url}"
topics = ["i2i"]
"""


def test_a_push_secret_reaches_the_service_and_nothing_else(
    tmp_path: Path, fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webhook import endpoint

    secret = "mm-hook-0a1b2c3d4e5f60718293"
    monkeypatch.setenv("PAPERTIDE_TEST_MM_HOOK", secret)
    with endpoint() as hook:
        config = project(tmp_path, fixtures, free_port(), "https://example.org/p")
        url = hook.url("mmost", "/{PAPERTIDE_TEST_MM_HOOK}")
        config.write_text(config.read_text() + PUSH.format(url=url))
        hook.status = 500
        code, out, err = run(config, "run", "--from", str(tmp_path / "day1-2.jsonl"))
        assert code == 0, err  # a failing service never stops the run
        assert "push: 0 sent, 1 failed and kept for the next run" in out and "500" in out
        hook.status = 200
        code, out, err = run(config, "build")
        assert code == 0 and "push: 1 sent" in out
        code, again, _ = run(config, "build")
        assert "push: 0 sent" in again
    [request] = hook.requests
    assert request.path == f"/hooks/{secret}"
    assert "I2I Translation: " in request.json()["text"]
    assert "https://example.org/p/i2i/" in request.json()["text"]
    said = out + err
    everything = [p for p in tmp_path.rglob("*") if p.is_file()]
    names = {p.name for p in everything}
    assert "runs.jsonl" in names and "store.db" in names and "index.html" in names
    leaks = [p for p in everything if secret.encode() in p.read_bytes()]
    assert leaks == [] and secret not in said
