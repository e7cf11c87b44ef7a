"""Topic queries in arXiv syntax: parsing, matching rules, evidence and error messages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from papertide.errors import QuerySyntaxError
from papertide.fetch import read_papers
from papertide.records import Paper
from papertide.select.query import Document, parse_query


def paper(
    title: str = "A paper",
    abstract: str = "",
    authors: tuple[str, ...] = ("Ada Lovelace",),
    categories: tuple[str, ...] = ("cs.CV",),
    comment: str | None = None,
) -> Paper:
    return Paper("2606.00001", 1, title, authors, abstract, categories, comment=comment)


def evidence(query: str, **fields: Any) -> tuple[str, ...] | None:
    return parse_query(query).evaluate(Document.from_paper(paper(**fields)))


def matches(query: str, **fields: Any) -> bool:
    return evidence(query, **fields) is not None


# --- structure: precedence, grouping, ANDNOT --------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    q = "ti:style OR ti:transfer AND ti:video"
    assert str(parse_query(q)) == "ti:style OR (ti:transfer AND ti:video)"
    assert matches(q, title="Style matters")
    assert not matches(q, title="Transfer learning")
    assert matches(q, title="Video transfer")


def test_parentheses_regroup() -> None:
    q = "(ti:style OR ti:transfer) AND ti:video"
    assert not matches(q, title="Style matters")
    assert matches(q, title="Video style")


def test_adjacent_terms_mean_and() -> None:
    assert str(parse_query("style transfer")) == "all:style AND all:transfer"
    assert matches("style transfer", title="Transfer of style")
    assert not matches("style transfer", title="Style matters")


def test_andnot_excludes_and_binds_tighter_than_or() -> None:
    q = 'abs:"image-to-image" OR (ti:style AND ti:transfer) ANDNOT cat:cs.CL'
    assert str(parse_query(q)) == (
        'abs:"image-to-image" OR ((ti:style AND ti:transfer) ANDNOT cat:cs.CL)'
    )
    assert matches(q, title="Style transfer", categories=("cs.CV",))
    assert not matches(q, title="Style transfer", categories=("cs.CL",))
    # The exclusion covers only its own OR branch.
    assert matches(q, abstract="Image-to-image models.", categories=("cs.CL",))


def test_andnot_is_left_associative() -> None:
    q = "ti:gan ANDNOT ti:audio ANDNOT ti:text"
    assert str(parse_query(q)) == "(ti:gan ANDNOT ti:audio) ANDNOT ti:text"
    assert matches(q, title="GAN for images")
    assert not matches(q, title="GAN for text")
    assert not matches(q, title="GAN for audio")


def test_lower_case_operators_are_ordinary_words() -> None:
    assert str(parse_query("style or transfer")) == "all:style AND all:or AND all:transfer"
    assert not matches("style or transfer", title="Style transfer")


def test_rendering_parses_back_to_the_same_query() -> None:
    q = parse_query('abs:(gaussian AND splat*) OR "style transfer" ANDNOT cat:cs.* nerf')
    assert parse_query(str(q)).root == q.root
    assert repr(q) == f"Query({str(q)!r})"


def test_terms_lists_positive_words_and_phrases_in_order() -> None:
    q = parse_query(
        'ti:"style transfer" OR abs:translat* ANDNOT abs:language AND cat:cs.CV OR au:zamir'
    )
    assert q.terms == ("style transfer", "translat*")
    assert parse_query("cat:cs.CV AND (CycleGAN OR au:zhu)").terms == ("CycleGAN",)


# --- matching rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["Image-to-Image translation", "image to image", "Unpaired image-to-images mapping"]
)
def test_phrase_matches_across_hyphens_and_case(text: str) -> None:
    assert matches('abs:"image-to-image"', abstract=text)
    assert matches("abs:image-to-image", abstract=text)  # unquoted hyphenated word: a phrase


def test_phrase_needs_consecutive_words() -> None:
    assert not matches('abs:"image-to-image"', abstract="an image to the image")
    assert not matches('abs:"style transfer"', abstract="transfer of style")


def test_whole_words_only() -> None:
    assert not matches("abs:GAN", abstract="The organ was imaged.")
    assert matches("abs:GAN", abstract="A StyleGAN-based GAN, trained adversarially.")
    assert not matches("abs:translation", abstract="Translational research in oncology.")


def test_trailing_star_matches_prefix_and_names_the_word() -> None:
    assert evidence("abs:translat*", abstract="Translational research.") == (
        "abstract matches 'translat*' (translational)",
    )
    assert matches('abs:"image transl*"', abstract="image translators")
    assert not matches("abs:translat*", abstract="Untranslatable words.")


@pytest.mark.parametrize(
    ("query_word", "text_word"),
    [
        ("image", "images"),
        ("images", "image"),
        ("model", "Models"),
        ("study", "studies"),
        ("studies", "study"),
        ("gaussian", "Gaussians"),
        ("process", "processes"),
        ("patch", "patches"),
        ("nerf", "NeRFs"),
        ("GAN", "GANs"),
        ("bias", "biases"),
        ("matrix", "matrices"),
    ],
)
def test_plurals_match_both_ways(query_word: str, text_word: str) -> None:
    assert matches(f"abs:{query_word}", abstract=f"We use {text_word} here.")


def test_plural_phrase_matches_singular() -> None:
    assert matches('abs:"diffusion models"', abstract="A latent diffusion model for editing.")
    assert matches('abs:"diffusion model"', abstract="Diffusion models are slow.")


def test_no_stemming_beyond_plurals() -> None:
    assert not matches("abs:process", abstract="Signal processing.")
    assert not matches("abs:gaussian", abstract="Non-Gaussianity of the field.")
    assert not matches("abs:generation", abstract="Generative models.")


# --- fields ---------------------------------------------------------------------------------


def test_fields_search_only_their_own_text() -> None:
    fields = {"title": "Splats", "abstract": "Neural fields", "comment": "CVPR 2026"}
    assert matches("ti:splats", **fields) and not matches("abs:splats", **fields)
    assert matches("co:cvpr", **fields) and not matches("ti:cvpr", **fields)
    assert matches("cvpr", **fields) and matches("neural", **fields)  # bare word: all fields
    assert not matches("co:cvpr", title="CVPR", comment=None)


def test_field_prefix_applies_to_a_group() -> None:
    q = "abs:(gaussian AND splatting)"
    assert str(parse_query(q)) == "abs:gaussian AND abs:splatting"
    assert matches(q, abstract="We splat gaussians; splatting is fast.")
    assert not matches(q, title="Gaussian splatting", abstract="A fast renderer.")
    # An explicit field inside the group wins.
    assert matches("abs:(gaussian AND ti:avatar)", title="Avatars", abstract="Gaussian heads")


def test_categories_exact_and_by_archive() -> None:
    cv = {"categories": ("cs.CV", "eess.IV")}
    assert evidence("cat:cs.CV", **cv) == ("category cs.CV",)
    assert not matches("cat:cs.CL", **cv)
    assert not matches("cat:cs.C", **cv)
    assert matches("cat:eess.IV", **cv)
    for q in ("cat:cs", "cat:cs.*", "cat:CS"):
        assert matches(q, **cv)
    assert not matches("cat:cs", categories=("physics.comp-ph", "math.NA"))
    assert not matches("cat:math", categories=("math-ph",))
    assert matches("cat:hep-th", categories=("hep-th",))
    assert matches("cat:(cs.LG OR eess.IV)", **cv)
    assert evidence("cat:cs", categories=("cs.CV", "cs.LG")) == ("categories cs.CV, cs.LG",)


def test_authors() -> None:
    authors = ("Alexander Sax", "Amir R. Zamir", "Zhang Wei")
    assert evidence("au:zamir", authors=authors) == ("author Amir R. Zamir matches 'zamir'",)
    assert matches('au:"amir r zamir"', authors=authors)
    assert not matches('au:"amir zamir"', authors=authors)  # not consecutive
    assert not matches('au:"zamir zhang"', authors=authors)  # across two authors
    assert not matches("au:zam", authors=authors)
    assert matches("au:zam*", authors=authors)
    assert not matches("au:zamir", abstract="Zamir et al. showed", authors=("Ada Lovelace",))


def test_author_names_fold_accents_but_not_plurals() -> None:
    assert matches("au:muller", authors=("José Müller",))
    assert matches("au:Müller", authors=("Jose Muller",))
    assert not matches("au:william", authors=("Ann Williams",))


# --- robustness ----------------------------------------------------------------------------


def test_unicode_text_and_queries() -> None:
    assert matches("abs:東京", abstract="東京 dataset of street scenes")
    assert matches("abs:gan", abstract="Full-width ＧＡＮ letters")  # NFKC
    assert matches("abs:naive", abstract="A naïve baseline")
    assert matches('ti:"straße"', title="STRASSE scenes")  # casefold
    assert not matches("abs:gan", abstract="Ω≈ç√∫ 😀 \u200b\ufeff")


def test_latex_in_abstracts() -> None:
    abstract = (
        r"Attention in $\mathcal{O}(n \log n)$ time with $\alpha$-entmax and 10\% fewer FLOPs."
    )
    assert matches('abs:"log n"', abstract=abstract)
    assert matches("abs:alpha-entmax", abstract=abstract)
    assert matches("abs:FLOPs", abstract=abstract)
    assert not matches("abs:mathcal AND abs:quadratic", abstract=abstract)


# --- evidence --------------------------------------------------------------------------------


def test_evidence_lists_every_matching_branch_in_query_order() -> None:
    q = 'abs:"image-to-image" OR (ti:"style transfer" AND cat:cs.CV) OR ti:diffusion'
    got = evidence(
        q,
        title="Style Transfer with Diffusion",
        abstract="An image-to-image method.",
        categories=("cs.CV",),
    )
    assert got == (
        "abstract matches 'image-to-image'",
        "title matches 'style transfer'",
        "category cs.CV",
        "title matches 'diffusion'",
    )


def test_evidence_is_deduplicated_and_skips_the_andnot_side() -> None:
    q = "(ti:gan OR ti:gan) AND (cat:cs.CV OR ti:gan) ANDNOT abs:audio"
    assert evidence(q, title="GAN", abstract="images") == ("title matches 'gan'", "category cs.CV")


def test_evidence_for_a_bare_word_names_the_first_field_that_has_it() -> None:
    assert evidence("nerf", title="Fast NeRF", abstract="NeRF rendering") == (
        "title matches 'nerf'",
    )
    assert evidence("nerf", abstract="NeRFs", comment="NeRF") == ("abstract matches 'nerf'",)


# --- syntax errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty query"),
        ("   ", "empty query"),
        ("(ti:style OR ti:transfer", "unbalanced parenthesis at position 0: '(' is never closed"),
        ("ti:style OR ti:transfer)", "unbalanced parenthesis at position 23: ')' has no matching"),
        ("ti:style AND (ti:a OR (ti:b)", "unbalanced parenthesis at position 13"),
        ("ti:style AND", "expected a term after 'AND' at position 9"),
        ("ti:style OR OR ti:x", "expected a term after 'OR' at position 9"),
        ("ti:style AND (ANDNOT ti:x)", "expected a term before 'ANDNOT' at position 14"),
        ("OR ti:style", "expected a term before 'OR' at position 0"),
        ("()", "empty parentheses at position 0"),
        ("tit:style", "unknown field 'tit' at position 0 (use ti, abs, au, cat, co or all)"),
        ("gan OR jr:cvpr", "unknown field 'jr' at position 7"),
        ('abs:"image-to-image', "unterminated quote at position 4"),
        ("ti: style", "expected a term after 'ti:' at position 0: no space"),
        ("gan AND ti:", "expected a term after 'ti:' at position 8"),
        ("ti:(", "unbalanced parenthesis at position 3"),
        ('ti:""', "term '' has no letters or digits at position 3"),
        ("abs:-", "term '-' has no letters or digits at position 4"),
        ("abs:tra*slation", "'*' is only allowed at the end of a word at position 4"),
        ("cat:", "expected a term after 'cat:' at position 0"),
    ],
)
def test_syntax_errors_name_the_problem_and_position(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


# --- the older system's failure ------------------------------------------------------------

# SafePTR (arXiv 2507.01513), which the older system listed under "I2I Translation".
SAFEPTR = paper(
    title="SafePTR: Token-Level Jailbreak Defense in Multimodal LLMs via Prune-then-Restore "
    "Mechanism",
    abstract="By incorporating visual inputs, Multimodal Large Language Models (MLLMs) extend "
    "LLMs to support visual reasoning. However, this integration also introduces new "
    "vulnerabilities, making MLLMs susceptible to multimodal jailbreak attacks and hindering "
    "their safe deployment.Existing defense methods, including Image-to-Text Translation, Safe "
    "Prompting, and Multimodal Safety Tuning, attempt to address this by aligning multimodal "
    "inputs with LLMs' built-in safeguards.",
    categories=("cs.CR", "cs.AI"),
)
CYCLEGAN = paper(
    title="Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
    abstract="Image-to-image translation is a class of vision and graphics problems where the "
    "goal is to learn the mapping between an input image and an output image using a training "
    "set of aligned image pairs. We present an approach for learning to translate an image from "
    "a source domain X to a target domain Y in the absence of paired examples.",
)


def test_precise_query_avoids_the_older_systems_false_positive() -> None:
    naive = parse_query("abs:image AND abs:translation")
    better = parse_query(
        'abs:"image-to-image translation" OR abs:"style transfer" OR ti:"image translation"'
    )
    safeptr, cyclegan = Document.from_paper(SAFEPTR), Document.from_paper(CYCLEGAN)
    assert naive.evaluate(safeptr) == (
        "abstract matches 'image'",
        "abstract matches 'translation'",
    )
    assert better.evaluate(safeptr) is None
    assert better.evaluate(cyclegan) == (
        "abstract matches 'image-to-image translation'",
        "title matches 'image translation'",  # "Image-to-Image Translation" ends with it
    )


# --- real announcements ----------------------------------------------------------------------


def load_bulk(path: Path) -> list[Paper]:
    return read_papers(path)


def test_queries_over_two_weeks_of_real_papers(shared_data: Path) -> None:
    papers = load_bulk(shared_data / "arxiv" / "bulk" / "papers_2026-06-16_to_07-01.jsonl")
    start = time.perf_counter()
    docs = [Document.from_paper(p) for p in papers]
    tokenised = time.perf_counter() - start

    gs = parse_query('abs:"gaussian splatting" OR ti:3DGS OR abs:3DGS')
    hits = [d for d in docs if gs.evaluate(d) is not None]
    print(f"\n{len(hits)} of {len(docs)} papers match {gs}")
    # grep -ciE '"summary": "[^"]*gaussian[- ]splatting|3dgs' finds 81 lines.
    assert 75 <= len(hits) <= 90
    reasons = {e for d in hits for e in gs.evaluate(d) or ()}
    assert reasons == {
        "abstract matches 'gaussian splatting'",
        "abstract matches '3DGS'",
        "title matches '3DGS'",
    }

    queries = [
        parse_query(q)
        for q in (
            'abs:"gaussian splatting" OR ti:3DGS OR abs:3DGS',
            'abs:"image-to-image translation" OR abs:"style transfer" OR ti:"image translation"',
            'ti:"talking head" OR abs:"talking face" OR abs:lip-sync* OR abs:"audio-driven"',
            "(abs:medical OR abs:CT OR abs:MRI OR abs:radiolog*) AND abs:image AND cat:cs.CV",
            'abs:"diffusion model" OR ti:diffusion ANDNOT abs:"graph diffusion"',
            'cat:cs.CV AND (abs:(gaussian AND splatting) OR abs:NeRF OR abs:"novel view")',
        )
    ]
    start = time.perf_counter()
    counts = [sum(q.evaluate(d) is not None for d in docs) for q in queries]
    evaluated = time.perf_counter() - start
    print(
        f"tokenised {len(docs)} papers in {tokenised:.2f}s; "
        f"evaluated {len(queries)} queries in {evaluated:.2f}s; counts {counts}"
    )
    assert all(0 < c < len(docs) // 5 for c in counts)
