"""The configuration file (``papertide.toml``): loading, validation and the starter file."""

from __future__ import annotations

import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from papertide.errors import ConfigError, PapertideError
from papertide.records import Topic, split_arxiv_id

DEFAULT_CONFIG = "papertide.toml"
CONFIG_ENV = "PAPERTIDE_CONFIG"

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_CATEGORY_RE = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$")


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "topic"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TopicConfig(_Section):
    name: str = Field(min_length=1)
    slug: str = ""
    description: str = ""
    query: str = ""
    categories: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _fill_slug(self) -> TopicConfig:
        if not self.slug:
            object.__setattr__(self, "slug", slugify(self.name))
        elif not _SLUG_RE.match(self.slug):
            raise ValueError(
                f"slug {self.slug!r} must be lowercase letters, digits and hyphens"
                " (it is used in URLs)"
            )
        if not self.query.strip() and not self.categories:
            raise ValueError("needs a 'query' (or at least 'categories') to select papers")
        return self

    @field_validator("query")
    @classmethod
    def _check_query(cls, value: str) -> str:
        from papertide.select.query import parse_query

        query = " ".join(value.split())
        if query:
            try:
                parse_query(query)
            except PapertideError as exc:
                raise ValueError(f"invalid query: {exc}") from None
        return query

    @field_validator("categories")
    @classmethod
    def _check_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cat in value:
            if not _CATEGORY_RE.match(cat):
                raise ValueError(f"{cat!r} is not an arXiv category such as 'cs.CV' or 'eess'")
        return value

    @field_validator("examples")
    @classmethod
    def _check_examples(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for example in value:
            try:
                split_arxiv_id(example)
            except ValueError:
                raise ValueError(f"{example!r} is not an arXiv id such as '2606.14721'") from None
        return value

    def to_topic(self) -> Topic:
        return Topic(
            slug=self.slug,
            name=self.name,
            description=" ".join(self.description.split()),
            query=self.query,
            categories=self.categories,
            examples=self.examples,
        )


class SiteConfig(_Section):
    title: str = "papertide — daily arXiv digests"
    output_dir: Path = Path("site")


class StoreConfig(_Section):
    path: Path = Path("papertide.db")


class LLMConfig(_Section):
    backend: Literal["none"] = "none"


class Config(_Section):
    language: str = "zh-CN"
    site: SiteConfig = SiteConfig()
    store: StoreConfig = StoreConfig()
    llm: LLMConfig = LLMConfig()
    topics: tuple[TopicConfig, ...] = Field(min_length=1)
    # Where the file was read from; relative paths in it are resolved against its folder.
    source: Path = Field(default=Path(DEFAULT_CONFIG), exclude=True)

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        if not _LANG_RE.match(value):
            raise ValueError(f"{value!r} is not a language tag such as 'zh-CN', 'en' or 'ja'")
        return value

    @model_validator(mode="after")
    def _unique_slugs(self) -> Config:
        seen: set[str] = set()
        for topic in self.topics:
            if topic.slug in seen:
                raise ValueError(
                    f"two topics share the slug {topic.slug!r}; give each a unique slug"
                )
            seen.add(topic.slug)
        return self

    @property
    def base_dir(self) -> Path:
        return self.source.resolve().parent

    @property
    def store_path(self) -> Path:
        return self.base_dir / self.store.path

    @property
    def output_dir(self) -> Path:
        return self.base_dir / self.site.output_dir

    def topic_records(self) -> list[Topic]:
        return [t.to_topic() for t in self.topics]


def config_path(explicit: str | Path | None) -> Path:
    """The config file to use: the explicit one, $PAPERTIDE_CONFIG, or ./papertide.toml."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(path: Path) -> Config:
    """Read and validate a config file; every problem becomes a one-line ConfigError."""
    if not path.is_file():
        hint = (
            "run `papertide init` to write a starter config" if path.name == DEFAULT_CONFIG else ""
        )
        raise ConfigError(f"{path}: no such config file" + (f"; {hint}" if hint else ""))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the config as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        return Config.model_validate({**data, "source": path})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc, data)}") from None


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    """Every problem on one line, each naming its key (and its topic by name)."""
    return "; ".join(_describe_one(error, data) for error in exc.errors())


def _describe_one(error: Any, data: dict[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for loc in error["loc"]:
        if isinstance(loc, int):
            label = f"[{loc}]"
            if isinstance(node, list) and loc < len(node) and isinstance(node[loc], dict):
                name = node[loc].get("name")
                if name:
                    label += f" ({name})"
            parts.append(label)
            node = node[loc] if isinstance(node, list) and loc < len(node) else None
        else:
            parts.append(("." if parts else "") + str(loc))
            node = node.get(loc) if isinstance(node, dict) else None
    key = "".join(parts) or "config"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling against the configuration reference)"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] == "too_short" and key == "topics":
        message = "add at least one [[topics]] table"
    return f"{key}: {message}"


def starter_config() -> str:
    """The commented example config that `papertide init` writes."""
    return resources.files("papertide").joinpath("starter.toml").read_text(encoding="utf-8")
