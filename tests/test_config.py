"""The config file: the starter config works, and every mistake is named by its key."""

from __future__ import annotations

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
