"""Topic keyword queries in arXiv's search syntax, evaluated locally against papers.

``parse_query`` turns a query such as ``abs:"image-to-image" OR (ti:style AND ti:transfer)``
into an immutable ``Query``; ``Document.from_paper`` tokenises a paper once so that every
topic's query can be evaluated against it cheaply. ``Query.evaluate`` returns ``None`` when
the paper does not match, otherwise the readable evidence of why it does.

Matching is case-, accent- and plural-insensitive and works on whole words: punctuation and
hyphens split words, a phrase must match consecutive words, and a trailing ``*`` matches any
word beginning with the given prefix. Author names are matched word by word, without plural
folding; categories are matched exactly, or by archive (``cat:cs``, ``cat:cs.*``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from papertide.errors import QuerySyntaxError
from papertide.records import Paper

__all__ = ["And", "AndNot", "Category", "Document", "Node", "Or", "Query", "Term", "parse_query"]

FIELDS = ("ti", "abs", "au", "cat", "co", "all")
_FIELD_LABELS = {"ti": "title", "abs": "abstract", "co": "comment"}
_OPERATORS = ("AND", "OR", "ANDNOT")

# ---------------------------------------------------------------------------------------------
# Text normalisation, shared by documents and queries so that both sides fold the same way.

_WORD_RE = re.compile(r"[^\W_]+")
_QUERY_WORD_RE = re.compile(r"([^\W_]+)(\*?)")

# Plurals that the suffix rules below would get wrong; both forms map to the singular.
_IRREGULAR = {
    "analyses": "analysis",
    "appendices": "appendix",
    "axes": "axis",
    "corpora": "corpus",
    "crises": "crisis",
    "criteria": "criterion",
    "diagnoses": "diagnosis",
    "hypotheses": "hypothesis",
    "indices": "index",
    "matrices": "matrix",
    "phenomena": "phenomenon",
    "syntheses": "synthesis",
    "theses": "thesis",
    "vertices": "vertex",
    "viruses": "virus",
    "statuses": "status",
    **{w: w for w in ("alias", "atlas", "bias", "canvas", "lens")},
    **{w + "es": w for w in ("alias", "atlas", "bias", "canvas", "lens")},
}


def fold(text: str) -> str:
    """NFKC-normalise, casefold and strip accents (``"Müller"`` -> ``"muller"``)."""
    s = unicodedata.normalize("NFKC", text).casefold()
    if s.isascii() or unicodedata.is_normalized("NFD", s):  # fast path: nothing to strip
        return s
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", s)


@lru_cache(maxsize=1 << 16)
def singular(word: str) -> str:
    """Reduce an English plural to its singular with light rules; other words pass through.

    Applied to both the query and the paper, so a rule only has to map a word and its plural
    to the same key ("studies"/"study" -> "study", "caches"/"cache" -> "cach").
    """
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not (word.isascii() and word.isalpha()):
        return word
    if word.endswith("ies") and len(word) >= 5:
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(("ss", "x", "ch", "sh", "zz")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ie"):
        return word[:-2] + "y"
    if word.endswith(("che", "she", "sse", "zze")):
        return word[:-1]
    return word


def words(text: str) -> tuple[str, ...]:
    """Fold ``text`` and split it into words at whitespace, hyphens and punctuation."""
    return tuple(_WORD_RE.findall(fold(text)))


# ---------------------------------------------------------------------------------------------
# Documents


@dataclass(frozen=True, slots=True)
class FieldText:
    """One field of a paper as words: ``raw`` folded words and their plural-free ``keys``."""

    raw: tuple[str, ...]
    keys: tuple[str, ...]
    rawset: frozenset[str]
    keyset: frozenset[str]

    @classmethod
    def of(cls, text: str, *, stem: bool = True) -> FieldText:
        raw = words(text)
        keys = tuple(map(singular, raw)) if stem else raw
        return cls(raw, keys, frozenset(raw), frozenset(keys))


@dataclass(frozen=True, slots=True)
class Document:
    """A paper tokenised once, ready to be matched by any number of queries."""

    arxiv_id: str
    title: FieldText
    abstract: FieldText
    comment: FieldText
    authors: tuple[FieldText, ...]
    author_names: tuple[str, ...]
    categories: tuple[str, ...]
    folded_categories: tuple[str, ...]

    @classmethod
    def from_paper(cls, paper: Paper) -> Document:
        return cls(
            arxiv_id=paper.arxiv_id,
            title=FieldText.of(paper.title),
            abstract=FieldText.of(paper.abstract),
            comment=FieldText.of(paper.comment or ""),
            authors=tuple(FieldText.of(a, stem=False) for a in paper.authors),
            author_names=paper.authors,
            categories=paper.categories,
            folded_categories=tuple(c.strip().casefold() for c in paper.categories),
        )


# ---------------------------------------------------------------------------------------------
# Query tree. Every node's ``evaluate`` returns None (no match) or the evidence tuple.

Evidence: TypeAlias = tuple[str, ...]


def _merge(*parts: Evidence) -> Evidence:
    return tuple(dict.fromkeys(e for part in parts for e in part))


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase searched in one field (``all`` searches title, abstract, comment, authors).

    ``raw`` holds the folded query words, ``keys`` their plural-free forms, and ``prefix``
    marks the words that ended in ``*``.
    """

    field: str
    text: str  # as the user wrote it, without quotes
    quoted: bool
    raw: tuple[str, ...]
    keys: tuple[str, ...]
    prefix: tuple[bool, ...]

    def __str__(self) -> str:
        return f'{self.field}:"{self.text}"' if self.quoted else f"{self.field}:{self.text}"

    def evaluate(self, doc: Document) -> Evidence | None:
        fields: tuple[tuple[str, FieldText], ...]
        if self.field == "all":
            fields = (("ti", doc.title), ("abs", doc.abstract), ("co", doc.comment))
        elif self.field == "ti":
            fields = (("ti", doc.title),)
        elif self.field == "abs":
            fields = (("abs", doc.abstract),)
        elif self.field == "co":
            fields = (("co", doc.comment),)
        else:
            fields = ()
        for name, ft in fields:
            found = self._find(ft, stem=True)
            if found is not None:
                return (f"{_FIELD_LABELS[name]} matches {self._quote(found)}",)
        if self.field in ("au", "all"):
            for name_text, ft in zip(doc.author_names, doc.authors, strict=True):
                found = self._find(ft, stem=False)
                if found is not None:
                    return (f"author {name_text} matches {self._quote(found)}",)
        return None

    def _quote(self, found: str) -> str:
        return f"'{self.text}'" + (f" ({found})" if found else "")

    def _find(self, ft: FieldText, *, stem: bool) -> str | None:
        """Return None when absent, else the words a wildcard matched ("" without wildcards)."""
        keys = self.keys if stem else self.raw
        seq = ft.keys if stem else ft.raw
        n = len(keys)
        if n == 1 and not self.prefix[0]:
            return "" if keys[0] in ft.keyset else None
        if n == 1:
            for word in ft.raw:
                if word.startswith(keys[0]):
                    return word
            return None
        for k, p in zip(keys, self.prefix, strict=True):
            if not p and k not in ft.keyset:
                return None
        for i in range(len(seq) - n + 1):
            for j in range(n):
                if self.prefix[j]:
                    if not ft.raw[i + j].startswith(keys[j]):
                        break
                elif seq[i + j] != keys[j]:
                    break
            else:
                return " ".join(ft.raw[i : i + n]) if any(self.prefix) else ""
        return None


@dataclass(frozen=True, slots=True)
class Category:
    """``cat:cs.CV`` (exact), ``cat:cs`` (any cs category) or ``cat:cs.*`` / ``cat:cs.C*``."""

    text: str
    value: str  # folded, without a trailing "*"
    mode: str  # "exact", "archive" or "prefix"

    def __str__(self) -> str:
        return f"cat:{self.text}"

    def evaluate(self, doc: Document) -> Evidence | None:
        hits = [
            original
            for original, c in zip(doc.categories, doc.folded_categories, strict=True)
            if c == self.value
            or (self.mode == "archive" and c.startswith(self.value + "."))
            or (self.mode == "prefix" and c.startswith(self.value))
        ]
        if not hits:
            return None
        return (("category " if len(hits) == 1 else "categories ") + ", ".join(hits),)


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Node, ...]

    def __str__(self) -> str:
        return " AND ".join(_wrap(p) for p in self.parts)

    def evaluate(self, doc: Document) -> Evidence | None:
        found: list[Evidence] = []
        for part in self.parts:
            ev = part.evaluate(doc)
            if ev is None:
                return None
            found.append(ev)
        return _merge(*found)


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(_wrap(p) for p in self.parts)

    def evaluate(self, doc: Document) -> Evidence | None:
        found = [ev for ev in (p.evaluate(doc) for p in self.parts) if ev is not None]
        return _merge(*found) if found else None


@dataclass(frozen=True, slots=True)
class AndNot:
    left: Node
    right: Node

    def __str__(self) -> str:
        return f"{_wrap(self.left)} ANDNOT {_wrap(self.right)}"

    def evaluate(self, doc: Document) -> Evidence | None:
        ev = self.left.evaluate(doc)
        if ev is None or self.right.evaluate(doc) is not None:
            return None
        return ev


Node: TypeAlias = Term | Category | And | Or | AndNot


def _wrap(node: Node) -> str:
    return str(node) if isinstance(node, Term | Category) else f"({node})"


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query; ``source`` is the text it was parsed from."""

    source: str
    root: Node

    def __str__(self) -> str:
        return str(self.root)

    def __repr__(self) -> str:
        return f"Query({str(self.root)!r})"

    def evaluate(self, doc: Document) -> Evidence | None:
        """None when ``doc`` does not match, else the evidence from the matching branches."""
        return self.root.evaluate(doc)

    @property
    def terms(self) -> tuple[str, ...]:
        """The words and phrases the query looks for in a paper's text (not its authors or
        categories, not those after ANDNOT), in order."""
        out: list[str] = []

        def walk(node: Node) -> None:
            if isinstance(node, Term):
                if node.field not in ("au", "cat"):
                    out.append(node.text)
            elif isinstance(node, And | Or):
                for p in node.parts:
                    walk(p)
            elif isinstance(node, AndNot):
                walk(node.left)

        walk(self.root)
        return tuple(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------
# Lexer and recursive-descent parser.
#
#   query  := or EOF
#   or     := and ("OR" and)*
#   and    := unary (("AND" | "ANDNOT" | nothing) unary)*
#   unary  := "(" or ")" | [field ":"] (word | '"' phrase '"') | field ":" "(" or ")"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "op", "field", "term"
    text: str
    pos: int
    quoted: bool = False


_FIELD_RE = re.compile(r"([A-Za-z]+):")
_BARE_END = re.compile(r'[\s()"]')


def _error(message: str, pos: int, detail: str = "") -> QuerySyntaxError:
    return QuerySyntaxError(f"{message} at position {pos}" + (f": {detail}" if detail else ""))


def _lex(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(source)
    after_field = False
    while i < n:
        c = source[i]
        if c.isspace():
            if after_field:
                raise _error(
                    f"expected a term after '{tokens[-1].text}:'",
                    tokens[-1].pos,
                    "no space is allowed after the colon",
                )
            i += 1
        elif c in "()":
            tokens.append(_Token(c, c, i))
            i += 1
            after_field = False
        elif c == '"':
            end = source.find('"', i + 1)
            if end < 0:
                raise _error("unterminated quote", i)
            tokens.append(_Token("term", source[i + 1 : end], i, quoted=True))
            i = end + 1
            after_field = False
        else:
            m = _FIELD_RE.match(source, i)
            if m and after_field:
                raise _error(f"expected a term after '{tokens[-1].text}:'", tokens[-1].pos)
            if m:
                name = m.group(1).lower()
                if name not in FIELDS:
                    raise QuerySyntaxError(
                        f"unknown field '{m.group(1)}' at position {i} "
                        "(use ti, abs, au, cat, co or all)"
                    )
                tokens.append(_Token("field", name, i))
                i = m.end()
                after_field = True
                continue
            end_m = _BARE_END.search(source, i)
            end = end_m.start() if end_m else n
            text = source[i:end]
            kind = "op" if text in _OPERATORS and not after_field else "term"
            tokens.append(_Token(kind, text, i))
            i = end
            after_field = False
    if after_field:
        raise _error(f"expected a term after '{tokens[-1].text}:'", tokens[-1].pos)
    return tokens


# Deeper nesting (parentheses, or a chain of ANDNOT) is refused: the parser and the query's
# evaluation recurse once per level, and no real query comes near it.
MAX_NESTING = 100


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _lex(source)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.tokens:
            raise QuerySyntaxError("empty query: write at least one term, e.g. ti:transformer")
        node = self.parse_or(None)
        tok = self.peek()
        if tok is not None:  # only a ")" can stop parse_or early
            raise _error("unbalanced parenthesis", tok.pos, "')' has no matching '('")
        return node

    def parse_or(self, field: str | None) -> Node:
        parts = [self.parse_and(field)]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "OR":
            self.take()
            self.expect_operand(tok)
            parts.append(self.parse_and(field))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self, field: str | None) -> Node:
        node = self.parse_unary(field)
        chain = 0
        while (tok := self.peek()) is not None and tok.kind != ")":
            if tok.kind == "op":
                if tok.text == "OR":
                    break
                self.take()
                self.expect_operand(tok)
            right = self.parse_unary(field)
            if tok.text == "ANDNOT" and tok.kind == "op":
                chain += 1
                if chain > MAX_NESTING:
                    raise _error(f"more than {MAX_NESTING} ANDNOT in a row", tok.pos)
                node = AndNot(node, right)
            elif isinstance(node, And):
                node = And((*node.parts, right))
            else:
                node = And((node, right))
        return node

    def expect_operand(self, op: _Token) -> None:
        tok = self.peek()
        if tok is None or tok.kind in ("op", ")"):
            raise _error(f"expected a term after '{op.text}'", op.pos)

    def parse_unary(self, field: str | None) -> Node:
        tok = self.take()
        if tok.kind == "op":
            raise _error(f"expected a term before '{tok.text}'", tok.pos)
        if tok.kind == ")":
            raise _error("unbalanced parenthesis", tok.pos, "')' has no matching '('")
        if tok.kind == "field":
            nxt = self.peek()
            if nxt is not None and nxt.kind == "(":
                return self.parse_group(tok.text)
            if nxt is None or nxt.kind != "term":
                raise _error(f"expected a term after '{tok.text}:'", tok.pos)
            return _make_term(tok.text, self.take())
        if tok.kind == "(":
            self.i -= 1
            return self.parse_group(field)
        return _make_term(field or "all", tok)

    def parse_group(self, field: str | None) -> Node:
        opening = self.take()
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _error(f"parentheses nested more than {MAX_NESTING} deep", opening.pos)
        nxt = self.peek()
        if nxt is not None and nxt.kind == ")":
            raise _error("empty parentheses", opening.pos)
        if nxt is None:
            raise _error("unbalanced parenthesis", opening.pos, "'(' is never closed")
        node = self.parse_or(field)
        closing = self.peek()
        if closing is None or closing.kind != ")":
            raise _error("unbalanced parenthesis", opening.pos, "'(' is never closed")
        self.take()
        self.depth -= 1
        return node


def _make_term(field: str, tok: _Token) -> Term | Category:
    text = tok.text.strip()
    shown = f'"{tok.text}"' if tok.quoted else tok.text
    if field == "cat":
        value = text.casefold()
        if not value or value == "*":
            raise _error("expected a category such as cs.CV after 'cat:'", tok.pos)
        if value.endswith("*"):
            return Category(text, value.rstrip("*"), "prefix")
        return Category(text, value, "exact" if "." in value else "archive")
    if re.search(r"\*[^\W_]", text):
        raise _error("'*' is only allowed at the end of a word", tok.pos, shown)
    found = _QUERY_WORD_RE.findall(fold(text))
    if not found:
        raise _error(f"term '{text}' has no letters or digits", tok.pos)
    if text.count("*") > sum(1 for _, star in found if star):
        raise _error("'*' must follow a word", tok.pos, shown)
    raw = tuple(w for w, _ in found)
    prefix = tuple(bool(star) for _, star in found)
    keys = tuple(w if p else singular(w) for w, p in zip(raw, prefix, strict=True))
    return Term(field, text, tok.quoted, raw, keys, prefix)


def parse_query(source: str) -> Query:
    """Parse ``source`` in arXiv's search syntax; raise QuerySyntaxError naming the problem."""
    return Query(source, _Parser(source).parse())
