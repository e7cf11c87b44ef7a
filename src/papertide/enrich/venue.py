"""The publication venue stated in an arXiv comment ("Accepted by MICCAI2025" gives
"MICCAI 2025"), and the comment split so a template can mark it without building HTML."""

from __future__ import annotations

import re
from typing import NamedTuple

from papertide.enrich.links import URL_RE


class _Venue(NamedTuple):
    name: str
    start: int  # span of the comment that states the venue
    end: int


# (canonical name, alias pattern, needs a year when named outside an acceptance statement).
# Patterns are case-sensitive; (?i:...) marks the aliases that are safe in any case.
_KNOWN: tuple[tuple[str, str, bool], ...] = (
    ("CVPR", r"(?i:CVPR|Conference on Computer Vision and Pattern Recognition)", True),
    ("ICCV", r"(?i:ICCV|International Conference on Computer Vision)", True),
    ("ECCV", r"(?i:ECCV|European Conference on Computer Vision)", True),
    ("WACV", r"(?i:WACV|Winter Conference on Applications of Computer Vision)", True),
    ("BMVC", r"(?i:BMVC|British Machine Vision Conference)", True),
    ("ACCV", r"(?i:ACCV|Asian Conference on Computer Vision)", True),
    ("3DV", r"3DV", True),
    ("ICPR", r"(?i:ICPR|International Conference on Pattern Recognition)", True),
    ("ICIP", r"(?i:ICIP|International Conference on Image Processing)", True),
    ("ICME", r"(?i:ICME|International Conference on Multimedia and Expo)", True),
    ("ICASSP", r"(?i:ICASSP|Conference on Acoustics, Speech,? and Signal Processing)", True),
    ("Interspeech", r"(?i:Interspeech)", True),
    ("NeurIPS", r"(?i:NeurIPS|NIPS|Neural Information Processing Systems)", True),
    ("ICLR", r"(?i:ICLR|International Conference on Learning Representations)", True),
    ("ICML", r"(?i:ICML|International Conference on Machine Learning)", True),
    ("AAAI", r"(?i:AAAI)", True),
    ("IJCAI-ECAI", r"(?i:IJCAI[-\s]ECAI)", True),
    ("IJCAI", r"(?i:IJCAI)", True),
    ("UAI", r"UAI|(?i:Conference on Uncertainty in Artificial Intelligence)", True),
    ("AISTATS", r"(?i:AISTATS)", True),
    ("COLT", r"COLT|(?i:Conference on Learning Theory)", True),
    ("CoLLAs", r"(?i:CoLLAs)", True),
    ("COLM", r"COLM|(?i:Conference on Language Modeling)", True),
    ("RLC", r"RLC|(?i:Reinforcement Learning Conference)", True),
    ("TACL", r"TACL|(?i:Transactions of the Association for Computational Linguistics)", False),
    ("ACL", r"ACL|(?i:Association for Computational Linguistics)", True),
    ("EMNLP", r"(?i:EMNLP)", True),
    ("NAACL", r"(?i:NAACL)", True),
    ("EACL", r"(?i:EACL)", True),
    ("LREC-COLING", r"(?i:LREC[-\s]COLING)", True),
    ("LREC", r"(?i:LREC)", True),
    ("COLING", r"(?i:COLING)", True),
    ("CoNLL", r"(?i:CoNLL)", True),
    ("SIGDIAL", r"(?i:SIGDIAL)", True),
    ("IWSLT", r"(?i:IWSLT)", True),
    ("MICCAI", r"(?i:MICCAI|Medical Image Computing and Computer[-\s]Assisted Intervention)", True),
    ("MIDL", r"(?i:MIDL)", True),
    ("ISBI", r"(?i:ISBI)", True),
    ("IPMI", r"(?i:IPMI)", True),
    ("MIUA", r"(?i:MIUA)", True),
    ("KDD", r"(?:ACM\s+)?(?:SIG)?KDD|(?i:Knowledge Discovery and Data Mining)", True),
    ("WWW", r"WWW(?!\.)|(?:ACM|(?i:The))\s+Web\s+Conference", True),
    ("SIGIR", r"(?i:SIGIR)", True),
    ("CIKM", r"(?i:CIKM)", True),
    ("WSDM", r"(?i:WSDM)", True),
    ("RecSys", r"(?i:RecSys)", True),
    ("ECML PKDD", r"(?i:ECML[-\s_]*PKDD)", True),
    ("PAKDD", r"(?i:PAKDD)", True),
    ("ICDM", r"ICDM", True),
    ("ACM MM", r"ACM\s*MM|ACM\s+Multimedia|(?i:ACM International Conference on Multimedia)", True),
    ("SIGGRAPH Asia", r"(?i:SIGGRAPH\s+Asia)", True),
    ("SIGGRAPH", r"(?i:SIGGRAPH)", True),
    ("Eurographics", r"(?i:Eurographics)", True),
    ("EGSR", r"EGSR", True),
    ("I3D", r"I3D", True),
    ("IROS", r"(?i:IROS|International Conference on Intelligent Robots and Systems)", True),
    ("ICRA", r"(?i:ICRA|International Conference on Robotics and Automation(?!\s+in))", True),
    ("CoRL", r"(?i:CoRL|Conference on Robot Learning)", True),
    ("RSS", r"RSS|(?i:Robotics:\s*Science and Systems)", True),
    ("HRI", r"HRI|(?i:International Conference on Human-Robot Interaction)", True),
    ("CHI", r"CHI", True),
    ("UIST", r"UIST", True),
    ("CSCW", r"CSCW", True),
    ("ICDAR", r"(?i:ICDAR|International Conference on Document Analysis and Recognition)", True),
    ("IGARSS", r"(?i:IGARSS|Geoscience and Remote Sensing Symposium)", True),
    ("EC", r"EC|(?i:ACM Conference on Economics and Computation)", True),
    ("AAMAS", r"(?i:AAMAS)", True),
    ("KR", r"KR", True),
    ("ICAIL", r"(?i:ICAIL)", True),
    ("CogSci", r"(?i:CogSci)", True),
    ("ICANN", r"(?i:ICANN|International Conference on Artificial Neural Networks)", True),
    ("ICONIP", r"(?i:ICONIP)", True),
    ("ITSC", r"ITSC|(?i:Intelligent Transportation Systems Conference)", True),
    ("EMBC", r"EMBC", True),
    ("EUSIPCO", r"(?i:EUSIPCO)", True),
    ("IEEE TPAMI", r"(?:IEEE\s+)?T-?PAMI|(?i:Transactions on Pattern Analysis and Machine)", False),
    ("IJCV", r"IJCV|(?i:International Journal of Computer Vision)", False),
    ("IEEE TIP", r"(?:IEEE\s+)?TIP|(?i:(?:IEEE\s+)?Transactions on Image Processing)", False),
    ("IEEE TMM", r"(?:IEEE\s+)?TMM|(?i:(?:IEEE\s+)?Transactions on Multimedia)", False),
    ("IEEE TCSVT", r"(?:IEEE\s+)?TCSVT", False),
    ("IEEE TVCG", r"(?:IEEE\s+)?TVCG", False),
    ("IEEE TNNLS", r"(?:IEEE\s+)?TNNLS", False),
    ("IEEE RA-L", r"(?:IEEE\s+)?RA-?L|(?i:(?:IEEE\s+)?Robotics and Automation Letters)", False),
    ("TMLR", r"TMLR|(?i:Transactions on Machine Learning Research)", False),
    ("JMLR", r"JMLR|(?i:Journal of Machine Learning Research)", False),
    ("ACM TOG", r"(?:ACM\s+)?TOG|(?i:ACM Transactions on Graphics)", False),
)  # fmt: skip

# A year right after a venue: "2026", "2026", "-2026", "'26", "26", "~2026", "07/2025".
_YEAR = (
    r"(?:\s*[-'’_~]?\s*)(?:(?P<mon>0?[1-9]|1[0-2])/)?(?P<year>(?:19|20)\d{2}|\d{2})(?!\d)"
    r"(?!\s*(?:pages?|figures?|tables?|pp)\b)"
)
# A known venue, "W" for "CVPRW"-style workshops, then perhaps a year.
_KNOWN_RE = tuple(
    (name, re.compile(rf"(?<![A-Za-z0-9])(?:{alias})(?P<w>[Ww](?![A-Za-z]))?(?:{_YEAR})?(?!\w)"), y)
    for name, alias, y in _KNOWN
)
_ANY_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
# What may not stand between a venue's name and its year: another clause or another venue.
_YEAR_GAP_BREAK = re.compile(
    r"[;:]|,(?!\s*(?:19|20)\d{2})|\s[-–]+\s|https?://|\b(?:co-?located|colocated|with|and|at)\b",
    re.I,
)

# "accepted" and its misspellings seen on arXiv: "Acceted", "Aceepted", "Acccepted", "Accpeted".
_ACCEPT = r"(?:early\s+|provisionally\s+)?(?:a+c{1,3}e{1,2}p?t?e?d|accpeted|accept)"
_TRIGGER_RE = re.compile(
    rf"\b(?:{_ACCEPT}|(?:to\s+be\s+)?published|publish|(?:to\s+)?appear(?:s|ed)?|forthcoming"
    r"|(?:to\s+be\s+)?presented|present|camera[\s-]*ready|final\s+version|proceedings"
    r"|oral|spotlight)\b"
    r"(?:[\s,]+(?:and|as|an?|for|publication|presentation|oral|poster|spotlight|highlight"
    r"|paper|version|manuscript|contribution|main|conference|track|the|full|short|long"
    r"|presented|published))*?"
    r"[\s,:]+(?:by|to|at|in|into|for|on|of|@)\s*",
    re.I,
)
_ACCEPT_WORD = re.compile(rf"\b{_ACCEPT}\b", re.I)
_NEGATIVE = re.compile(
    r"\b(?:submitted|submission|submitting|under\s+(?:review|submission)|in\s+review"
    r"|for\s+review|review\s+(?:at|for|in)|rejected|format|style|template|challenge"
    r"|competition|in\s+preparation|preparing)\b",
    re.I,
)
_WORKSHOP = re.compile(r"\b(?:workshops?|satellite)\b", re.I)
_FINDINGS = re.compile(r"\bfindings\b", re.I)
# "(ICME)", "(ACM BCB 2026)", "(RA-L)", "(IEEE CoG) 2026"; the first word must look like an
# acronym so "(Oral)" or "(Early Accept)" are not taken for venues.
_PAREN_ACRONYM = re.compile(
    r"\((?P<acr>(?:[A-Za-z][A-Za-z0-9&+/-]*\s+)?[A-Za-z0-9&+/-]*[A-Z][a-z0-9&+/-]*[A-Z]"
    r"[A-Za-z0-9&+/-]*)\s*(?:[-'’]?\s*(?P<year>(?:19|20)\d{2}|\d{2}))?\s*\)"
    r"(?:,?\s*(?P<after>(?:19|20)\d{2}))?"
)
_BARE_ACRONYM = re.compile(
    r"^(?:the\s+)?(?P<acr>[A-Z][A-Za-z0-9&]*[A-Z][A-Za-z0-9&-]*?)\s*[-'’]?\s*"
    r"(?P<year>(?:19|20)\d{2})(?:\s+(?i:conference|workshop|main(?:\s+track)?))?$"
)
_VENUE_WORD = re.compile(
    r"\b(?:conference|symposium|workshop|congress|journal|transactions|proceedings|letters)\b"
    r"|\bconf\.",
    re.I,
)
_LEADING_JUNK = re.compile(
    r"(?:(?:the|an?|publication|presentation|proceedings|in|at|to|by|for|of|on|as)\b"
    r"|(?:\d+(?:st|nd|rd|th)|[IVXLC]+th|(?:\w+-)?(?:first|second|third|fourth|fifth|sixth"
    r"|seventh|eighth|ninth|tenth|eleventh|twelfth|\w+teenth|\w+tieth))\b|[\s\"'/])\s*",
    re.I,
)
_NAME_END = re.compile(
    r",|;|:|\s[-–]+\s|\(|\[|\"|https?://|\s(?:co-?located|colocated|held|which|where|scheduled"
    r"|in\s+conjunction|as\s+(?:an?\s+)?(?:oral|poster|spotlight|part)|edited|and\s+the|and\s+is"
    r"|this|not\s+the|during|(?:on|in)\s+(?:\d{1,2}\s|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov"
    r"|dec)[a-z]*\b))\b",
    re.I,
)
_GENERIC_WORDS = {
    "a", "an", "the", "acm", "ieee", "journal", "journals", "conference", "workshop",
    "workshops", "symposium", "proceedings", "transactions", "international", "paper",
    "papers", "main", "track", "poster", "relevant", "peer-reviewed", "venue", "springer",
    "elsevier", "arxiv", "publication", "of", "on", "and", "in", "for", "version",
}  # fmt: skip
_SENTENCE_ABBREVIATIONS = {
    "proc", "conf", "int", "intl", "j", "trans", "phys", "chem", "lett", "rev", "sci", "vol",
    "no", "pp", "eng", "comput", "res", "syst", "appl", "inf", "soc", "assoc", "nat", "am",
    "eur", "adv", "vs", "al", "e.g", "i.e", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "st", "dr",
}  # fmt: skip
# "presented in Table 3" names a part of the paper, not where it appeared.
_NOT_A_VENUE = re.compile(
    r"(?i)(?:table|tab\.|figure|fig\.|section|sec\.|appendix|eq\.|equation|supplementary|this|our)\b"
)
_MAX_NAME = 80


def find_venue(comment: str | None) -> str | None:
    """The publication venue an arXiv comment states, as a short name, or None.

    "Accepted by MICCAI2025" gives "MICCAI 2025"; "Accepted to CVPR 2025 (Highlight)" gives
    "CVPR 2025"; "TMLR 07/2025" stays; "Submitted to ..." or "Under review" give None.
    """
    found = _locate_venue(comment or "")
    return found.name if found else None


def highlight_venue(comment: str, venue: str | None) -> list[tuple[str, bool]]:
    """Split ``comment`` into ``(text, is_venue)`` segments; joined they give the comment.

    The venue statement ("Accepted by MICCAI2025") is the one segment marked True, so a
    template can escape each segment and wrap that one in ``<mark>``.
    """
    if not comment:
        return []
    span: tuple[int, int] | None = None
    if venue:
        found = _locate_venue(comment)
        if found and found.name == venue:
            span = (found.start, found.end)
        else:
            i = comment.lower().find(venue.lower())
            if i >= 0:
                span = (i, i + len(venue))
    if span is None:
        return [(comment, False)]
    start, end = span
    parts = [(comment[:start], False), (comment[start:end], True), (comment[end:], False)]
    return [p for p in parts if p[0]]


def _locate_venue(comment: str) -> _Venue | None:
    """The venue a comment states, with the span of the comment that states it."""
    # Blank out links (keeping offsets) so "accepted-papers" or "/2026:" inside a URL says nothing.
    comment = URL_RE.sub(lambda m: " " * len(m.group(0)), comment)
    sentences = list(_sentences(comment))
    for start, end in sentences:  # an explicit "Accepted to X" / "Published in X" wins
        found = _from_statement(comment, start, end)
        if found:
            return _widen(comment, found, end)
    for start, end in sentences:
        found = _from_mention(comment, start, end)
        if found:
            return _widen(comment, found, end)
    return None


def _widen(comment: str, found: _Venue, end: int) -> _Venue:
    """Stretch the span over a qualifier named after it and an unclosed parenthesis.

    "Accepted to CVPR 2026 FGVC Workshop" is marked whole, not just "Accepted to CVPR 2026".
    """
    stop = end
    gap_break = re.compile(r"[,;:(]|\s[-–]+\s").search(comment, found.end, end)
    if gap_break:
        stop = gap_break.start()
    qualifiers = list(re.finditer(r"(?i)\b(?:workshops?|findings)\b", comment[found.end : stop]))
    new_end = found.end + qualifiers[-1].end() if qualifiers else found.end
    text = comment[found.start : new_end]
    if text.count("(") > text.count(")"):
        closing = comment.find(")", new_end, end)
        if closing >= 0:
            new_end = closing + 1
    return _Venue(found.name, found.start, new_end)


def _sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences or clauses of a comment (split at ". ", ";", "|", newlines)."""
    spans = []
    start = 0
    for m in re.finditer(r"[;|\n]|[.!](?=\s+[A-Z0-9\"'(\[])|[.!]\s*$", text):
        if m.group(0) == ".":
            word = re.search(r"([\w.]+)$", text[start : m.start()])
            if word and word.group(1).lower() in _SENTENCE_ABBREVIATIONS:
                continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _from_statement(comment: str, start: int, end: int) -> _Venue | None:
    """The venue after "accepted to", "published in", "to appear at", "proceedings of" ..."""
    for trig in _TRIGGER_RE.finditer(comment, start, end):
        found = _name_venue(comment, trig.end(), end, context_start=start)
        if found:
            return _Venue(found.name, trig.start(), found.end)
    # "Accepted version (L-CSS 2026)": an acceptance with the venue only in parentheses.
    if _ACCEPT_WORD.search(comment, start, end):
        return _paren_venue(comment, start, end, need_year=True)
    return None


def _name_venue(comment: str, start: int, end: int, context_start: int) -> _Venue | None:
    """Name the venue written in ``comment[start:end]``: known, acronym, or its own words."""
    known = _known_venue(comment, start, end, context_start)
    if known:
        return known
    paren = _paren_venue(comment, start, end, need_year=False)
    if paren:
        return paren
    return _generic_venue(comment, start, end)


def _known_venue(
    comment: str, start: int, end: int, context_start: int, strict: bool = False
) -> _Venue | None:
    """The first well-known venue in ``comment[start:end]``, with its year and qualifier.

    ``strict`` (for mentions without a verb) refuses a conference named without a year.
    """
    best: tuple[int, int, str, re.Match[str], bool] | None = None
    for name, rx, needs_year in _KNOWN_RE:
        m = rx.search(comment, start, end)
        if m and (best is None or (m.start(), -m.end()) < (best[0], -best[1])):
            best = (m.start(), m.end(), name, m, needs_year)
    if best is None:
        return None
    _, _, name, m, needs_year = best
    year = _year_of(m)
    span_end = m.end()
    if year is None:
        year, span_end = _nearby_year(comment, m, start, end)
    sentence = comment[context_start:end]
    at_sign = comment[context_start : m.start()].rstrip().endswith("@")  # "LM4Plan@ICML 2026"
    workshop = bool(m.group("w") or _WORKSHOP.search(sentence) or at_sign)
    findings = bool(_FINDINGS.search(sentence))
    if strict and needs_year and year is None and not workshop:
        return None
    parts = [name]
    if year:
        parts.append(year)
    if findings and not workshop:
        parts.append("Findings")
    if workshop:
        parts.append("Workshop")
    return _Venue(" ".join(parts), m.start(), span_end)


def _nearby_year(comment: str, m: re.Match[str], start: int, end: int) -> tuple[str | None, int]:
    """The year of a venue named without one, and where its statement then ends.

    "European Conference on Computer Vision (ECCV 2026)", "(ECCV), 2026", "WACV ... WACV 2026"
    and "2026 IEEE International Conference on Robotics and Automation" all give 2026.
    """
    for again in m.re.finditer(comment, m.end(), end):  # the same venue, this time with a year
        if _year_of(again):
            return _year_of(again), again.end()
    later = _ANY_YEAR.search(comment, m.end(), end)
    gap_break = _YEAR_GAP_BREAK.search(comment, m.end())
    if later and (gap_break is None or gap_break.start() >= later.start()):
        closing = re.match(r"\s*\)", comment[later.end() : end])
        return later.group(0), later.end() + (closing.end() if closing else 0)
    earlier = _ANY_YEAR.findall(comment[start : m.start()])
    return (earlier[-1] if earlier else None), m.end()


def _year_of(m: re.Match[str]) -> str | None:
    year = m.group("year")
    if not year:
        return None
    if len(year) == 2:
        year = "20" + year
    mon = m.group("mon")
    return f"{int(mon):02d}/{year}" if mon else year


def _paren_venue(
    comment: str, start: int, end: int, need_year: bool, year_beside: bool = False
) -> _Venue | None:
    """A venue known by the acronym in parentheses: "... Conference (ACM BCB 2026)".

    ``year_beside`` accepts only a year inside the parentheses or right after them.
    """
    m = _PAREN_ACRONYM.search(comment, start, end)
    if not m:
        return None
    acr = m.group("acr")
    if re.match(r"(?i)(?:doi|isbn|issn|url|pmlr|lncs)\b", acr):
        return None
    glued = re.fullmatch(r"(.*?[A-Za-z])-?((?:19|20)\d{2})", acr)  # "(NALOMA2026)"
    if glued:
        acr = glued.group(1)
    year = m.group("year") or m.group("after") or (glued.group(2) if glued else None)
    if year is None and not year_beside:
        found = _ANY_YEAR.findall(comment[start:end])
        year = found[0] if found else None
    if need_year and year is None:
        return None
    if year and len(year) == 2:
        year = "20" + year
    prefix = comment[start : m.start()]
    for org in ("IEEE", "ACM"):
        if org in prefix and not acr.startswith(org):
            acr = f"{org} {acr}"
            break
    return _Venue(f"{acr} {year}" if year else acr, start, m.end())


def _generic_venue(comment: str, start: int, end: int) -> _Venue | None:
    """A venue named in its own words: "Accepted by the Journal of X" gives "Journal of X"."""
    text = comment[start:end]
    pos = 0
    while m := _LEADING_JUNK.match(text, pos):
        if m.end() == pos:
            break
        pos = m.end()
    cut = _NAME_END.search(text, pos)
    name_end = cut.start() if cut else len(text)
    name = text[pos:name_end].strip().rstrip("./")
    name = re.sub(r"\b\d+(?:st|nd|rd|th)\s+", "", name)  # "IEEE 27th International ..."
    lead = re.match(r"((?:19|20)\d{2})\s+(.+)$", name)
    if lead:  # "2026 IEEE Mercon" reads better as "IEEE Mercon 2026"
        name = f"{lead.group(2)} {lead.group(1)}"
    name = re.sub(r"\b([A-Z][A-Za-z]*[A-Z])-?((?:19|20)\d{2})\b", r"\1 \2", name)
    name = re.sub(r"\b([A-Z][A-Za-z]*[A-Z])\s*['’-](\d{2})\b", r"\1 20\2", name)
    name = re.sub(r"\s+(?:conference|journal)\b", "", name)  # "IEEE SPAWC conference 2026"
    name = re.sub(r"(?:\s+\d{1,3}(?!\d))+$", "", name)  # volume numbers: "Nature 651"
    if not _looks_like_venue(name):
        return None
    if not _ANY_YEAR.search(name):
        year = _ANY_YEAR.search(text, name_end)
        if year and year.start() - name_end < 40:
            name = f"{name} {year.group(0)}"
    if len(name) > _MAX_NAME:
        name = name[: _MAX_NAME - 1].rsplit(" ", 1)[0] + "…"
    return _Venue(name, start, start + name_end)


def _looks_like_venue(name: str) -> bool:
    words = name.split()
    if not words or len(words) > 16 or not name[0].isalnum() or _NOT_A_VENUE.match(name):
        return False
    meaningful = [w for w in words if w.lower() not in _GENERIC_WORDS and not w.isdigit()]
    return any(w[0].isupper() for w in meaningful)


def _from_mention(comment: str, start: int, end: int) -> _Venue | None:
    """A venue named without a verb: "ECCV 2026. Project page: ...", "SOICT 2025"."""
    accepted = bool(_ACCEPT_WORD.search(comment, start, end))
    for p_start, p_end in _pieces(comment, start, end):
        if _NEGATIVE.search(comment, start, p_end):
            return None
        piece = comment[p_start:p_end].strip()
        known = _known_venue(comment, p_start, p_end, start, strict=not accepted)
        if known is None and _is_bare_known(piece):
            known = _known_venue(comment, p_start, p_end, start)
        if known:
            return known
        bare = _BARE_ACRONYM.match(piece.split(":")[0].strip())
        if bare:
            offset = comment.index(bare.group(0), p_start)
            return _Venue(
                f"{bare.group('acr')} {bare.group('year')}", offset, offset + len(bare.group(0))
            )
    # "IEEE Conf. on ... (COMPSAC), 2026"; "Advances in Visual Computing (ISVC 2025)"
    if _VENUE_WORD.search(comment, start, end):
        paren = _paren_venue(comment, start, end, need_year=False)
    else:
        paren = _paren_venue(comment, start, end, need_year=True, year_beside=True)
    if paren:
        return paren
    for p_start, p_end in _pieces(comment, start, end):
        piece = comment[p_start:p_end]
        if _VENUE_WORD.search(piece) and not _NEGATIVE.search(piece):
            found = _generic_venue(comment, p_start, p_end)
            if found and _VENUE_WORD.search(found.name):
                return found
    return None


_BARE_REST = re.compile(r"(?i)(?:main(?:\s+conference)?|conference|oral|paper)?")


def _is_bare_known(piece: str) -> bool:
    """True when a comma-separated piece is nothing but a known venue name ("ECCV")."""
    for _, rx, _ in _KNOWN_RE:
        m = rx.match(piece)
        if m:
            rest = piece[m.end() :].strip(" .!")
            return _BARE_REST.fullmatch(rest) is not None
    return False


def _pieces(comment: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the comma-separated pieces of a sentence."""
    return [(start + m.start(), start + m.end()) for m in re.finditer(r"[^,]+", comment[start:end])]
