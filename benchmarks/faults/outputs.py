"""What reaches readers: injection payloads and control characters in every field and in
the LLM's answer, a tampered site manifest, broken PDFs, SMTP faults."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llm_server import asks_for_summary, chinese_summary, chinese_translation, completion, fake_llm

from faults.common import PAYLOAD, Case, llm_config, sandbox
from faults.sandbox import Outcome, jsonl, paper

CASES: list[tuple[str, str, Case]] = []


# --- injection payloads in every field and in the LLM's answer ---------------------------


def injected(**fields: Any) -> Case:
    def case(src: Path, name: str) -> Outcome:
        with sandbox(src) as box:
            box.config()
            result = box.cli(
                "run", "--from", str(box.write("p.jsonl", jsonl([paper(1, **fields)])))
            )
            if result.code != 0:
                return Outcome(False, f"exit {result.code}: {result.tail()}", 1)
            escaped = box.escaped()
            return Outcome(
                not escaped, f"{escaped} live elements" if escaped else "", 0, 0, escaped
            )

    return case


def llm_payload(src: Path, name: str) -> Outcome:
    def answer(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if not asks_for_summary(request):
            return 200, {}, completion(chinese_translation(request) + PAYLOAD)
        writeup = chinese_summary(request)
        writeup["summary"] = f"本文提出一种方法。{PAYLOAD}"
        writeup["takeaways"] = [f"第一点{PAYLOAD}", "第二点。", "第三点。"]
        return 200, {}, completion(json.dumps(writeup, ensure_ascii=False))

    with sandbox(src) as box, fake_llm() as llm:
        llm.default = answer
        llm_config(box, llm)
        box.cli("run", "--from", str(box.write("p.jsonl", jsonl([paper(1)]))))
        escaped = box.escaped()
        wrote = llm.calls > 0
        return Outcome(
            wrote and not escaped,
            f"{escaped} live elements" if escaped else ("" if wrote else "the LLM was not called"),
            0,
            0,
            escaped,
        )


CONTROLS = "\u0000\u0007\u001b\u009f\u0085\u007f"


def control_characters(src: Path, name: str) -> Outcome:
    import yaml  # a dev dependency, like Hexo's YAML parser

    record = paper(
        1,
        title=f"Gaussian{CONTROLS} splatting",
        authors=[f"Ada{CONTROLS} Lovelace"],
        summary=f"We study{CONTROLS} gaussian splatting.",
        comment=f"CVPR{CONTROLS}",
    )
    with sandbox(src) as box:
        box.config()
        result = box.cli("run", "--from", str(box.write("p.jsonl", jsonl([record]))))
        if result.code != 0:
            return Outcome(False, f"exit {result.code}: {result.tail()}", 1)
        outputs = [
            *box.site().rglob("*.html"),
            *box.site().rglob("*.xml"),
            *box.folder.glob("hexo/*.md"),
        ]
        dirty = [
            p.name
            for p in outputs
            if re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", p.read_text("utf-8"))
        ]
        for post in box.folder.glob("hexo/*.md"):
            try:
                yaml.safe_load(post.read_text("utf-8").split("---\n")[1])
            except yaml.YAMLError:
                dirty.append(f"{post.name} front matter")
        return Outcome(not dirty, f"control characters in {', '.join(dirty[:3])}" if dirty else "")


CASES += [
    ("inject", "title", injected(title=f"Splats {PAYLOAD}")),
    ("inject", "abstract", injected(summary=f"We study gaussian splatting. {PAYLOAD}")),
    ("inject", "authors", injected(authors=[f"Mallory {PAYLOAD}"])),
    ("inject", "comment", injected(comment=f"CVPR 2026 {PAYLOAD} https://github.com/a/b")),
    ("inject", "llm-answer", llm_payload),
    ("inject", "control-characters", control_characters),
]

# --- a tampered site manifest -------------------------------------------------------------


def manifest_tampered(line: Callable[[Path], str], link: bool = False) -> Case:
    def case(src: Path, name: str) -> Outcome:
        with sandbox(src) as box:
            box.config()
            box.cli("run", "--from", str(box.write("p.jsonl", jsonl([paper(1)]))))
            victim = box.write("elsewhere/thesis.tex", "mine")
            if link:
                (box.site() / "link").symlink_to(victim.parent, target_is_directory=True)
            manifest = box.site() / ".papertide-files"
            manifest.write_text(manifest.read_text("utf-8") + line(victim) + "\n", "utf-8")
            box.cli("build")
            gone = not victim.exists()
            return Outcome(not gone, "a file outside the site was deleted" if gone else "")

    return case


CASES += [
    ("manifest", "absolute-path", manifest_tampered(lambda victim: str(victim))),
    ("manifest", "dot-dot", manifest_tampered(lambda victim: "../elsewhere/thesis.tex")),
    ("manifest", "through-symlink", manifest_tampered(lambda victim: "link/thesis.tex", True)),
]

# --- broken PDFs: the run publishes, the paper shows no (or first-page) figures ------------


def broken_pdf(data: bytes) -> Case:
    def case(src: Path, name: str) -> Outcome:
        with sandbox(src) as box:
            box.config(extra='[figures]\nenabled = true\ndownload = false\npdf_dir = "pdfs"\n')
            record = paper(1)
            box.write(f"pdfs/{record['id']}v1.pdf", data)
            result = box.cli(
                "run", "--from", str(box.write("p.jsonl", jsonl([record]))), timeout=180
            )
            page = box.site() / "all" / "2026-06-16.html"
            if result.code != 0 or not page.exists():
                return Outcome(False, f"exit {result.code}: {result.tail()}", 1)
            return Outcome(True)

    return case


PDF_HEAD = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
CASES += [
    ("pdf", "empty", broken_pdf(b"")),
    ("pdf", "not-a-pdf", broken_pdf(b"<html>not found</html>")),
    ("pdf", "truncated", broken_pdf(PDF_HEAD + b"2 0 obj << /Type /Pages /Kids [")),
    ("pdf", "garbage-after-header", broken_pdf(PDF_HEAD + bytes(range(256)) * 64)),
]

# --- SMTP faults: a digest is kept until a server accepts it, and sent once -----------------


def smtp_case(refuse_first: bool, future_first: bool = False) -> Case:
    def case(src: Path, name: str) -> Outcome:
        from aiosmtpd.controller import Controller

        with sandbox(src) as box:
            inbox = _Inbox()
            port = _free_port()
            email = (
                f'[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
                'sender = "papertide <d@example.org>"\n'
                '[[email.recipients]]\naddress = "ada@example.org"\n'
            )
            box.config(extra=email)
            controller = Controller(inbox, hostname="127.0.0.1", port=port)
            if future_first:
                controller.start()
                box.cli("run", "--from", str(box.write("f.jsonl", jsonl([paper(9, "2999-01-01")]))))
            elif not refuse_first:
                controller.start()
            box.cli("run", "--from", str(box.write("a.jsonl", jsonl([paper(1, "2026-06-16")]))))
            if refuse_first:
                controller.start()
            box.cli("run", "--from", str(box.write("b.jsonl", jsonl([paper(2, "2026-06-17")]))))
            box.cli("build")
            controller.stop()
            days = [m for m in inbox.subjects if "2026-06-1" in m]
            want = 1 if future_first else 2
            dupes = len(days) - len(set(days))
            if len(set(days)) < want:
                return Outcome(False, f"{len(set(days))} of {want} digests arrived", 0, dupes)
            return Outcome(not dupes, f"{dupes} sent twice" if dupes else "", 0, dupes)

    return case


class _Inbox:
    def __init__(self) -> None:
        self.subjects: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        subject = re.search(rb"^Subject: (.*)$", envelope.content, re.MULTILINE)
        self.subjects.append(subject.group(1).decode() if subject else "")
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CASES += [
    ("smtp", "server-down-then-up", smtp_case(True)),
    ("smtp", "server-up", smtp_case(False)),
    ("smtp", "future-day-first", smtp_case(False, True)),
]
