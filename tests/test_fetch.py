"""The fetch stage: reading arXiv's formats into Paper records, and saying clearly what is wrong."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from papertide.errors import InputError
from papertide.fetch import Source, detect_format, open_source, read_papers
from papertide.fetch.atom import parse_atom
from papertide.fetch.jsonl import parse_jsonl
from papertide.fetch.oai import parse_oai
from papertide.fetch.rss import parse_rss
from papertide.records import AnnounceType, Paper


@pytest.fixture
def fetch_fixtures(fixtures: Path) -> Path:
    return fixtures / "fetch"


def by_id(papers: list[Paper]) -> dict[str, Paper]:
    return {paper.arxiv_id: paper for paper in papers}


def input_error(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        read_papers(path)
    message = str(caught.value)
    assert "\n" not in message, "the CLI prints errors as one line"
    return message


# --- recognising a file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("api_query.xml", "atom"),
        ("api_error.xml", "atom"),
        ("rss_feed.xml", "rss"),
        ("rss_empty.xml", "rss"),
        ("oai_list.xml", "oai"),
        ("oai_arxiv_format.xml", "oai"),
        ("papers.jsonl", "jsonl"),
    ],
)
def test_detect_format_recognises_each_fixture(
    fetch_fixtures: Path, name: str, expected: str
) -> None:
    assert detect_format(fetch_fixtures / name) == expected


def test_format_is_judged_by_content_not_extension(fetch_fixtures: Path, tmp_path: Path) -> None:
    disguised_rss = tmp_path / "download.txt"
    disguised_jsonl = tmp_path / "papers.xml"
    shutil.copy(fetch_fixtures / "rss_feed.xml", disguised_rss)
    shutil.copy(fetch_fixtures / "papers.jsonl", disguised_jsonl)

    assert detect_format(disguised_rss) == "rss"
    assert len(read_papers(disguised_rss)) == 4
    assert detect_format(disguised_jsonl) == "jsonl"
    assert len(read_papers(disguised_jsonl)) == 4


def test_open_source_names_the_file_and_format_and_can_be_read_twice(
    fetch_fixtures: Path,
) -> None:
    source: Source = open_source(fetch_fixtures / "rss_feed.xml")

    assert source.name == "rss_feed.xml (arXiv RSS)"
    first, second = list(source.papers()), list(source.papers())
    assert first == second
    assert [p.versioned_id for p in first][:2] == ["2606.14721v1", "2606.10001v2"]


# --- arXiv query API (Atom) ------------------------------------------------------------------


def test_atom_ids_versions_and_dates(fetch_fixtures: Path) -> None:
    papers = read_papers(fetch_fixtures / "api_query.xml")

    assert [(p.arxiv_id, p.version) for p in papers] == [
        ("2606.01234", 3),
        ("hep-th/9901001", 1),
        ("2606.05678", 1),
    ]
    first = papers[0]
    assert first.published == datetime(2026, 6, 2, 17, 59, 59, tzinfo=UTC)
    assert first.updated == datetime(2026, 6, 18, 9, 15, tzinfo=UTC)
    assert papers[1].published == datetime(1999, 1, 4, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert all(p.announced is None for p in papers), "the query API states no listing day"
    assert all(p.announce_type is AnnounceType.UNKNOWN for p in papers)


def test_atom_text_fields_are_cleaned(fetch_fixtures: Path) -> None:
    paper = read_papers(fetch_fixtures / "api_query.xml")[0]

    assert paper.title == "Unpaired Image-to-Image Translation with Latent Bridges"
    assert paper.abstract == (
        "We translate images between domains without paired data.\n"
        "A second paragraph reports results on three benchmarks."
    )
    assert paper.comment == "12 pages, 5 figures; code at https://github.com/example/latent-bridges"
    assert paper.journal_ref == "Proc. CVPR 2026, 1-12"
    assert paper.doi == "10.1109/CVPR.2026.01234"


def test_atom_primary_category_comes_first_and_acm_codes_are_dropped(
    fetch_fixtures: Path,
) -> None:
    paper = read_papers(fetch_fixtures / "api_query.xml")[0]

    assert paper.categories == ("cs.CV", "cs.LG")
    assert paper.primary_category == "cs.CV"


def test_atom_mojibake_author_names_are_repaired(fetch_fixtures: Path) -> None:
    papers = read_papers(fetch_fixtures / "api_query.xml")

    assert papers[0].authors == ("Dirk Wübben", "José Raúl Romero", "José Pérez")
    assert papers[2].authors == ("Katharina Götz",)


def test_atom_escaped_markup_in_titles_stays_text(fetch_fixtures: Path) -> None:
    paper = read_papers(fetch_fixtures / "api_query.xml")[1]

    assert paper.title == "Escaping <script>alert(1)</script> & other tags"


def test_atom_withdrawal_notice_marks_the_paper_withdrawn(fetch_fixtures: Path) -> None:
    papers = read_papers(fetch_fixtures / "api_query.xml")

    assert [p.withdrawn for p in papers] == [False, True, False]


def test_atom_error_feed_quotes_arxivs_message(fetch_fixtures: Path) -> None:
    message = input_error(fetch_fixtures / "api_error.xml")

    assert message.startswith(str(fetch_fixtures / "api_error.xml"))
    assert "the arXiv API returned an error: incorrect id format for 2606.1" in message


def test_atom_empty_feed_gives_no_papers(fetch_fixtures: Path) -> None:
    assert read_papers(fetch_fixtures / "api_empty.xml") == []


def test_atom_parser_takes_response_bodies(fetch_fixtures: Path) -> None:
    body = (fetch_fixtures / "api_query.xml").read_bytes()

    papers = parse_atom(body, "export.arxiv.org/api/query")

    assert len(papers) == 3
    with pytest.raises(InputError, match=r"^export\.arxiv\.org/api/query: "):
        parse_atom((fetch_fixtures / "api_error.xml").read_bytes(), "export.arxiv.org/api/query")


# --- arXiv RSS -------------------------------------------------------------------------------


def test_rss_ids_versions_and_announce_types(fetch_fixtures: Path) -> None:
    papers = read_papers(fetch_fixtures / "rss_feed.xml")

    assert [(p.versioned_id, p.announce_type) for p in papers] == [
        ("2606.14721v1", AnnounceType.NEW),
        ("2606.10001v2", AnnounceType.CROSS),
        ("2511.00042v4", AnnounceType.REPLACE),
        ("2509.07777v3", AnnounceType.REPLACE_CROSS),
    ]


def test_rss_announced_is_the_calendar_date_as_printed(fetch_fixtures: Path) -> None:
    papers = read_papers(fetch_fixtures / "rss_feed.xml")

    # "Tue, 16 Jun 2026 23:30:00 -0400" is the 17th in UTC, but arXiv printed the 16th.
    assert [p.announced for p in papers] == [date(2026, 6, 16)] * 4


def test_rss_categories_keep_the_order_given(fetch_fixtures: Path) -> None:
    papers = by_id(read_papers(fetch_fixtures / "rss_feed.xml"))

    assert papers["2606.10001"].categories == ("cs.GR", "cs.CV")
    assert papers["2509.07777"].categories == ("eess.IV", "cs.CV")


def test_rss_authors_lose_affiliations_and_tex_accents(fetch_fixtures: Path) -> None:
    papers = by_id(read_papers(fetch_fixtures / "rss_feed.xml"))

    assert papers["2606.14721"].authors == ("Ana García", "Björn Müller", "Przemysław Nowak")
    assert papers["2606.10001"].authors == ("Chen Wei", "Li Na")
    assert papers["2509.07777"].authors == ("Fox Mulder", "Walter Skinner, Jr.")


def test_rss_text_fields(fetch_fixtures: Path) -> None:
    papers = by_id(read_papers(fetch_fixtures / "rss_feed.xml"))

    first = papers["2606.14721"]
    assert first.abstract == (
        "We study translation between image domains.\nA second paragraph follows."
    )
    assert papers["2606.10001"].title == "Gaussian Splatting Meets Radiance Caching"
    assert papers["2509.07777"].title == "Segmenting Tumours with <b>Few</b> Labels"
    survey = papers["2511.00042"]
    assert (survey.doi, survey.journal_ref) == (
        "10.1000/thg.2026.7",
        "J. Vis. Commun. 41 (2026) 1-30",
    )
    assert first.doi is None and first.comment is None


def test_rss_empty_feed_gives_no_papers(fetch_fixtures: Path) -> None:
    assert read_papers(fetch_fixtures / "rss_empty.xml") == []


def test_rss_error_feed_quotes_arxivs_message(fetch_fixtures: Path) -> None:
    message = input_error(fetch_fixtures / "rss_error.xml")

    assert "rss_error.xml: arXiv RSS returned an error: Bad category 'cs.XY'." in message
    assert "feed URL" in message


def test_rss_parser_takes_response_bodies(fetch_fixtures: Path) -> None:
    papers = parse_rss((fetch_fixtures / "rss_feed.xml").read_bytes(), "rss.arxiv.org/rss/cs.CV")

    assert len(papers) == 4


# --- OAI-PMH ---------------------------------------------------------------------------------


def test_oai_arxivraw_paper_is_its_latest_version(fetch_fixtures: Path) -> None:
    papers = read_papers(fetch_fixtures / "oai_list.xml")

    assert [p.versioned_id for p in papers] == ["2604.00101v3", "cs/0112017v2"], (
        "the deleted record is skipped; versions listed out of order still give v3"
    )
    paper = papers[0]
    assert paper.published == datetime(2026, 4, 1, 17, 2, 11, tzinfo=UTC)
    assert paper.updated == datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
    assert paper.announced is None


def test_oai_arxivraw_fields(fetch_fixtures: Path) -> None:
    paper = read_papers(fetch_fixtures / "oai_list.xml")[0]

    assert paper.title == "Few-Shot Medical Image Segmentation with Prototype Memory"
    assert paper.authors == ("Ana Lima", "J. Müller", "G. Kovács")
    assert paper.categories == ("cs.CV", "eess.IV")
    assert paper.doi == "10.1016/j.media.2026.103300", "the first of two DOIs"
    assert paper.journal_ref is not None and paper.journal_ref.startswith("Med. Image Anal.")
    assert paper.abstract == (
        "Segmenting organs from few labelled scans is hard. We store prototypes in a memory "
        "bank.\nExperiments on three datasets show gains."
    )
    assert not paper.withdrawn


def test_oai_withdrawn_version_is_flagged_by_size_alone(fetch_fixtures: Path) -> None:
    data = (fetch_fixtures / "oai_list.xml").read_bytes()
    without_notice = data.replace(b"<comments>This paper has been withdrawn</comments>", b"")
    assert without_notice != data

    for body in (data, without_notice):
        withdrawn = by_id(parse_oai(body, "oai_list.xml"))["cs/0112017"]
        assert withdrawn.withdrawn


def test_oai_error_response_names_the_code_and_quotes_the_message(
    fetch_fixtures: Path,
) -> None:
    message = input_error(fetch_fixtures / "oai_error.xml")

    assert "OAI-PMH error idDoesNotExist: Identifier 'oai:arXiv.org:2699.00001'" in message


def test_oai_no_records_match_is_an_empty_harvest(fetch_fixtures: Path) -> None:
    assert read_papers(fetch_fixtures / "oai_no_records.xml") == []


def test_oai_arxiv_metadata_format(fetch_fixtures: Path) -> None:
    (paper,) = read_papers(fetch_fixtures / "oai_arxiv_format.xml")

    assert paper.versioned_id == "2605.04321v1"
    assert paper.authors == ("Example Collaboration", "John Smith Jr", "Kurt Gödel")
    assert paper.published == datetime(2026, 5, 5, tzinfo=UTC)
    assert paper.updated == datetime(2026, 6, 15, tzinfo=UTC)
    assert paper.doi == "10.1000/xyz.1"


# --- JSONL -----------------------------------------------------------------------------------


def test_jsonl_versions_come_from_the_id_links_or_version_list(fetch_fixtures: Path) -> None:
    papers = read_papers(fetch_fixtures / "papers.jsonl")

    assert [p.versioned_id for p in papers] == [
        "2606.14721v1",  # no version anywhere
        "2606.20002v2",  # the abs/pdf links say v2
        "2606.30003v3",  # the id says v3
        "hep-th/9901001v2",  # the versions list ends at v2
    ]


def test_jsonl_fields(fetch_fixtures: Path) -> None:
    papers = by_id(read_papers(fetch_fixtures / "papers.jsonl"))

    first = papers["2606.14721"]
    assert first.announced == date(2026, 6, 16)
    assert first.title == "Diffusion Bridges for Image-to-Image Translation"
    assert first.abstract == (
        "We study translation between image domains.\nA second paragraph follows."
    )
    assert first.authors == ("Ana García", "Li Na")
    snapshot_style = papers["2606.30003"]
    assert snapshot_style.authors == ("Dana Scully", "Fox Mulder", "Walter Skinner")
    assert snapshot_style.categories == ("cs.CL", "cs.AI")
    assert (snapshot_style.journal_ref, snapshot_style.doi) == ("ACL 2026", "10.1000/acl.1")
    assert snapshot_style.withdrawn
    old = papers["hep-th/9901001"]
    assert old.announced is None
    assert old.published == datetime(1999, 1, 4, 17, 0, tzinfo=UTC)
    assert old.updated == datetime(1999, 2, 2, 10, 0, tzinfo=UTC)


def test_jsonl_parser_takes_text_lines() -> None:
    lines = ['{"id": "2606.00001v2", "title": "T", "authors": ["A"]}', ""]

    (paper,) = parse_jsonl(lines, "memory")

    assert (paper.versioned_id, paper.title, paper.authors) == ("2606.00001v2", "T", ("A",))


# --- errors a user sees ----------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    message = input_error(tmp_path / "papers.xml")

    assert message.startswith(f"{tmp_path / 'papers.xml'}: no such file")


def test_directory(tmp_path: Path) -> None:
    assert "is a directory" in input_error(tmp_path)


@pytest.mark.parametrize("content", [b"", b"  \n\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "papers.xml"
    path.write_bytes(content)

    assert input_error(path) == f"{path}: the file is empty; fetch or export it again"


@pytest.mark.parametrize(
    "content", ["Reading list:\n- 2606.14721\n", "<html><body>Not found</body></html>"]
)
def test_unknown_format(tmp_path: Path, content: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(content)

    assert input_error(path) == (
        f"{path}: unknown format: expected arXiv API Atom, arXiv RSS, OAI-PMH arXivRaw XML or JSONL"
    )


def test_mismatched_tag_points_at_its_line(fetch_fixtures: Path, tmp_path: Path) -> None:
    text = (fetch_fixtures / "api_query.xml").read_text(encoding="utf-8")
    broken = text.replace("<summary>An old-style identifier.</summary>", "<summary>Oops</sumary>")
    path = tmp_path / "broken.xml"
    path.write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("    <summary>Oops</sumary>") + 1

    message = input_error(path)

    assert message == (
        f"{path}: line {line}, column 20: malformed XML (mismatched tag); "
        "the file is damaged or incomplete — fetch it again"
    )


@pytest.mark.parametrize("name", ["rss_feed.xml", "oai_list.xml", "api_query.xml"])
def test_truncated_xml_download(fetch_fixtures: Path, tmp_path: Path, name: str) -> None:
    data = (fetch_fixtures / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])

    message = input_error(path)

    assert re.match(rf"{re.escape(str(path))}: line \d+, column \d+: malformed XML \(", message)
    assert message.endswith("fetch it again")


def test_invalid_json_line(fetch_fixtures: Path, tmp_path: Path) -> None:
    lines = (fetch_fixtures / "papers.jsonl").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:40]  # a line cut off in the middle of a string
    string_starts = lines[1].rindex('"') + 1
    path = tmp_path / "bulk.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    message = input_error(path)

    assert message.startswith(
        f"{path}: line 2: invalid JSON (Unterminated string starting at column {string_starts})"
    )
    assert "export it again" in message


@pytest.mark.parametrize("key", ["id", "title"])
def test_jsonl_record_without_a_required_field(
    fetch_fixtures: Path, tmp_path: Path, key: str
) -> None:
    lines = (fetch_fixtures / "papers.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines[2] == ""
    lines[3] = re.sub(rf'"{key}": "[^"]*", ', "", lines[3])
    path = tmp_path / "bulk.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert input_error(path).startswith(f"{path}: line 4: record has no {key!r}")


def test_jsonl_record_with_a_bad_id(tmp_path: Path) -> None:
    path = tmp_path / "bulk.jsonl"
    path.write_text('{"id": "2606.14721"}\n{"id": "abc", "title": "T"}\n', encoding="utf-8")

    with pytest.raises(InputError, match=r"line 1: record has no 'title'"):
        read_papers(path)
    path.write_text('{"id": "abc", "title": "T"}\n', encoding="utf-8")
    assert "line 1: 'abc' is not an arXiv identifier" in input_error(path)


# --- the real recorded material in ../shared/data --------------------------------------------


def test_real_rss_announcement(shared_data: Path) -> None:
    papers = read_papers(shared_data / "arxiv/rss/aioarxiv_jmmeus/rss_mock_feed.xml")

    assert len(papers) == 1504
    assert Counter(p.announce_type for p in papers) == {
        AnnounceType.NEW: 926,
        AnnounceType.REPLACE: 569,
        AnnounceType.CROSS: 9,
    }
    assert len({p.arxiv_id for p in papers}) == 1504
    assert {p.announced for p in papers} == {date(2024, 11, 28)}
    assert sum("cs.CV" in p.categories for p in papers) == 227
    names = [name for p in papers for name in p.authors]
    assert not [n for n in names if re.search(r"[\\{}()]", n)], "TeX and affiliations removed"
    assert all(p.title and p.abstract and not p.abstract.startswith("arXiv:") for p in papers)


def test_real_rss_empty_and_error_feeds(shared_data: Path) -> None:
    folder = shared_data / "arxiv/rss/aioarxiv_jmmeus"

    assert read_papers(folder / "empty_rss_mock_feed.xml") == []
    message = input_error(folder / "error_rss_mock_feed.xml")
    assert "arXiv RSS returned an error: Bad archive 'astroph'. Valid archive names" in message


def test_real_oai_list_records(shared_data: Path) -> None:
    papers = by_id(read_papers(shared_data / "arxiv/oai/arXivOAIHarvester/ListRecordsResponse.xml"))

    assert {arxiv_id: p.version for arxiv_id, p in papers.items()} == {
        "0704.0471": 1,
        "0704.0716": 4,
        "0704.0874": 3,
        "0704.1109": 2,
        "0704.1114": 1,
        "0704.1586": 1,
    }
    assert papers["0704.0471"].authors == ("D.V. Shetty", "S.J. Yennello", "G.A. Souliotis")
    assert papers["0704.0716"].updated == datetime(2008, 11, 14, 9, 7, 25, tzinfo=UTC)
    assert papers["0704.0716"].published == datetime(2007, 4, 5, 12, 45, 3, tzinfo=UTC)
    assert papers["0704.1586"].doi == "10.1103/PhysRevC.76.014611"


def test_real_oai_get_record(shared_data: Path) -> None:
    (paper,) = read_papers(shared_data / "arxiv/oai/arXivOAIHarvester/GetRecordResponse.xml")

    assert paper.versioned_id == "1302.2146v2"
    assert len(paper.authors) == 4
    assert paper.categories[0] == "hep-ph"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("ErrorResponseBadArgument.xml", "badArgument"),
        ("ErrorResponseBadResumptionToken.xml", "badResumptionToken"),
        ("ErrorResponseBadVerb.xml", "badVerb"),
        ("ErrorResponseIdDoesNotExist.xml", "idDoesNotExist"),
    ],
)
def test_real_oai_errors(shared_data: Path, name: str, code: str) -> None:
    assert f"OAI-PMH error {code}: " in input_error(
        shared_data / "arxiv/oai/arXivOAIHarvester" / name
    )


def test_real_oai_no_records_match(shared_data: Path) -> None:
    path = shared_data / "arxiv/oai/arXivOAIHarvester/ErrorResponseNoRecordsMatch.xml"

    assert read_papers(path) == []


def test_real_oai_arxiv_format_files_parse(shared_data: Path) -> None:
    paths = sorted((shared_data / "arxiv/oai/hepcrawl").glob("*.xml"))
    assert paths

    for path in paths:
        papers = read_papers(path)
        assert papers, path.name
        assert all(p.title and p.authors and p.categories for p in papers), path.name


def test_real_bulk_jsonl(shared_data: Path) -> None:
    papers = read_papers(shared_data / "arxiv/bulk/papers_2026-06-16_to_07-01.jsonl")

    assert len(papers) == 3294
    assert len({p.arxiv_id for p in papers}) == 3294
    days = {p.announced for p in papers}
    assert len(days) == 11
    assert all(d is not None and date(2026, 6, 16) <= d <= date(2026, 7, 1) for d in days)
    assert all(p.version == 1 for p in papers), "ids and links there state no version"
    biggest = max(papers, key=lambda p: len(p.authors))
    assert biggest.authors[:2] == ("NVIDIA", "Aaron Blakeman"), "the stray ':' is dropped"


def atom_recordings(root: Path) -> list[Path]:
    return sorted((root / "arxiv/api/arxiv.py_fixtures").glob("*.xml"))


def test_real_atom_recordings_all_parse(shared_data: Path) -> None:
    paths = atom_recordings(shared_data)
    assert len(paths) == 25
    outcomes: dict[str, int | str] = {}
    for path in paths:
        try:
            outcomes[path.name] = len(read_papers(path))
        except InputError as error:
            outcomes[path.name] = str(error)

    errors = {name: o for name, o in outcomes.items() if isinstance(o, str)}
    assert list(errors) == ["id_abc_s0_m100_b79c8dcf6bc3.xml"]
    assert (
        "the arXiv API returned an error: incorrect id format for abc"
        in errors["id_abc_s0_m100_b79c8dcf6bc3.xml"]
    )
    empty = sorted(name for name, o in outcomes.items() if o == 0)
    assert empty == [
        "id_0000.0000_s0_m100_8b51d9633a68.xml",
        "id_0808.05394_s0_m100_7b0c7d0a7cdd.xml",
    ]
    assert outcomes["q_testing_s0_m100_cfe7536492ca.xml"] == 100


def test_real_atom_mojibake_is_repaired(shared_data: Path) -> None:
    papers = [
        paper
        for path in atom_recordings(shared_data)
        if "id_abc" not in path.name
        for paper in read_papers(path)
    ]
    names = {name for p in papers for name in p.authors}

    assert not [n for n in names if "Ã" in n]
    assert {"Dirk Wübben", "Oliver Weißl", "Sólrún Einarsdóttir", "Mika V. Mäntylä"} <= names
    assert not [p.title for p in papers if "Ã" in p.title or "Ï" in p.title]


def test_real_atom_old_format(shared_data: Path) -> None:
    path = shared_data / "arxiv/api/arxiv.py_fixtures/old_id_list_1111.2011v2.xml"
    (paper,) = read_papers(path)

    assert paper.versioned_id == "1111.2011v2"
    assert paper.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert paper.categories == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert (paper.doi, paper.journal_ref) == (
        "10.1103/PhysRevB.85.115117",
        "Phys. Rev. B 85, 115117 (2012)",
    )
    assert paper.authors == ("James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic")
    assert "\n" not in paper.abstract and paper.abstract.startswith("Theoretical description")
