"""Broken input files and config mistakes: each refused in one line, or read correctly."""

from __future__ import annotations

from pathlib import Path

from faults.common import FEED, GOOD, KEY, Case, sandbox
from faults.sandbox import FIXTURES, Outcome, jsonl, paper

CASES: list[tuple[str, str, Case]] = []


# --- broken input files: refused in one line, the store untouched; or read correctly --------

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
    b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><rss><channel>&lol2;</channel></rss>'
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<rss><channel><title>&x;</title></channel></rss>"
)
BROKEN: dict[str, bytes] = {
    "truncated-rss": FEED[: len(FEED) // 2],
    "html-page": b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
    "binary": bytes(range(256)) * 16,
    "empty": b"",
    "whitespace": b"   \n\n  ",
    "latin1-jsonl": jsonl([paper(1, title="Caf\u00e9")]).encode("latin-1"),
    "invalid-json": b'{"id": "2606.20001", "title": "x"\n',
    "array-line": b"[1, 2, 3]\n",
    "missing-id": b'{"title": "no id"}\n',
    "bad-id": jsonl([paper(1, id="not-an-id")]).encode(),
    "title-number": b'{"id": "2606.20001", "title": 42}\n',
    "nan-title": b'{"id": "2606.20001", "title": NaN}\n',
    "version-overflow": jsonl([paper(1, id="2606.20001v99999999999999999999")]).encode(),
    "versions-overflow": jsonl(
        [
            paper(
                1,
                versions=[
                    {"version": "v99999999999999999999", "created": "Mon, 15 Jun 2026 10:00:00 GMT"}
                ],
            )
        ]
    ).encode(),
    "deep-json": b'{"id": "2606.20001", "title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
    "long-line": b'{"id": "2606.20001", "title": "' + b"y" * 3_000_000 + b'"}\n',
    "huge-abstract": jsonl([paper(1, summary="z " * 40_000)]).encode(),
    "many-authors": jsonl([paper(1, authors=["A. B."] * 20_000)]).encode(),
    "future-announced": jsonl([paper(1, announced="2999-01-01")]).encode(),
    "future-rss-date": FEED.replace(b"Jun 2026", b"Jun 2999"),
    "bad-date": jsonl([paper(1, announced="16/06/2026")]).encode(),
    "billion-laughs": LAUGHS,
    "external-entity": XXE,
    "rss-error-feed": (FIXTURES / "fetch" / "rss_error.xml").read_bytes(),
    "oai-error": (FIXTURES / "fetch" / "oai_error.xml").read_bytes(),
    "api-error-feed": (FIXTURES / "fetch" / "api_error.xml").read_bytes(),
}
READABLE: dict[str, bytes] = {
    "bom-jsonl": b"\xef\xbb\xbf" + jsonl([paper(1)]).encode(),
    "crlf-jsonl": jsonl([paper(1)]).replace("\n", "\r\n").encode(),
    "bom-rss": b"\xef\xbb\xbf" + FEED,
    "surrogate-title": b'{"id": "2606.20001", "title": "Splat \\ud800 ok", "summary": "x"}\n',
}


def broken_file(data: bytes) -> Case:
    def case(src: Path, name: str) -> Outcome:
        with sandbox(src) as box:
            box.config()
            box.cli("import", str(box.write("good.jsonl", GOOD)))
            result = box.cli("import", str(box.write(f"{name}.dat", data)))
            problem = result.one_line_error()
            changed = box.stored() != {paper(0)["id"]}
            if problem:
                return Outcome(False, problem)
            return Outcome(not changed, "the store changed" if changed else "")

    return case


def readable_file(data: bytes) -> Case:
    def case(src: Path, name: str) -> Outcome:
        with sandbox(src) as box:
            box.config()
            result = box.cli("import", str(box.write(f"{name}.dat", data)))
            if result.code != 0 or "Traceback" in result.err:
                return Outcome(False, f"not read: {result.tail()}", 1)
            return Outcome(bool(box.stored()), "" if box.stored() else "nothing stored", 0)

    return case


def special_paths(src: Path, name: str) -> Outcome:
    with sandbox(src) as box:
        box.config()
        results = [
            box.cli("import", str(box.folder)),
            box.cli("import", str(box.folder / "no.xml")),
        ]
        problems = [p for p in (r.one_line_error() for r in results) if p]
        return Outcome(not problems, "; ".join(problems))


def piped(path: str) -> Case:
    def case(src: Path, name: str) -> Outcome:
        with sandbox(src) as box:
            box.config()
            result = box.cli("import", path, stdin=jsonl([paper(1), paper(2)]).encode())
            lost = 2 - len(box.stored())
            if result.code != 0:
                return Outcome(False, f"exit {result.code}: {result.tail()}", lost)
            return Outcome(lost == 0, f"{lost} lost" if lost else "", lost)

    return case


CASES += [("input", name, broken_file(data)) for name, data in BROKEN.items()]
CASES += [("input", name, readable_file(data)) for name, data in READABLE.items()]
CASES += [
    ("input", "directory-and-missing", special_paths),
    ("input", "stdin-dash", piped("-")),
    ("input", "dev-stdin", piped("/dev/stdin")),
]

# --- config mistakes: refused at load in one line naming the key --------------------------


def config_mistake(old: str, new: str, *command: str) -> Case:
    """``old`` in the sandbox's config replaced by ``new``; then ``command`` (default: build,
    or a run of one paper from a file)."""

    def case(src: Path, name: str) -> Outcome:
        with sandbox(src) as box:
            path = box.config()
            home = str(box.folder / "home")
            text = path.read_text("utf-8").replace(old, new.replace("{home}", home), 1)
            path.write_text(text, encoding="utf-8")
            box.write("p.jsonl", jsonl([paper(1)]))
            result = box.cli(*(command or ("build",)))
            # doctor reports one line per check; any other command fails in one line
            problem = result.one_line_error() if command != ("doctor",) else None
            if command == ("doctor",) and result.code != 1:
                problem = f"doctor exit {result.code}, expected 1"
            written = [p.name for p in (box.folder, box.folder / "home") for p in p.glob("*.html")]
            if KEY in result.out + result.err:
                return Outcome(False, "the key was printed")
            if written:
                return Outcome(False, f"wrote {written[0]} outside a folder of its own")
            return Outcome(not problem, problem or "")

    return case


EMAIL = (
    '[email]\nhost = "127.0.0.1"\nsender = "a <a@example.org>\\r\\nBcc: x@example.com"\n'
    '[[email.recipients]]\naddress = "a@example.org"\n[[topics]]'
)
RUN = ("run", "--from", "p.jsonl")
LLM_KEY = (
    '[llm]\nbackend = "openai"\nmodel = "m"\nbase_url = "http://127.0.0.1:9/v1"\n'
    f'api_key_env = "{KEY}"\n'
)
CASES += [
    (
        "config",
        "output-dir-config-folder",
        config_mistake("[site]\n", '[site]\noutput_dir = "."\n'),
    ),
    ("config", "output-dir-home", config_mistake("[site]\n", '[site]\noutput_dir = "{home}"\n')),
    ("config", "store-in-site", config_mistake('path = "store.db"', 'path = "site/store.db"')),
    ("config", "sender-crlf", config_mistake("[[topics]]", EMAIL, *RUN)),
    (
        "config",
        "query-3000-parentheses",
        config_mistake('query = "cat:cs"', 'query = "' + "(" * 3000 + "x" + ")" * 3000 + '"'),
    ),
    (
        "config",
        "query-3000-andnot",
        config_mistake('query = "cat:cs"', 'query = "x' + " ANDNOT y" * 3000 + '"'),
    ),
    (
        "config",
        "control-character-title",
        config_mistake("[site]\n", '[site]\ntitle = "a\\u009fb"\n'),
    ),
    ("config", "delay-below-3", config_mistake("[arxiv]\n", "[arxiv]\ndelay = 1\n")),
    ("config", "unknown-key", config_mistake("[arxiv]\n", "[arxiv]\ndealy = 3\n")),
    ("config", "key-as-variable-name", config_mistake('[llm]\nbackend = "none"\n', LLM_KEY, *RUN)),
    (
        "config",
        "key-as-variable-name-doctor",
        config_mistake('[llm]\nbackend = "none"\n', LLM_KEY, "doctor"),
    ),
]
