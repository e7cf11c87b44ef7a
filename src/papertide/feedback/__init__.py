"""Learning from the reader: the ratings given on the site's "relevant / not relevant" buttons
and the papers of the reader's own library, kept in the store as per-topic ratings that
selection learns from.

``ratings`` reads and writes the ratings file a static site exports; ``library`` reads
BibTeX, RIS, CSL-JSON and id lists; ``zotero`` reads a Zotero library over its web API;
``stage`` matches them against the store and records them.
"""
