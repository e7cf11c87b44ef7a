"""The config file: the starter config works, and every mistake is named by its key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from papertide.config import load_config, starter_config
from papertide.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "papertide.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_starter_config_has_the_older_systems_topics(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, starter_config()))
    names = [t.name for t in config.topics]
    assert names == [
        "I2I Translation",
        "3DGS",
        "NeRF",
        "Diffusion Models",
        "Talking Head Generation",
        "Medical Image",
    ]
    assert config.language == "zh-CN"
    assert config.llm.backend == "auto"  # local when installed, else none
    assert all(t.description and t.query for t in config.topics)


def test_relative_paths_are_resolved_against_the_config_folder(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, starter_config()))
    assert config.store_path == tmp_path / "papertide.db"
    assert config.output_dir == tmp_path / "site"


def test_slug_is_derived_from_the_name_when_omitted(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, '[[topics]]\nname = "Talking Head Generation"\nquery = "abs:lip"\n')
    )
    assert config.topics[0].slug == "talking-head-generation"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[topics]]\nname = "I2I"\nslug = "I 2 I"\nquery = "abs:x"\n',
            "topics[0] (I2I): slug 'I 2 I' must be lowercase letters, digits and hyphens",
        ),
        (
            '[site]\ntitel = "x"\n[[topics]]\nname = "A"\nquery = "abs:x"\n',
            "site.titel: unknown key",
        ),
        (
            'language = "chinese please"\n[[topics]]\nname = "A"\nquery = "abs:x"\n',
            "language: 'chinese please' is not a language tag",
        ),
        (
            '[[topics]]\nname = "A"\nquery = "abs:(image OR"\n',
            "topics[0] (A).query: invalid query:",
        ),
        ('[[topics]]\nname = "A"\n', "topics[0] (A): needs a 'description'"),
        (
            '[[topics]]\nname = "A"\nquery = "abs:x"\n[[topics]]\nname = "a"\nquery = "abs:y"\n',
            "two topics share the slug 'a'",
        ),
        (
            '[[topics]]\nname = "A"\nquery = "abs:x"\ncategories = ["computer vision"]\n',
            "topics[0] (A).categories[0]: 'computer vision' is not an arXiv category",
        ),
        (
            '[[topics]]\nname = "A"\nquery = "abs:x"\nexamples = ["not-an-id"]\n',
            "topics[0] (A).examples: 'not-an-id' is not an arXiv id",
        ),
        ('[llm]\nbackend = "gpt"\n[[topics]]\nname = "A"\nquery = "abs:x"\n', "llm.backend:"),
        ('title = "no topics"\n', "title: unknown key"),
        ("", "topics: required key is missing"),
    ],
)
def test_invalid_config_names_the_key_and_the_problem(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[[topics]]\nname = "A"\nquery = abs:x\n')
    with pytest.raises(ConfigError, match=r"papertide.toml: invalid TOML: .*line 3"):
        load_config(path)


def test_missing_config_suggests_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file; run `papertide init`"):
        load_config(tmp_path / "papertide.toml")


def test_the_starters_commented_push_and_alerts_work_once_uncommented(tmp_path: Path) -> None:
    text = starter_config()
    block = text[
        text.index("# [[notify]]") : text.index("# empty_days = 3") + len("# empty_days = 3")
    ]
    lines = [line.removeprefix("# ") for line in block.splitlines()]
    chat = [line for line in lines if line.startswith("[") or re.match(r"^\w+ = ", line)]
    chat = [line for line in chat if not line.startswith("email")]
    config = load_config(write(tmp_path, text + "\n" + "\n".join(chat) + "\n"))
    [target] = config.notify
    assert target.url == "tgram://{TELEGRAM_BOT_TOKEN}/-1001234567890" and target.top == 5
    assert target.topics == ("i2i",)
    assert config.alerts.urls == ("tgram://{TELEGRAM_BOT_TOKEN}/123456789",)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("hooks.example.org/x", "is not an Apprise URL"),
        ("nosuchservice://x", "Apprise has no service 'nosuchservice://'"),
        ("tgram://{my-token}/1", "{my-token} must name an environment variable"),
    ],
)
def test_a_bad_push_url_is_named_by_its_key(tmp_path: Path, url: str, message: str) -> None:
    path = write(tmp_path, f'[[notify]]\nurl = "{url}"\n[[topics]]\nname = "A"\nquery = "a"\n')
    with pytest.raises(ConfigError, match=r"notify\[0\]\.url: .*" + message.replace("{", r"\{")):
        load_config(path)
