"""The topic model on a pool of papers: closeness and keyword evidence, the classifier that
learns from the pool and from the reader's ratings, and the reasons a reader sees. Vectors are
built with a known geometry (a crowd of papers on many subjects, a few on the topic, a few on a
neighbouring subject), so what should happen is plain."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from numpy.typing import NDArray

from papertide.records import Paper, Topic
from papertide.select.embed import Vectors
from papertide.select.profile import Rated, Seeds, TopicModel
from papertide.select.query import Document
from papertide.select.semantic import SemanticSelector

DIM = 64
rng = np.random.default_rng(7)


def unit(rows: Vectors) -> Vectors:
    out: Vectors = (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)
    return out


GENERIC = unit(rng.normal(size=DIM).astype(np.float32))
TOPIC = unit(rng.normal(size=DIM).astype(np.float32))
NEIGHBOUR = unit(rng.normal(size=DIM).astype(np.float32))


def papers_near(direction: Vectors, count: int, pull: float) -> Vectors:
    """Papers that all look alike (the generic direction) and lean towards ``direction``."""
    noise = rng.normal(size=(count, DIM)).astype(np.float32) * 0.08
    return unit(GENERIC * 1.0 + direction * pull + noise)


CROWD = papers_near(GENERIC, 400, 0.0)
ON_TOPIC = papers_near(TOPIC, 20, 0.5)
NEAR = papers_near(NEIGHBOUR, 20, 0.5)
POOL = np.concatenate([CROWD, ON_TOPIC, NEAR])
ANCHORS = unit(GENERIC + rng.normal(size=(3, DIM)).astype(np.float32) * 0.1)
MARGIN = 0.25  # how far above the crowd a paper squarely on a topic lies, in this geometry
SEEDS = Seeds(
    unit(GENERIC + TOPIC * 0.6)[None, :],
    np.zeros((0, DIM), np.float32),
    (),
    np.zeros((0, DIM), np.float32),
    (),
)


def selected(model: TopicModel, vectors: Vectors, keyword: bool = False) -> int:
    return sum(model.assess(v, keyword).score >= 0.5 for v in vectors)


def test_papers_on_the_topic_stand_out_from_the_crowd_without_any_keyword() -> None:
    model = TopicModel(SEEDS, ANCHORS, POOL, np.zeros(len(POOL), bool), margin=MARGIN)
    assert selected(model, ON_TOPIC) >= 18
    assert selected(model, CROWD) <= 4
    assert selected(model, NEAR) <= 1
    seen = model.assess(ON_TOPIC[0], False)
    assert seen.percentile is not None and seen.percentile > 90


def test_a_keyword_match_lifts_a_paper_but_does_not_select_one_about_something_else() -> None:
    model = TopicModel(SEEDS, ANCHORS, POOL, np.zeros(len(POOL), bool), margin=MARGIN)
    assert model.assess(NEAR[0], True).score > model.assess(NEAR[0], False).score
    elsewhere = papers_near(-TOPIC, 20, 0.5)  # shares a word with the topic, nothing else
    assert selected(model, elsewhere, keyword=True) == 0


# A topic whose words fit two subjects alike (as "translation" fits images and languages),
# and whose keyword query matches both: the reader's ratings tell them apart.
AMBIGUOUS = Seeds(
    unit(GENERIC + (TOPIC + NEIGHBOUR) * 0.4)[None, :],
    np.zeros((0, DIM), np.float32),
    (),
    np.zeros((0, DIM), np.float32),
    (),
)
BOTH = np.zeros(len(POOL), bool)
BOTH[400:] = True


def test_ratings_teach_the_topic_apart_from_its_neighbour_and_the_reason_names_them() -> None:
    before = TopicModel(AMBIGUOUS, ANCHORS, POOL, BOTH, margin=MARGIN)
    assert selected(before, NEAR[5:], keyword=True) >= 10
    rated = Rated(
        ON_TOPIC[:3],
        ("2606.10001", "2606.10002", "2606.10003"),
        NEAR[:5],
        tuple(f"2606.2000{i}" for i in range(5)),
    )
    after = TopicModel(AMBIGUOUS, ANCHORS, POOL, BOTH, rated, margin=MARGIN)
    assert selected(after, NEAR[5:], keyword=True) <= 4
    assert selected(after, ON_TOPIC[3:], keyword=True) >= 15
    assert selected(after, CROWD) <= 4

    topic = Topic(slug="t", name="T", description="d", query="x")
    paper = Paper("2606.99999", 1, "x marks it", (), "An abstract.", ("cs.CV",))
    selector = SemanticSelector(topic, after)
    document = Document.from_paper(paper)
    liked = selector.decide(paper, document, ON_TOPIC[9], date(2026, 6, 16))
    assert liked.selected
    assert "like 2606.1000" in liked.reason and "that you marked relevant" in liked.reason
    disliked = selector.decide(paper, document, NEAR[9], date(2026, 6, 16))
    assert not disliked.selected
    assert "like 2606.2000" in disliked.reason and "that you marked not relevant" in disliked.reason


@pytest.mark.parametrize("size", [0, 8])
def test_a_pool_too_small_has_no_percentiles_and_no_classifier_but_still_scores(size: int) -> None:
    model = TopicModel(SEEDS, ANCHORS, POOL[:size], np.zeros(size, bool), margin=MARGIN)
    seen = model.assess(ON_TOPIC[0], False)
    assert seen.percentile is None and model.classifier is None
    assert 0.0 <= seen.score <= 1.0


def test_one_paper_marked_not_relevant_does_not_turn_down_papers_unlike_it() -> None:
    before = TopicModel(SEEDS, ANCHORS, POOL, np.zeros(len(POOL), bool), margin=MARGIN)
    rated = Rated(
        np.zeros((0, DIM), np.float32), (), CROWD[:1], ("2606.30001",)
    )  # a crowd paper turned down, nothing marked relevant yet
    after = TopicModel(SEEDS, ANCHORS, POOL, np.zeros(len(POOL), bool), rated, margin=MARGIN)
    assert selected(after, ON_TOPIC) >= selected(before, ON_TOPIC) - 1 >= 17


def test_a_paper_the_reader_rated_is_decided_by_the_rating_and_says_so() -> None:
    model = TopicModel(SEEDS, ANCHORS, POOL, np.zeros(len(POOL), bool), margin=MARGIN)
    topic = Topic(slug="t", name="T", description="d")
    kept = Paper("2606.40001", 1, "Off the topic", (), "An abstract.", ("cs.CV",))
    dropped = Paper("2606.40002", 1, "On the topic", (), "An abstract.", ("cs.CV",))
    selector = SemanticSelector(topic, model, {kept.arxiv_id: True, dropped.arxiv_id: False})
    day = date(2026, 6, 16)
    assert (
        not SemanticSelector(topic, model)
        .decide(kept, Document.from_paper(kept), CROWD[0], day)
        .selected
    )
    yes = selector.decide(kept, Document.from_paper(kept), CROWD[0], day)
    no = selector.decide(dropped, Document.from_paper(dropped), ON_TOPIC[0], day)
    assert (yes.selected, yes.score, yes.reason) == (True, 1.0, "you marked it relevant")
    assert (no.selected, no.score, no.reason) == (False, 0.0, "you marked it not relevant")


def test_one_paper_marked_not_relevant_among_many_kept_turns_down_only_what_resembles_it() -> None:
    # The reader kept ten papers on the topic and turned down one that looks just like them
    # (their own reason: already read, or a side they do not follow): the topic's other papers
    # stay selected, while papers around a group of turned-down ones do not.
    odd_one = ON_TOPIC[10:11]
    rated = Rated(
        ON_TOPIC[:10],
        tuple(f"2606.1{i:04d}" for i in range(10)),
        np.concatenate([odd_one, NEAR[:5]]),
        ("2606.30000", *(f"2606.2000{i}" for i in range(5))),
    )
    model = TopicModel(AMBIGUOUS, ANCHORS, POOL, BOTH, rated, margin=MARGIN)
    assert selected(model, ON_TOPIC[11:], keyword=True) == 9
    assert selected(model, NEAR[5:], keyword=True) <= 5  # of 15
    # The reason names a kept paper, even where the odd one out is nearest.
    seen = [model.assess(v, True) for v in ON_TOPIC[11:]]
    assert all(not s.turned_down and s.liked for s in seen)
    assert any(s.disliked and s.disliked[0] == "2606.30000" for s in seen)
    topic = Topic(slug="t", name="T", description="d", query="x")
    paper = Paper("2606.99999", 1, "x marks it", (), "An abstract.", ("cs.CV",))
    decided = SemanticSelector(topic, model).decide(
        paper, Document.from_paper(paper), ON_TOPIC[12], date(2026, 6, 16)
    )
    assert decided.selected and "that you marked relevant" in decided.reason


def test_a_page_rated_mostly_not_relevant_does_not_turn_down_the_papers_the_reader_kept() -> None:
    # The top of a page is mostly near misses: the reader kept 3 and turned down 27 papers that
    # read almost like the topic. Most of any on-topic paper's nearest rated papers are then
    # "not relevant", but it is no nearer to them than to the kept ones: it stays selected.
    near_misses = papers_near(TOPIC, 27, 0.45)
    rated = Rated(
        ON_TOPIC[:3],
        ("2606.10001", "2606.10002", "2606.10003"),
        near_misses,
        tuple(f"2606.2{i:04d}" for i in range(27)),
    )
    model = TopicModel(SEEDS, ANCHORS, POOL, np.zeros(len(POOL), bool), rated, margin=MARGIN)
    assert selected(model, ON_TOPIC[3:]) >= 15  # of 17


def test_a_topics_name_and_terms_rank_its_papers_and_the_description_says_how_many() -> None:
    # The description fits the topic and its neighbour alike; the topic's name and query terms
    # (its phrases) name the topic only.
    none = np.zeros(len(POOL), bool)
    plain = TopicModel(AMBIGUOUS, ANCHORS, POOL, none, margin=MARGIN)
    phrases = unit(GENERIC + TOPIC * 0.6)[None, :]
    named = TopicModel(replace(AMBIGUOUS, phrases=phrases), ANCHORS, POOL, none, margin=MARGIN)

    def closeness(model: TopicModel, vectors: Vectors) -> NDArray[np.float64]:
        return np.array([model.assess(v, False).closeness for v in vectors])

    # Alone, the description selects much of the neighbour's work; with the phrases, the topic's.
    assert selected(plain, NEAR) >= 5
    assert selected(named, ON_TOPIC) >= 18 and selected(named, NEAR) <= 2
    assert selected(named, ON_TOPIC) > selected(plain, ON_TOPIC)
    # The phrases reorder the papers; how close the pool's papers are, rank for rank, is the
    # description's, so the threshold means what it meant without them.
    together, alone = np.sort(closeness(named, POOL)), np.sort(closeness(plain, POOL))
    assert np.abs(together - alone).max() < 1e-3
