"""Safe XML parsing with one-line errors, and namespace-blind element look-ups."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import (  # type: ignore[import-untyped, unused-ignore]
    DefusedXmlException,
    ElementTree,
)

from papertide.errors import InputError, MalformedInputError
from papertide.fetch.limits import check_document


def parse_xml(data: bytes, origin: str) -> Element:
    """Parse a whole XML document; InputError naming ``origin``, line and column if malformed."""
    if not data.strip():
        raise MalformedInputError(f"{origin}: the file is empty; fetch it again")
    check_document(data, origin)
    try:
        root: Element = ElementTree.fromstring(data)
    except ParseError as error:
        line, column = error.position
        reason = str(error).split(":", 1)[0]
        raise MalformedInputError(
            f"{origin}: line {line}, column {column + 1}: malformed XML ({reason}); "
            "the file is damaged or incomplete — fetch it again"
        ) from None
    except DefusedXmlException as error:
        raise InputError(
            f"{origin}: XML with {type(error).__name__} refused for safety; "
            "arXiv never sends that — fetch the file from arXiv again"
        ) from None
    return root


def local_name(element: Element) -> str:
    """The tag without its namespace: ``{http://www.w3.org/2005/Atom}entry`` -> ``entry``."""
    return element.tag.rpartition("}")[2]


def children(parent: Element, name: str) -> list[Element]:
    """Direct children with the given local name, in document order."""
    return [child for child in parent if local_name(child) == name]


def child(parent: Element, name: str) -> Element | None:
    """The first direct child with the given local name."""
    for element in parent:
        if local_name(element) == name:
            return element
    return None


def text_of(parent: Element, name: str) -> str | None:
    """The raw text of the first child with that local name; None when absent or blank."""
    element = child(parent, name)
    if element is None:
        return None
    text = "".join(element.itertext())
    return text if text.strip() else None
