"""The enrich stage: links and venue for a paper, read from its abstract and arXiv comment.

Pure text processing, no network. ``find_links`` gathers the arXiv links, the code
repositories and project pages the authors name, and the venue the comment states
("Accepted by MICCAI2025" gives "MICCAI 2025"); ``highlight_venue`` splits a comment into
segments so a template can mark the venue without building HTML itself.
"""

from papertide.enrich.links import find_urls
from papertide.enrich.venue import find_venue, highlight_venue
from papertide.records import Links, Paper

__all__ = ["find_links", "find_venue", "highlight_venue"]


def find_links(paper: Paper) -> Links:
    """Every link a reader wants for ``paper``, and its venue when the comment states one."""
    code, projects = find_urls(paper)
    return Links(
        abs_url=paper.abs_url,
        pdf_url=paper.pdf_url,
        html_url=paper.html_url,
        cool_papers_url=paper.cool_papers_url,
        code_urls=code,
        project_urls=projects,
        venue=find_venue(paper.comment),
    )
