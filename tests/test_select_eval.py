"""Evaluation against labels, threshold calibration, the LLM-judge hook and topic config
rules — the parts of selection that need no embedding model."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from papertide.cli import main
from papertide.config import load_config
from papertide.errors import ConfigError
from papertide.records import Match, Paper, Topic
from papertide.select.evaluate import Labels, calibrate
from papertide.select.judge import Verdict, apply_judge

KEYWORD_CONFIG = """
[store]
path = "store.db"

[select]
embedder = "none"

[[topics]]
name = "I2I"
slug = "i2i"
query = 'abs:"image-to-image" OR "style transfer" OR translation'

[[topics]]
name = "Splats"
slug = "3dgs"
query = '"gaussian splatting"'
"""


def write_labels(folder: Path, slug: str, rows: dict[str, int]) -> None:
    folder.mkdir(exist_ok=True)
    text = "".join(json.dumps({"id": i, "label": lab}) + "\n" for i, lab in rows.items())
    (folder / f"{slug}.jsonl").write_text(text, encoding="utf-8")


def test_eval_relevance_prints_precision_recall_f1_per_topic_and_macro(
    tmp_path: Path, fixtures: Path
) -> None:
    (tmp_path / "papertide.toml").write_text(KEYWORD_CONFIG, encoding="utf-8")
    labels = tmp_path / "labels"
    # i2i selects 90001 (translation, label 2), 90005 (machine translation, label 0) and
    # 90008 (style transfer, label 1); 90002 (label 2) is missed:
    # precision 2/3, recall 1/2, F1 0.57. Unlisted papers of the two days count as 0.
    write_labels(labels, "i2i", {"2606.90001": 2, "2606.90002": 2, "2606.90008": 1})
    write_labels(labels, "3dgs", {"2606.90003": 2})
    result = CliRunner().invoke(
        main,
        [
            "--config",
            str(tmp_path / "papertide.toml"),
            "eval",
            "relevance",
            "--labels",
            str(labels),
            "--input",
            str(fixtures / "select" / "papers.jsonl"),
            "--baseline",
            "keyword",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    cells = [c.strip() for c in rows["i2i"].split("│")[2:-1]]
    assert cells[:5] == ["0.67", "0.50", "0.57", "3", "2"]
    assert cells[5:] == ["0.67", "0.50", "0.57"]  # keyword-only: the same here
    assert [c.strip() for c in rows["3dgs"].split("│")[2:5]] == ["1.00", "1.00", "1.00"]
    assert [c.strip() for c in rows["macro"].split("│")[2:5]] == ["0.83", "0.75", "0.79"]
    assert "8 papers announced 2026-06-16..2026-06-17" in result.stdout


def test_eval_with_feedback_rates_the_first_days_top_papers_and_scores_only_the_later_days(
    tmp_path: Path, fixtures: Path
) -> None:
    (tmp_path / "papertide.toml").write_text(KEYWORD_CONFIG, encoding="utf-8")
    labels = tmp_path / "labels"
    write_labels(labels, "i2i", {"2606.90001": 2, "2606.90002": 2, "2606.90008": 1})
    write_labels(labels, "3dgs", {"2606.90003": 2})
    result = CliRunner().invoke(
        main,
        ["--config", str(tmp_path / "papertide.toml"), "eval", "relevance", "--feedback", "3"]
        + ["--labels", str(labels), "--input", str(fixtures / "select" / "papers.jsonl")],
    )
    assert result.exit_code == 0, result.output
    # The reader rated the top three of 2026-06-16's four papers for each topic (the page's
    # paper first); only the four papers of 2026-06-17 are scored.
    assert "4 papers announced 2026-06-17..2026-06-17, after ratings of 2026-06-16" in (
        " ".join(result.stdout.split())
    )
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    i2i = [c.strip() for c in rows["i2i"].split("│")[2:-1]]
    # i2i: 90001 and 90002 rated relevant (labels 2), 90003 not; on 06-17 it selects
    # machine translation (label 0) and style transfer (label 1), and no core paper is left.
    assert i2i[:6] == ["0.50", "0.00", "0.00", "2", "0", "2/1"]
    assert [c.strip() for c in rows["3dgs"].split("│")[7:8]] == ["1/2"]


def test_eval_relevance_names_a_bad_label_line(tmp_path: Path, fixtures: Path) -> None:
    (tmp_path / "papertide.toml").write_text(KEYWORD_CONFIG, encoding="utf-8")
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "i2i.jsonl").write_text('{"id": "2606.90001", "label": 2}\n{"id": "x"}\n')
    result = CliRunner().invoke(
        main,
        ["--config", str(tmp_path / "papertide.toml"), "eval", "relevance"]
        + ["--labels", str(labels), "--input", str(fixtures / "select" / "papers.jsonl")],
    )
    assert result.exit_code == 1
    assert "i2i.jsonl:2: expected a JSON object with 'id' and 'label'" in result.output


def test_calibrate_finds_the_threshold_that_separates_and_reports_held_out_days() -> None:
    labels = Labels("t", {"a": 2, "b": 2, "c": 1, "d": 0, "e": 0, "f": 2})
    d1, d2 = date(2026, 6, 16), date(2026, 6, 17)
    scored = [
        ("a", d1, 0.9),
        ("b", d1, 0.7),
        ("c", d1, 0.6),
        ("d", d1, 0.3),
        ("e", d2, 0.4),
        ("f", d2, 0.8),
        ("g", d2, 0.1),
    ]
    result = calibrate(scored, labels, configured=0.95)
    assert 0.4 < result.threshold < 0.6  # between the last relevant and the first not
    assert result.f1 == 1.0
    assert result.default_f1 == 0.0  # nothing reaches 0.95
    assert 0 < result.cv_f1 <= 1.0


class RuleJudge:
    """A judge that answers from the title, standing in for an LLM backend."""

    model = "rule"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def judge(self, paper: Paper, topic: Topic) -> Verdict:
        self.asked.append(paper.arxiv_id)
        return Verdict("translation" in paper.title.lower(), "the title says so")


def test_llm_judge_is_asked_only_in_the_uncertain_band() -> None:
    topic = Topic(slug="i2i", name="I2I", query="x", threshold=0.5)
    paper = Paper("2606.1", 1, "Unpaired image translation", (), "", ("cs.CV",))
    other = replace(paper, arxiv_id="2606.2", title="A robot benchmark")
    judge = RuleJudge()

    def match(p: Paper, score: float) -> Match:
        return Match(p.arxiv_id, 1, "i2i", date(2026, 6, 16), score >= 0.5, score, "0.84 similar")

    sure = apply_judge(judge, topic, paper, match(paper, 0.9), band=0.1)
    assert sure.selected and judge.asked == []
    lifted = apply_judge(judge, topic, paper, match(paper, 0.45), band=0.1)
    assert lifted.selected and lifted.score >= 0.5
    assert "LLM judge (rule): relevant — the title says so" in lifted.reason
    dropped = apply_judge(judge, topic, other, match(other, 0.55), band=0.1)
    assert not dropped.selected and dropped.score < 0.5
    assert judge.asked == ["2606.1", "2606.2"]


@pytest.mark.parametrize(
    "topic",
    [
        'name = "Empty"',
        'name = "Only categories"\ncategories = ["cs.CV"]',
    ],
)
def test_topic_with_nothing_to_select_by_is_a_config_error(tmp_path: Path, topic: str) -> None:
    path = tmp_path / "papertide.toml"
    path.write_text(f"[[topics]]\n{topic}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"topics\[0\] \((Empty|Only categories)\): needs a"):
        load_config(path)


def test_topic_with_only_a_description_or_examples_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "papertide.toml"
    path.write_text(
        '[[topics]]\nname = "A"\ndescription = "Gaussian splatting"\n'
        '[[topics]]\nname = "B"\nexamples = ["2606.14721"]\nthreshold = 0.6\n'
        "exclude = ['ti:\"diffusion MRI\"']\n",
        encoding="utf-8",
    )
    topics = load_config(path).topic_records()
    assert topics[1].threshold == 0.6 and topics[1].exclude == ('ti:"diffusion MRI"',)
    path.write_text('[[topics]]\nname = "B"\nquery = "x"\nexclude = ["(a"]\n')
    with pytest.raises(ConfigError, match=r"topics\[0\] \(B\)\.exclude: invalid exclusion"):
        load_config(path)
