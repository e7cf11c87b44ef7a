"""The cases of the fault matrix, by group: arXiv faults (OAI-PMH backfills, the daily RSS
listing, a failed gap repair, exit codes), broken input files and config mistakes, what reaches
readers (payloads, control characters, a tampered manifest, broken PDFs, SMTP faults), and runs
cut short (kill -9, two runs at once, LLM endpoint faults). Each case returns an Outcome."""

from faults import arxiv, inputs, outputs, runs
from faults.common import Case

CASES: list[tuple[str, str, Case]] = [*arxiv.CASES, *inputs.CASES, *outputs.CASES, *runs.CASES]
