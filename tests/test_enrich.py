"""Links and venue picked out of a paper's abstract and arXiv comment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from papertide.enrich import find_links, find_venue, highlight_venue
from papertide.fetch import read_papers
from papertide.records import Paper


def paper(
    abstract: str = "We study things.", comment: str | None = None, version: int = 1
) -> Paper:
    return Paper(
        arxiv_id="2606.14721",
        version=version,
        title="A paper",
        authors=("A. Author",),
        abstract=abstract,
        categories=("cs.CV",),
        comment=comment,
    )


def code(abstract: str = "We study things.", comment: str | None = None) -> tuple[str, ...]:
    return find_links(paper(abstract, comment)).code_urls


def projects(abstract: str = "We study things.", comment: str | None = None) -> tuple[str, ...]:
    return find_links(paper(abstract, comment)).project_urls


# ----------------------------------------------------------------------------- arXiv links


def test_arxiv_links_point_at_the_paper_and_its_version() -> None:
    links = find_links(paper(version=2))
    assert links.abs_url == "https://arxiv.org/abs/2606.14721"
    assert links.pdf_url == "https://arxiv.org/pdf/2606.14721v2"
    assert links.html_url == "https://arxiv.org/html/2606.14721v2"
    assert links.cool_papers_url == "https://papers.cool/arxiv/2606.14721"
    assert links.code_urls == () and links.project_urls == () and links.venue is None


# ----------------------------------------------------------------------------- code


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        # punctuation that ends the sentence is not part of the link
        (
            "Code is available at https://github.com/ucr-rai/base-and-edit.",
            "https://github.com/ucr-rai/base-and-edit",
        ),
        (
            "Code is publicly available (https://github.com/pzqpzq/LSF_MDia).",
            "https://github.com/pzqpzq/LSF_MDia",
        ),
        (
            "The code is released at https://github.com/JunsWan/AgentViSS, and more.",
            "https://github.com/JunsWan/AgentViSS",
        ),
        (
            "Codes available at [https://github.com/BOA-clk/MamBOA]",
            "https://github.com/BOA-clk/MamBOA",
        ),
        # no scheme in the text
        ("Code is available at github.com/wjun0830/SSync.", "https://github.com/wjun0830/SSync"),
        # a link deep into the repository gives the repository
        (
            "Code: https://github.com/AI-Hypercomputer/accelerator-agents/tree/main/MaxCode",
            "https://github.com/AI-Hypercomputer/accelerator-agents",
        ),
        (
            "See https://github.com/IatomicreactorI/CSGOTrading?tab=readme-ov-file#quick-start",
            "https://github.com/IatomicreactorI/CSGOTrading",
        ),
        (
            "publicly available at GitHub (https://github.com/7jiangyq/lithodreamer.git).",
            "https://github.com/7jiangyq/lithodreamer",
        ),
        ("Use http://github.com/owner/repo today", "https://github.com/owner/repo"),
        # LaTeX and Markdown wrappers
        (
            r"Code is available \href{https://github.com/WeiWu2025/GranFact}{here}.",
            "https://github.com/WeiWu2025/GranFact",
        ),
        (
            r"The source code is available at \url{https://github.com/JL021/U2Mamba}.",
            "https://github.com/JL021/U2Mamba",
        ),
        (
            r"available at~\url{https://github.com/niladrighosh03/NRITYAM}.",
            "https://github.com/niladrighosh03/NRITYAM",
        ),
        (
            "Code is available at [this https URL](https://github.com/movinghoon/lgm)",
            "https://github.com/movinghoon/lgm",
        ),
        (
            r"code is publicly available at \https://github.com/Funny0101/ReA-OVCD",
            "https://github.com/Funny0101/ReA-OVCD",
        ),
        # links that arXiv's text broke apart
        ("Code: https://github. com/foo/bar.", "https://github.com/foo/bar"),
        ("Code: https:// github.com/foo/bar.", "https://github.com/foo/bar"),
        ("Code: https://github.com/ foo/bar.", "https://github.com/foo/bar"),
        ("Code: https://github.com/foo/\nbar.", "https://github.com/foo/bar"),
        # text in another script right after the link
        ("代码：https://github.com/foo/bar。", "https://github.com/foo/bar"),
    ],
)
def test_code_repository_is_found_and_normalised(abstract: str, expected: str) -> None:
    assert code(abstract) == (expected,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Materials: https://hf.co/datasets/nafisehNik/WhoFlips.",
            "https://huggingface.co/datasets/nafisehNik/WhoFlips",
        ),
        (
            "model: https://huggingface.co/lonewolflab/Morpheus-TR-50K/tree/main;",
            "https://huggingface.co/lonewolflab/Morpheus-TR-50K",
        ),
        (
            "demo: https://huggingface.co/spaces/lonewolflab/morpheus-tr-demo",
            "https://huggingface.co/spaces/lonewolflab/morpheus-tr-demo",
        ),
        (
            "https://gitlab.com/group/subgroup/project/-/tree/main/src",
            "https://gitlab.com/group/subgroup/project",
        ),
        ("https://bitbucket.org/owner/repo/src/master/", "https://bitbucket.org/owner/repo"),
        ("https://codeberg.org/owner/repo.", "https://codeberg.org/owner/repo"),
        ("Code: gitee.com/owner/repo", "https://gitee.com/owner/repo"),
    ],
)
def test_code_hosts_besides_github(text: str, expected: str) -> None:
    assert code(text) == (expected,)


def test_a_profile_is_neither_code_nor_project() -> None:
    links = find_links(paper("Follow our lab at https://github.com/someorg and github.com/other."))
    assert links.code_urls == ()
    assert links.project_urls == ()
    assert code("Weights at https://huggingface.co/math-across-languages") == ()


def test_code_is_deduplicated_in_order_comment_first() -> None:
    urls = code(
        abstract=(
            "We build on https://github.com/Base/Model. Our code: https://github.com/Lab/Tool "
            r"(\href{https://github.com/lab/tool}{https://github.com/lab/tool})."
        ),
        comment="Code: https://github.com/Lab/Tool/ and data: https://huggingface.co/datasets/Lab/D",
    )
    assert urls == (
        "https://github.com/Lab/Tool",
        "https://huggingface.co/datasets/Lab/D",
        "https://github.com/Base/Model",
    )


# ----------------------------------------------------------------------------- project pages


def test_project_pages_are_kept_as_written() -> None:
    links = find_links(
        paper(
            abstract=(
                "See our evaluation suite at https://fm-vision-evals.epfl.ch/. "
                "(Project page: https://imkyungjin.github.io/METIS/)"
            ),
            comment="Project page: dante-wild.github.io. Code: https://github.com/a/b",
        )
    )
    assert links.project_urls == (
        "https://dante-wild.github.io",
        "https://fm-vision-evals.epfl.ch/",
        "https://imkyungjin.github.io/METIS/",
    )
    assert links.code_urls == ("https://github.com/a/b",)


def test_project_pages_exclude_the_paper_doi_licence_and_reviews() -> None:
    urls = projects(
        abstract=(
            "Preprint at https://arxiv.org/abs/2606.14721. Published as "
            "https://doi.org/10.1145/3807503.3819363. Licensed under "
            "https://creativecommons.org/licenses/by/4.0/. Reviews: "
            "https://openreview.net/forum?id=xN7NYpQeBm. Demo: https://youtu.be/cNpafhHAEjg"
        )
    )
    assert urls == ("https://youtu.be/cNpafhHAEjg",)


def test_a_link_to_the_venue_is_not_a_project_page() -> None:
    comment = (
        "Accepted for publication at the Journal of Machine Learning for Biomedical Imaging "
        "(MELBA) https://melba-journal.org/2026:016"
    )
    assert projects(comment=comment) == ()
    assert projects(comment="Accepted by ECCV 2026, project page:https://a.github.io/b/") == (
        "https://a.github.io/b/",
    )


def test_links_keep_every_letter_and_balanced_parentheses() -> None:
    urls = projects(
        abstract="Site: https://research.nvidia.com/labs/sil/projects/kskk/ and "
        "https://en.wikipedia.org/wiki/Set_(mathematics)."
    )
    assert urls == (
        "https://research.nvidia.com/labs/sil/projects/kskk/",
        "https://en.wikipedia.org/wiki/Set_(mathematics)",
    )


# ----------------------------------------------------------------------------- venue


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("Accepted by MICCAI2025", "MICCAI 2025"),
        ("Accepted to CVPR 2025 (Highlight)", "CVPR 2025"),
        ("TMLR 07/2025", "TMLR 07/2025"),
        ("ICCV 2025 Workshop", "ICCV 2025 Workshop"),
        ("Published in IEEE TPAMI", "IEEE TPAMI"),
        ("NeurIPS 2025 camera-ready", "NeurIPS 2025"),
        ("To appear at ACM MM '25", "ACM MM 2025"),
        ("AAAI-26", "AAAI 2026"),
        ("Accepted by ECCV-2026", "ECCV 2026"),
        ("accepted by ECCV26", "ECCV 2026"),
        ("Accepted by ICML'26", "ICML 2026"),
        ("Accepted to INTERSPEECH 2026", "Interspeech 2026"),
        ("accepted by cvprw2026", "CVPR 2026 Workshop"),
        ("11 pages, 3 figures, Early accepted at MICCAI 2026", "MICCAI 2026"),
        ("Accepted to MICCAI 2026 (Early Accept: top 9%)", "MICCAI 2026"),
        ("Early Accept (top ~9%), MICCAI 2026", "MICCAI 2026"),
        ("MICCAI2026 Accepted", "MICCAI 2026"),
        ("ECCV 2026. Project page: https://siang1105.github.io/JanusMesh.github.io/", "ECCV 2026"),
        ("CVPR2026, 34 pages, 15 figures, 15 tables", "CVPR 2026"),
        ("18 pages, 6 figures, ECCV", "ECCV"),
        ("Accepted by findings of ACL 2026", "ACL 2026 Findings"),
        ("12 pages, 7 figures, 8 tables. Accepted by ACL2026 Findings", "ACL 2026 Findings"),
        ("Accepted at MeLLM Workshop at ACL 2026", "ACL 2026 Workshop"),
        ("Accepted at EIML@ICML 2026", "ICML 2026 Workshop"),
        ("Pluralistic Alignment Workshop @ ICML 2026, Seoul, South Korea", "ICML 2026 Workshop"),
        (
            "Accepted at the 43rd International Conference on Machine Learning (ICML 2026), "
            "Seoul, South Korea. 35 pages",
            "ICML 2026",
        ),
        ("Accepted at The 19th European Conference on Computer Vision (ECCV), 2026", "ECCV 2026"),
        (
            "Accepted at the IEEE Winter Conference on Applications of Computer Vision, WACV 2026",
            "WACV 2026",
        ),
        ("2026 IEEE International Conference on Robotics and Automation(ICRA)", "ICRA 2026"),
        ("Accepted at The ACM Web Conference 2026 (WWW '26)", "WWW 2026"),
        ("Accepted by SIGGRAPH Asia 2025", "SIGGRAPH Asia 2025"),
        ("Accepted to Robotics: Science and Systems (RSS) 2026", "RSS 2026"),
        (
            "8 pages. Accepted for publication in IEEE Robotics and Automation Letters (RA-L)",
            "IEEE RA-L",
        ),
        ("Accepted by International Journal of Computer Vision (IJCV), 2026", "IJCV 2026"),
        # venues that are not on the list, named by the acronym the authors give
        (
            "Accepted to the 2026 IEEE International Conference on Systems, Man, and Cybernetics "
            "(SMC 2026)",
            "IEEE SMC 2026",
        ),
        (
            "IEEE Conf. on Computers, Software, and Applications (COMPSAC), 2026",
            "IEEE COMPSAC 2026",
        ),
        ("Advances in Visual Computing (ISVC 2025)", "ISVC 2025"),
        ("accepted version (L-CSS 2026)", "L-CSS 2026"),
        ("SOICT 2025", "SOICT 2025"),
        ("Accepted for MIUA2016", "MIUA 2016"),
        ("Accepted at CONCUR'26", "CONCUR 2026"),
        # ... or in their own words
        (
            "Accepted by the Journal of the American Medical Informatics Association",
            "Journal of the American Medical Informatics Association",
        ),
        (
            "Accepted for publication in npj Digital Medicine. 20 pages, 6 figures",
            "npj Digital Medicine",
        ),
        ("Accepted to Publication at 2026 IEEE Mercon", "IEEE Mercon 2026"),
        ("Accepted to publication in Entropy on June 24, 2026", "Entropy 2026"),
        ("Published in Nature 651, 914-919 (2026)", "Nature 2026"),
        (
            "Accepted in 30th Conference on Medical Image Understanding and Analysis",
            "Conference on Medical Image Understanding and Analysis",
        ),
        (
            "This paper has been accpeted by IEEE Transactions on Networking",
            "IEEE Transactions on Networking",
        ),
        (
            "Acceted poster at https://2026.eswc-conferences.org/program/accepted-papers/"
            "poster-demo/ 23rd European Semantic Web Conference (Satellite Event)",
            "European Semantic Web Conference",
        ),
        # an acceptance wins over a submission named first
        (
            "10 pages, submitted to COLM 2026 (under review) and accepted by the AI4Law "
            "workshop at ICML",
            "ICML Workshop",
        ),
        ("Submitted Version. Accepted at MICCAI 2026", "MICCAI 2026"),
    ],
)
def test_venue_is_picked_out_of_the_comment(comment: str, expected: str) -> None:
    assert find_venue(comment) == expected
    assert find_links(paper(comment=comment)).venue == expected


@pytest.mark.parametrize(
    "comment",
    [
        None,
        "",
        "12 pages, 5 figures",
        "15 pages, 8 figures, 12 tables; supplementary material included",
        "Under review",
        "Preprint. Under review",
        "Submitted to EMNLP 2026",
        "15 pages, 8 figures; under review at EMNLP 2026",
        "ECCV 2026 Under Review",
        "17 pages, 4 figures; ECCV 2026 submission; supplementary material uploaded",
        "Under review at BlackboxNLP (EMNLP 2026)",
        "This work has been submitted to the IEEE for possible publication",
        "Rejected from ICML 2026",
        "12 pages, 8 figures. NeurIPS 2024 format",
        "5 pages, 1 figure, 8 tables. ICASSP-style preprint",
        "4th place in ICRA 2026 GOOSE 2D Semantic Segmentation Challenge",
        "15 pages, 7 figures, accepted by IEEE Journal",
        "Results presented in Table 3 were updated",
        "Project page: https://icml2026-demo.github.io/eccv-2026/",
        "The first two authors contributed equally. We present an RSS feed reader",
        "Work completed in January 2026",
    ],
)
def test_no_venue_when_the_comment_states_none(comment: str | None) -> None:
    assert find_venue(comment) is None


# ----------------------------------------------------------------------------- highlight


def marked(comment: str) -> list[str]:
    return [text for text, is_venue in highlight_venue(comment, find_venue(comment)) if is_venue]


@pytest.mark.parametrize(
    ("comment", "mark"),
    [
        ("Accepted by MICCAI2025", "Accepted by MICCAI2025"),
        ("12 pages, 6 figures, accepted by CVPR 2025", "accepted by CVPR 2025"),
        (
            "Accepted to CVPR 2025 (Highlight). Code: https://github.com/a/b",
            "Accepted to CVPR 2025",
        ),
        ("TMLR 07/2025", "TMLR 07/2025"),
        ("Accepted to CVPR 2026 FGVC Workshop", "Accepted to CVPR 2026 FGVC Workshop"),
        (
            "Accepted for publication at the European Conference on Computer Vision (ECCV 2026)",
            "Accepted for publication at the European Conference on Computer Vision (ECCV 2026)",
        ),
        ("ECCV 2026, Project page: https://x.github.io/", "ECCV 2026"),
    ],
)
def test_highlight_marks_the_venue_statement(comment: str, mark: str) -> None:
    segments = highlight_venue(comment, find_venue(comment))
    assert "".join(text for text, _ in segments) == comment
    assert marked(comment) == [mark]


def test_highlight_without_a_venue_is_the_plain_comment() -> None:
    assert highlight_venue("12 pages, 5 figures", None) == [("12 pages, 5 figures", False)]
    assert highlight_venue("", None) == []
    # a venue learnt elsewhere (say, the journal reference) that the comment does not name
    assert highlight_venue("12 pages", "IEEE TPAMI") == [("12 pages", False)]
    # a venue the caller spelled as the comment does is found literally
    assert highlight_venue("Oral, ECCV 2026 main", "ECCV 2026 main") == [
        ("Oral, ", False),
        ("ECCV 2026 main", True),
    ]


def test_highlight_leaves_markup_as_text_for_the_template_to_escape() -> None:
    comment = "Accepted to <b>ICML 2026</b> & more"
    segments = highlight_venue(comment, find_venue(comment))
    assert "".join(text for text, _ in segments) == comment
    assert any("<b>" in text for text, _ in segments)


# ----------------------------------------------------------------------------- real data

# Comments that only count pages, figures, tables and the like.
_ONLY_COUNTS = re.compile(
    r"(?:\s*(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s*(?:main\s+)?"
    r"(?:pages?|figures?|figs?\.?|tables?|appendix|appendices|references|algorithms?)"
    r"(?:\s+(?:including|incl\.?)\s+\w+)?\s*[,;.]?\s*(?:and\s*)?)+",
    re.I,
)
_REPO_URL = re.compile(
    r"https://(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|gitee\.com"
    r"|huggingface\.co(?:/datasets|/spaces)?|gist\.github\.com)"
    r"/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*"
)
# Venue found for at least this share of comments saying "accepted": measured 489/491 (99.6%)
# on the 2026-06-16..07-01 bulk file.
_MIN_ACCEPTED_WITH_VENUE = 0.97


def _bulk_papers(shared_data: Path) -> list[Paper]:
    path = shared_data / "arxiv" / "bulk" / "papers_2026-06-16_to_07-01.jsonl"
    if not path.is_file():
        pytest.skip(f"bulk export not found at {path}")
    return read_papers(path)


def test_links_and_venues_over_real_announcements(shared_data: Path) -> None:
    papers = _bulk_papers(shared_data)
    assert len(papers) == 3294

    accepted = accepted_with_venue = counts_only = 0
    for p in papers:
        links = find_links(p)
        for url in links.code_urls:
            assert _REPO_URL.fullmatch(url), url  # owner and repository, nothing else
            assert url[-1] not in ".,;:)]}'\"", url
        for url in links.project_urls:
            assert url.startswith(("https://", "http://")), url
            assert url[-1] not in ".,;:)]}'\"", url
            assert not re.search(
                r"//(?:[\w-]+\.)?(?:arxiv\.org|doi\.org|creativecommons\.org)/", url
            )
            assert url not in links.code_urls
        # every repository named in full is found
        text = f"{p.comment or ''} {p.abstract}"
        found = {u.lower() for u in links.code_urls}
        for m in re.finditer(r"github\.com/([\w.-]+)/([\w-]+(?:\.[\w-]+)*)", text):
            repo = m.group(2).removesuffix(".git")
            assert f"https://github.com/{m.group(1)}/{repo}".lower() in found, (m.group(0), found)

        comment = p.comment or ""
        if re.search(r"\baccept", comment, re.I):
            accepted += 1
            accepted_with_venue += links.venue is not None
        if comment and _ONLY_COUNTS.fullmatch(comment):
            counts_only += 1
            assert links.venue is None, comment
        if re.match(r"(?i)\s*(?:submitted|under review)", comment) and not re.search(
            r"(?i)accept|publish|appear", comment
        ):
            assert links.venue is None, comment
        segments = highlight_venue(comment, links.venue)
        assert "".join(text for text, _ in segments) == comment
        assert sum(is_venue for _, is_venue in segments) == (1 if links.venue else 0), comment

    assert accepted > 400 and counts_only > 400
    assert accepted_with_venue / accepted >= _MIN_ACCEPTED_WITH_VENUE
