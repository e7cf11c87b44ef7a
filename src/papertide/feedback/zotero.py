"""The reader's Zotero library, read over the Zotero web API with pyzotero.

Only top-level items are read (notes and attachments are not papers); the arXiv id comes
from the fields Zotero's arXiv translator fills (``archiveID``, ``url``, ``DOI``, ``extra``).
The API key is read from the environment variable ``[zotero] api_key_env`` names; it is never
logged or stored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx2
import pyzotero

from papertide.config import ZoteroConfig
from papertide.errors import PapertideError
from papertide.feedback.library import LibraryFile, library_entry

_NOT_PAPERS = {"note", "attachment", "annotation"}


def read_zotero(
    settings: ZoteroConfig, collection: str | None = None, page_size: int = 100
) -> LibraryFile:
    """The papers of the configured library, or of one of its collections (name or key),
    ``page_size`` items per request (the API's maximum is 100)."""
    if not settings.library_id:
        raise PapertideError(
            "[zotero] library_id is not set: put your Zotero user ID (shown at"
            " zotero.org/settings/keys) or a group's ID in the config"
        )
    key = os.environ.get(settings.api_key_env, "") if settings.api_key_env else ""
    zot = pyzotero.Zotero(settings.library_id, settings.library_type, key or None)
    zot.endpoint = settings.api_url.rstrip("/")
    where = f"Zotero {settings.library_type} library {settings.library_id}"
    try:
        if collection:
            found = _collection_key(zot, collection, where)
            items = zot.everything(zot.collection_items_top(found, limit=page_size))
            where = f"{where}, collection {collection!r}"
        else:
            items = zot.everything(zot.top(limit=page_size))
    except pyzotero.UserNotAuthorisedError:
        hint = (
            f"set ${settings.api_key_env} to a key that can read it"
            if not key
            else f"the key in ${settings.api_key_env} cannot read it"
        )
        raise PapertideError(f"{where}: the Zotero API refused access (403); {hint}") from None
    except pyzotero.ResourceNotFoundError:
        raise PapertideError(
            f"{where}: not found (404); check [zotero] library_id and library_type"
        ) from None
    except (pyzotero.PyZoteroError, httpx2.HTTPError) as exc:
        raise PapertideError(
            f"{where}: the Zotero API at {settings.api_url} failed ({_short(exc)}); try again later"
        ) from None
    return _entries(items, where)


def _collection_key(zot: pyzotero.Zotero, wanted: str, where: str) -> str:
    collections = zot.everything(zot.collections(limit=100))
    for collection in collections:
        data = collection.get("data", {})
        if wanted in (collection.get("key"), data.get("name")):
            return str(collection["key"])
    names = sorted(str(c.get("data", {}).get("name")) for c in collections)
    raise PapertideError(
        f"{where} has no collection {wanted!r}; its collections: {', '.join(names) or 'none'}"
    )


def _entries(items: list[Mapping[str, Any]], where: str) -> LibraryFile:
    entries, problems = [], []
    for item in items:
        data = item.get("data") if isinstance(item, Mapping) else None
        if not isinstance(data, Mapping):
            problems.append(f"{where}: an item without data; skipped")
            continue
        if data.get("itemType") in _NOT_PAPERS:
            continue
        texts = [str(data.get(k) or "") for k in ("archiveID", "url", "extra", "number")]
        entries.append(
            library_entry(
                str(data.get("key") or item.get("key") or "?"),
                str(data.get("title") or ""),
                [],
                str(data.get("DOI") or ""),
                texts,
            )
        )
    return LibraryFile("zotero", tuple(entries), tuple(problems))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__
