"""arXiv faults: an OAI-PMH backfill whose second page is faulted (once, or until a healthy
rerun), the daily RSS listing, a gap repair that fails, and the exit code, run record and
message of each."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from replay import ReplayServer, Reply

from faults.common import FEED, Case, replay, sandbox
from faults.sandbox import FIXTURES, Outcome, Sandbox

CASES: list[tuple[str, str, Case]] = []


# --- arXiv: an OAI-PMH backfill of three pages, the second one faulted ----------------------

OAI_QUERY = {
    "verb": "ListRecords",
    "metadataPrefix": "arXivRaw",
    "set": "cs",
    "from": "2026-06-15",
    "until": "2026-06-18",
}
PAGES = {n: (FIXTURES / "live" / f"oai_page{n}.xml").read_bytes() for n in (1, 2, 3)}
WANTED = ("cs.CV", "cs.AI", "cs.LG")


def listed(*pages: bytes) -> set[str]:
    """The ids of the configured categories that the OAI pages hold."""
    found = set()
    for page in pages:
        for record in re.findall(rb"<arXivRaw.*?</arXivRaw>", page, re.DOTALL):
            cats = re.search(rb"<categories>(.*?)</categories>", record)
            if cats and set(cats.group(1).decode().split()) & set(WANTED):
                found.add(re.search(rb"<id>(.*?)</id>", record).group(1).decode())  # type: ignore[union-attr]
    return found


def without_records(page: bytes, token: bytes = b"") -> bytes:
    empty = re.sub(rb"<record>.*?</record>\s*", b"", page, flags=re.DOTALL)
    return re.sub(rb"<resumptionToken[^>]*(?:/>|>[^<]*</resumptionToken>)", token, empty)


def serve_list(server: ReplayServer) -> None:
    server.add("/oai", Reply(PAGES[1]), **OAI_QUERY)
    server.add("/oai", Reply(PAGES[2]), verb="ListRecords", resumptionToken="tok-1")
    server.add("/oai", Reply(PAGES[3]), verb="ListRecords", resumptionToken="tok-2")


def oai_case(
    faults: list[Reply], persistent: bool, timeout: float = 2.0, bound: float = 30.0
) -> Case:
    def case(src: Path, name: str) -> Outcome:
        expected = listed(*PAGES.values())
        with sandbox(src) as box, replay() as server:
            route = server.add(
                "/oai", *faults, repeat=persistent, verb="ListRecords", resumptionToken="tok-1"
            )
            serve_list(server)
            box.config(server.url)
            window = {"since": "2026-06-15", "until": "2026-06-18"}
            started = time.monotonic()
            first = box.drive(timeout, 4.0, bound, **window)
            seconds = time.monotonic() - started
            if not isinstance(first, dict):
                return Outcome(False, f"the run died: {first.tail()}", len(expected))
            if seconds > bound / 2:
                return Outcome(False, f"took {seconds:.0f} s", 0)
            missing = expected - box.stored()
            told = first.get("error") or first.get("unreachable")
            if persistent:
                if missing and not told:
                    return _rerun_loss(box, server, route, expected, "silent loss: run said ok")
                return _rerun_loss(box, server, route, expected, "")
            return Outcome(
                not missing, f"{len(missing)} papers missing" if missing else "", len(missing)
            )

    return case


def _rerun_loss(
    box: Sandbox, server: ReplayServer, route: Any, expected: set[str], why: str
) -> Outcome:
    route.repeat = False
    serve_list(server)
    again = box.drive(2.0, 4.0, 30.0, since="2026-06-15", until="2026-06-18")
    missing = expected - box.stored()
    if not isinstance(again, dict):
        return Outcome(False, f"the rerun died: {again.tail()}", len(missing))
    if missing:
        return Outcome(False, why or f"the rerun left {len(missing)} missing", len(missing))
    return Outcome(not why, why)


def _oai_cases() -> None:
    html = Reply(b"<!DOCTYPE html><html><body>Down for maintenance</body></html>")
    empty = Reply(without_records(PAGES[2]))
    empty_token = Reply(
        without_records(
            PAGES[2], b'<resumptionToken cursor="2" completeListSize="5">tok-2</resumptionToken>'
        )
    )
    transient = {
        "503-once": [Reply(b"", 503)],
        "429-retry-after": [Reply(b"", 429, {"Retry-After": "0"})],
        "500-twice": [Reply(b"", 500), Reply(b"", 500)],
        "drop-once": [Reply(drop=True)],
        "truncated-once": [Reply(PAGES[2], truncate=len(PAGES[2]) // 2)],
        "html-once": [html],
        "garbage-once": [Reply(bytes(range(256)) * 4)],
        "empty-page-once": [empty],
        "empty-page-token-once": [empty_token],
        "hang-once": [Reply(PAGES[2], hang=6.0)],
    }
    for name, faults in transient.items():
        CASES.append(("arxiv-oai", name, oai_case([*faults, Reply(PAGES[2])], False)))
    persistent = {
        "503-always": Reply(b"", 503),
        "html-always": html,
        "empty-page-always": empty,
        "empty-page-token-always": empty_token,
        "hang-always": Reply(PAGES[2], hang=6.0),
        "drip-always": Reply(PAGES[2] * 4, drip=0.05),
    }
    for name, fault in persistent.items():
        CASES.append(("arxiv-oai", name, oai_case([fault], True, timeout=1.0)))


_oai_cases()

# --- arXiv: the daily RSS listing, and a gap repair that fails ----------------------------

FEED_IDS = {m.decode() for m in re.findall(rb"oai:arXiv.org:([\d.]+)v\d", FEED)}
RSS_PATH = "/rss/cs.CV+cs.AI+cs.LG"
TUESDAY = "2026-06-16T17:00:00+00:00"


def rss_case(fault: Reply, persistent: bool) -> Case:
    def case(src: Path, name: str) -> Outcome:
        with sandbox(src) as box, replay() as server:
            route = server.add(RSS_PATH, fault, repeat=persistent)
            server.add(RSS_PATH, Reply(FEED))
            box.config(server.url)
            first = box.drive(1.0, 4.0, 30.0, now=TUESDAY)
            if not isinstance(first, dict):
                return Outcome(False, f"the run died: {first.tail()}", len(FEED_IDS))
            if persistent:
                if not (first.get("unreachable") or first.get("error")):
                    return Outcome(False, "a persistent fault was not reported")
                route.repeat = False
                server.add(RSS_PATH, Reply(FEED))
                box.drive(1.0, 4.0, 30.0, now=TUESDAY)
            missing = FEED_IDS - box.stored()
            return Outcome(not missing, f"{len(missing)} missing" if missing else "", len(missing))

    return case


def gap_repair_fails(src: Path, name: str) -> Outcome:
    """Friday's listing after a run on Tuesday: the missed days are repaired through OAI-PMH,
    which stays down. Friday's listing must be stored all the same, and the repair said failed."""
    friday = FEED.replace(b"16 Jun 2026", b"19 Jun 2026")
    friday = re.sub(rb"2606\.(\d{5})", lambda m: b"2606.9" + m.group(1)[1:], friday)
    friday_ids = {m.decode() for m in re.findall(rb"oai:arXiv.org:([\d.]+)v\d", friday)}
    with sandbox(src) as box, replay() as server:
        server.add(RSS_PATH, Reply(FEED))
        server.add(RSS_PATH, Reply(friday))
        server.add("/oai", Reply(b"", 503), repeat=True)
        box.config(server.url)
        box.drive(1.0, 2.0, 30.0, now=TUESDAY)
        second = box.drive(1.0, 2.0, 30.0, now="2026-06-19T17:00:00+00:00")
        if not isinstance(second, dict):
            return Outcome(False, f"the run died: {second.tail()}", len(friday_ids))
        missing = friday_ids - box.stored()
        said = " ".join([second.get("line") or "", *second.get("warnings", [])])
        if missing:
            return Outcome(
                False, f"the listing was thrown away ({len(missing)} lost)", len(missing)
            )
        if "repaired through OAI-PMH" in said and "fail" not in said:
            return Outcome(False, "said 'repaired' though the repair failed")
        return Outcome(True)


CASES += [
    ("arxiv-rss", "503-once", rss_case(Reply(b"", 503), False)),
    ("arxiv-rss", "drop-once", rss_case(Reply(drop=True), False)),
    ("arxiv-rss", "truncated-once", rss_case(Reply(FEED, truncate=len(FEED) // 3), False)),
    ("arxiv-rss", "hang-once", rss_case(Reply(FEED, hang=4.0), False)),
    ("arxiv-rss", "503-always", rss_case(Reply(b"", 503), True)),
    ("arxiv-rss", "html-always", rss_case(Reply(b"<html><body>maintenance</body></html>"), True)),
    ("arxiv-rss", "gap-repair-fails", gap_repair_fails),
]

# --- exit codes, run records and messages agree -----------------------------------------


def persistent_rss(fault: Reply) -> Case:
    def case(src: Path, name: str) -> Outcome:
        with sandbox(src) as box, replay() as server:
            server.add(RSS_PATH, fault, repeat=True)
            box.config(server.url, arxiv="max_wait = 1")
            result = box.cli("run", timeout=60)
            index = box.site() / "index.html"
            states = box.run_states() if (box.folder / "store.db").exists() else []
            wrong = []
            if result.code != 3:
                wrong.append(f"exit {result.code}, not 3")
            if not index.exists():
                wrong.append("no site built")
            if states and states[-1] == "ok":
                wrong.append("recorded 'ok'")
            return Outcome(not wrong, ", ".join(wrong))

    return case


def fetch_builds_nothing(src: Path, name: str) -> Outcome:
    with sandbox(src) as box, replay() as server:
        server.add("/oai", Reply(b"", 503), repeat=True)
        box.config(server.url, arxiv="max_wait = 1")
        window = ("--since", "2026-06-15", "--until", "2026-06-18")
        result = box.cli("backfill", *window, timeout=60)
        if result.code == 2:  # a papertide before `backfill` was named so
            result = box.cli("fetch", *window, timeout=60)
        claims = "site was built" in result.out + result.err and not box.site().exists()
        if result.code != 3:
            return Outcome(False, f"exit {result.code}, not 3")
        return Outcome(
            not claims, "says the site was built though it built nothing" if claims else ""
        )


CASES += [
    (
        "exit-codes",
        "html-maintenance-always",
        persistent_rss(Reply(b"<!DOCTYPE html><html>maintenance</html>")),
    ),
    ("exit-codes", "503-always", persistent_rss(Reply(b"", 503))),
    ("exit-codes", "fetch-when-arxiv-is-down", fetch_builds_nothing),
]
