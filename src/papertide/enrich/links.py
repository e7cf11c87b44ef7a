"""Links a reader wants for a paper: arXiv pages, code repositories and project pages
named in its abstract and comment. Pure text processing: no network."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from papertide.records import Paper

# Hosts written without a scheme that are still clearly links ("Code: github.com/a/b").
_BARE_HOST = (
    r"(?:www\.|[\w-]+\.github\.io\b|(?:github\.com|gitlab\.com|gitee\.com|codeberg\.org"
    r"|bitbucket\.org|huggingface\.co|hf\.co)/)"
)
# A URL ends at whitespace, LaTeX/Markdown brackets, quotes or any non-ASCII character.
# (Not compiled with re.I: then "s" and "k" would match the non-ASCII range via "ſ" and "K".)
URL_RE = re.compile(
    rf"(?i:https?://|(?<![\w.@/-]){_BARE_HOST})[^\s<>\"'`{{}}\[\]\\|^\u0080-\uffff]*"
)
_TRAILING = ".,;:!?*~"
# Repairs for URLs that arXiv's text broke apart: "https: //", "github. com", "github.com/ x".
_BROKEN_SCHEME = re.compile(r"\b(https?):\s*/\s*/\s*", re.I)
_BROKEN_HOST = re.compile(
    r"\b(github|gitlab|huggingface|gitee|codeberg)\s*\.\s*(com|co|org)\b", re.I
)
_BROKEN_SLASH = re.compile(
    r"\b((?:github\.com|gitlab\.com|huggingface\.co|gitee\.com|codeberg\.org)/)\s+(?=[\w.-]+/)",
    re.I,
)
_SPLIT_REPO = re.compile(r"\s+([\w.-]*\w)")

_CONTEXT = 100  # characters before a link that say what it is
_VENUE_CONTEXT = re.compile(
    r"\b(?:accepted|acceted|published|proceedings|conference|convention|journal|workshop"
    r"|symposium|newsletter|article|venue|poster\s+at)\b",
    re.I,
)
_PROJECT_CONTEXT = re.compile(
    r"\b(?:project|page|code|website|webpage|demo|github|data(?:set)?|repo(?:sitory)?|video"
    r"|model|benchmark|homepage|simulator|tool|software|implementation|source|package|library)\b",
    re.I,
)
_CODE_HOSTS = {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "gitee.com"}
_NOT_REPO_OWNERS = {
    "about", "apps", "collections", "customer-stories", "enterprise", "explore", "features",
    "groups", "help", "join", "login", "marketplace", "orgs", "pricing", "search", "security",
    "settings", "site", "sponsors", "topics", "trending", "users",
}  # fmt: skip
_HF_KINDS = {"datasets", "spaces"}
_HF_NOT_REPOS = {
    "blog", "chat", "collections", "docs", "join", "learn", "login", "models", "new",
    "organizations", "papers", "posts", "pricing", "search", "settings", "tasks",
}  # fmt: skip
# Links about the publication rather than the project: the paper itself, its DOI, licences,
# reviews and proceedings.
_NOT_PROJECT_HOSTS = {
    "aclanthology.org", "alphaxiv.org", "arxiv.org", "creativecommons.org", "dl.acm.org",
    "doi.org", "dx.doi.org", "iclr.cc", "icml.cc", "ieeexplore.ieee.org", "link.springer.com",
    "neurips.cc", "openaccess.thecvf.com", "openreview.net", "papers.cool", "papers.nips.cc",
    "proceedings.mlr.press", "proceedings.neurips.cc", "scholar.google.com",
    "semanticscholar.org", "sciencedirect.com", "web.archive.org",
}  # fmt: skip


def find_urls(paper: Paper) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The code repositories and project pages named in ``paper``, in order of appearance.

    The comment is read before the abstract: it is where authors put their deliberate
    "Code: ..." lines, while abstracts sometimes cite other people's repositories.
    """
    code: list[str] = []
    projects: list[str] = []
    for text in (paper.comment or "", paper.abstract):
        for url, before in _urls_in(text):
            repo = _code_repo(url)
            if repo is not None:
                code.append(repo)
            elif _is_project_page(url) and not _points_at_venue(before):
                projects.append(url)
    return _dedupe(code), _dedupe(projects)


def _urls_in(text: str) -> list[tuple[str, str]]:
    """The URLs in ``text`` in order, repaired, with a scheme and no trailing punctuation.

    Each comes with the words just before it (since the previous URL), which say what it is.
    """
    text = _BROKEN_SCHEME.sub(r"\1://", text)
    text = _BROKEN_HOST.sub(r"\1.\2", text)
    text = _BROKEN_SLASH.sub(r"\1", text)
    urls = []
    previous_end = 0
    for m in URL_RE.finditer(text):
        before = text[max(previous_end, m.start() - _CONTEXT) : m.start()]
        previous_end = m.end()
        url = _strip_trailing(m.group(0))
        # "github.com/owner/ repo": a line break after the owner; rejoin when it is obvious.
        if url.endswith("/") and _code_repo(url) is None and _owner_only(url):
            rest = _SPLIT_REPO.match(text, m.end())
            if rest:
                url = _strip_trailing(url + rest.group(1))
        if "://" not in url:
            url = "https://" + url
        if urlsplit(url).hostname:
            urls.append((url, before))
    return urls


def _points_at_venue(before: str) -> bool:
    """True for a link introduced as the venue's ("accepted at <url>", "Journal of X (J) <url>")."""
    sentence = re.split(r"[.;]\s", before)[-1]
    return bool(_VENUE_CONTEXT.search(sentence)) and not _PROJECT_CONTEXT.search(sentence)


def _strip_trailing(url: str) -> str:
    while url:
        unbalanced = url[-1] == ")" and url.count("(") < url.count(")")
        if url[-1] in _TRAILING or unbalanced or url.endswith("/#"):
            url = url[:-1]
        else:
            break
    return url


def _host_and_parts(url: str) -> tuple[str, list[str]]:
    if "://" not in url:
        url = "https://" + url
    split = urlsplit(url)
    host = (split.hostname or "").lower().removeprefix("www.")
    return host, [p for p in split.path.split("/") if p]


def _owner_only(url: str) -> bool:
    host, parts = _host_and_parts(url)
    return host in _CODE_HOSTS | {"huggingface.co", "hf.co"} and len(parts) == 1


def _code_repo(url: str) -> str | None:
    """The repository root ``url`` points into, or None when it is not a code repository."""
    host, parts = _host_and_parts(url)
    if host == "hf.co":
        host = "huggingface.co"
    if host == "raw.githubusercontent.com":
        host = "github.com"
    if host == "gist.github.com" and len(parts) >= 2:
        return f"https://gist.github.com/{parts[0]}/{parts[1]}"
    if host == "huggingface.co":
        if parts and parts[0] in _HF_KINDS:
            kind, parts = parts[0] + "/", parts[1:]
        elif parts and parts[0] in _HF_NOT_REPOS:
            return None
        else:
            kind = ""
        return f"https://huggingface.co/{kind}{parts[0]}/{parts[1]}" if len(parts) >= 2 else None
    if host not in _CODE_HOSTS or len(parts) < 2 or parts[0].lower() in _NOT_REPO_OWNERS:
        return None
    if host == "gitlab.com":  # nested groups: everything before "/-/" (or "/tree/", "/blob/")
        path = []
        for part in parts:
            if part in ("-", "tree", "blob"):
                break
            path.append(part)
        parts = path if len(path) >= 2 else parts[:2]
    else:
        parts = parts[:2]
    parts[-1] = parts[-1].removesuffix(".git")
    return f"https://{host}/" + "/".join(parts)


def _is_project_page(url: str) -> bool:
    host, parts = _host_and_parts(url)
    if not host or "." not in host:
        return False
    if any(host == h or host.endswith("." + h) for h in _NOT_PROJECT_HOSTS):
        return False
    if url.lower().endswith(".pdf"):
        return False
    if host in _CODE_HOSTS or host in ("gist.github.com", "raw.githubusercontent.com"):
        return False  # a profile or site page of a code host, not a project
    if host in ("huggingface.co", "hf.co"):
        return len(parts) >= 3 and parts[0] == "collections"
    return True


def _dedupe(urls: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept = []
    for url in urls:
        key = url.lower().rstrip("/")
        if key not in seen:
            seen.add(key)
            kept.append(url)
    return tuple(kept)
