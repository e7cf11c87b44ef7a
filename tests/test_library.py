"""The reader's library: BibTeX, RIS, CSL-JSON and id lists with broken entries, the Zotero web
API answered by a local server replaying its responses, and the `library` commands."""

from __future__ import annotations

import json
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from clirun import papertide as run_cli
from replay import ReplayServer, Reply

from papertide.config import ZoteroConfig
from papertide.errors import PapertideError
from papertide.feedback.library import read_library
from papertide.feedback.zotero import read_zotero
from papertide.store import Store


@pytest.fixture
def project(tmp_path: Path, fixtures: Path) -> Path:
    """The pipeline fixture's config and store: papers 2606.00001 .. 2606.00005."""
    shutil.copy(fixtures / "pipeline" / "config.toml", tmp_path / "config.toml")
    code, _, err = run_cli(
        tmp_path / "config.toml", "import", str(fixtures / "pipeline" / "day1-2.jsonl")
    )
    assert code == 0, err
    return tmp_path


def ratings(project: Path, topic: str) -> list[tuple[str, bool, str]]:
    with Store(project / "store.db") as store:
        return [(r.paper_id, r.relevant, r.source) for r in store.feedback_for(topic)]


def test_a_bibtex_export_with_broken_entries_gives_the_good_ones_and_names_the_bad(
    fixtures: Path,
) -> None:
    library = read_library(fixtures / "library" / "zotero_export.bib")
    found = {e.key: (e.arxiv_id, e.doi) for e in library.entries}
    assert found == {
        # Zotero's arXiv items: url, DOI 10.48550/arXiv.*, note "arXiv:... [cs]"
        "li_unpaired_2026": ("2606.00001", "10.48550/arxiv.2606.00001"),
        # Google Scholar's "arXiv preprint arXiv:..." journal
        "wei_style_2026": ("2606.00004", None),
        # eprint + archivePrefix, the standard BibTeX fields
        "zhu_cycle_2017": ("1703.10593", None),
        "journal_only_2024": (None, "10.1016/j.media.2024.00042"),
    }
    titles = {e.key: e.title for e in library.entries}
    assert (
        titles["li_unpaired_2026"] == "Unpaired Image-to-Image Translation with Contrastive Cycles"
    )
    assert len(library.problems) == 2
    assert (
        "zotero_export.bib:24: entry 'broken_braces_2025' could not be read" in library.problems[0]
    )
    assert "zotero_export.bib:47: an entry without a citation key" in library.problems[1]


def test_ris_csl_json_and_id_lists_name_what_they_cannot_read(fixtures: Path) -> None:
    ris = read_library(fixtures / "library" / "mendeley_export.ris")
    assert [(e.key, e.arxiv_id) for e in ris.entries] == [
        ("li2026", "2606.00001"),
        ("line 11", "2606.00005"),  # "N1  - arXiv: 2606.00005"
    ]
    assert any("record 'A record cut off before its end' has no ER line" in p for p in ris.problems)
    assert any("mendeley_export.ris:18: 1 line(s) outside any TY" in p for p in ris.problems)

    csl = read_library(fixtures / "library" / "zotero_export.json")
    assert [(e.arxiv_id, e.doi) for e in csl.entries] == [
        ("2606.00002", "10.48550/arxiv.2606.00002"),
        (None, "10.1162/coli.2026.7"),
    ]
    assert csl.problems == (
        f"{fixtures / 'library' / 'zotero_export.json'}: item 2 is not an object; skipped",
    )

    ids = read_library(fixtures / "library" / "ids.txt")
    assert [(e.arxiv_id, e.doi) for e in ids.entries] == [
        ("2606.00001", None),
        ("2606.00004", None),  # a PDF URL with its version
        ("2606.00005", None),
        (None, "10.1162/coli.2026.7"),
    ]
    assert ids.problems == (
        f"{fixtures / 'library' / 'ids.txt'}:6: 'not an identifier at all'"
        " is not an arXiv id, URL or DOI",
    )


def test_a_library_that_is_not_json_at_all_is_refused_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "library.json"
    broken.write_text('[\n  {"title": "cut off",\n', encoding="utf-8")
    with pytest.raises(PapertideError, match=r"library.json:3: not valid JSON"):
        read_library(broken)


def test_library_import_rates_the_stored_papers_and_names_the_rest(
    project: Path, fixtures: Path
) -> None:
    code, out, err = run_cli(
        project / "config.toml",
        "library",
        "import",
        str(fixtures / "library" / "zotero_export.bib"),
        "--topic",
        "i2i",
    )
    assert code == 0, err
    assert "4 entries read, 3 with an arXiv id or a stored DOI; 3 ratings recorded" in out
    assert "1 for papers not in the store yet" in out  # 1703.10593: kept, used once stored
    assert "judged again by the next run: i2i" in out
    assert "entry 'broken_braces_2025' could not be read" in err
    assert "journal_only_2024 (Diffusion Models in Medical Imaging)" in err
    assert ratings(project, "i2i") == [
        ("1703.10593", True, "bibtex"),
        ("2606.00001", True, "bibtex"),
        ("2606.00004", True, "bibtex"),
    ]
    assert ratings(project, "3dgs") == []
    # importing it again changes nothing, and so re-judges nothing
    code, out, _ = run_cli(
        project / "config.toml",
        "library",
        "import",
        str(fixtures / "library" / "zotero_export.bib"),
        "--topic",
        "i2i",
    )
    assert "0 ratings recorded (3 already known)" in out and "judged again" not in out


def test_a_doi_is_matched_to_the_stored_paper_that_has_it(project: Path, fixtures: Path) -> None:
    with Store(project / "store.db") as store:
        paper = store.get_paper("2606.00003")
        assert paper is not None
        store.upsert_papers([replace(paper, version=2, doi="10.1162/COLI.2026.7")])
    code, _, err = run_cli(
        project / "config.toml",
        "library",
        "import",
        str(fixtures / "library" / "zotero_export.json"),
        "--topic",
        "i2i",
    )
    assert code == 0, err
    assert ratings(project, "i2i") == [
        ("2606.00002", True, "csl-json"),
        ("2606.00003", True, "csl-json"),
    ]


def test_library_import_needs_a_configured_topic(project: Path, fixtures: Path) -> None:
    code, _, err = run_cli(
        project / "config.toml",
        "library",
        "import",
        str(fixtures / "library" / "ids.txt"),
        "-t",
        "nope",
    )
    assert code == 1
    assert "no topic with slug 'nope' in the config; use one of ['i2i', '3dgs']" in err


# --- Zotero ------------------------------------------------------------------------------


def recording(fixtures: Path, name: str) -> tuple[str, dict[str, str], Reply]:
    """The path, query and reply of a recorded Zotero API response."""
    data = json.loads((fixtures / "zotero" / name).read_text(encoding="utf-8"))
    url = urllib.parse.urlsplit(data["request"].split(" ", 1)[1])
    query = dict(urllib.parse.parse_qsl(url.query))
    body = data["body"] if isinstance(data["body"], str) else json.dumps(data["body"])
    return url.path, query, Reply(body.encode(), data["status"], data["headers"])


@pytest.fixture
def zotero_api() -> Iterator[ReplayServer]:
    server = ReplayServer()
    try:
        yield server
    finally:
        server.close()


def replay(server: ReplayServer, fixtures: Path, *names: str) -> None:
    for name in names:
        path, query, reply = recording(fixtures, name)
        server.add(path, reply, **query)


def test_a_zotero_library_is_read_page_by_page_with_the_key_from_the_environment(
    zotero_api: ReplayServer, fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay(zotero_api, fixtures, "items_top_page1.json", "items_top_page2.json")
    monkeypatch.setenv("MY_ZOTERO_KEY", "s3cr3t-zotero-key")
    settings = ZoteroConfig(
        library_id="1234567", api_key_env="MY_ZOTERO_KEY", api_url=zotero_api.url
    )
    library = read_zotero(settings, page_size=3)
    assert [(e.key, e.arxiv_id, e.doi) for e in library.entries] == [
        ("QZ8B3N2K", "2606.00001", "10.48550/arxiv.2606.00001"),
        ("7HX2M4PD", "2606.00004", "10.48550/arxiv.2606.00004"),
        ("K2V9RT6A", None, "10.1109/cvpr.2017.632"),
        ("B00K1234", None, None),  # the book; the note is not a paper
    ]
    assert zotero_api.unused() == [] and zotero_api.unexpected == []
    assert all(e.headers.get("Authorization") == "Bearer s3cr3t-zotero-key" for e in zotero_api.log)


def test_library_zotero_imports_one_collection_by_its_name(
    project: Path, zotero_api: ReplayServer, fixtures: Path
) -> None:
    replay(zotero_api, fixtures, "collections.json", "collection_items_top.json")
    config = project / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f'\n[zotero]\nlibrary_id = "1234567"\napi_url = "{zotero_api.url}"\n',
        encoding="utf-8",
    )
    code, out, err = run_cli(
        config, "library", "zotero", "--topic", "i2i", "--collection", "Image translation"
    )
    assert code == 0, err
    assert "2 entries read, 2 with an arXiv id or a stored DOI; 2 ratings recorded" in out
    assert ratings(project, "i2i") == [
        ("2606.00001", True, "zotero"),
        ("2606.00004", True, "zotero"),
    ]
    assert zotero_api.unused() == []
    replay(zotero_api, fixtures, "collections.json")
    code, _, err = run_cli(config, "library", "zotero", "--topic", "i2i", "--collection", "Nope")
    assert code == 1
    assert "has no collection 'Nope'; its collections: Gaussian splatting, Image translation" in err


def test_a_refused_zotero_key_names_the_variable_and_never_the_key(
    project: Path, zotero_api: ReplayServer, fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay(zotero_api, fixtures, "forbidden.json")
    monkeypatch.setenv("ZOTERO_API_KEY", "wrong-key-123")
    config = project / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f'\n[zotero]\nlibrary_id = "1234567"\napi_url = "{zotero_api.url}"\n',
        encoding="utf-8",
    )
    code, out, err = run_cli(config, "library", "zotero", "--topic", "i2i")
    assert code == 1
    assert (
        "Zotero user library 1234567: the Zotero API refused access (403);"
        " the key in $ZOTERO_API_KEY cannot read it" in err
    )
    assert "wrong-key-123" not in out + err
    assert ratings(project, "i2i") == []


def test_library_zotero_without_a_library_id_says_what_to_set(project: Path) -> None:
    code, _, err = run_cli(project / "config.toml", "library", "zotero", "--topic", "i2i")
    assert code == 1
    assert "[zotero] library_id is not set" in err
