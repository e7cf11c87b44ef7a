"""papertide: per-topic daily arXiv digests."""

__version__ = "0.1.0"
