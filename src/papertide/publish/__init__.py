"""The publish stage: digests out as a static website."""

from papertide.publish.site import BuildResult, SiteInfo, TopicArchive, build_site, render_site
from papertide.publish.views import paper_anchor

__all__ = ["BuildResult", "SiteInfo", "TopicArchive", "build_site", "paper_anchor", "render_site"]
