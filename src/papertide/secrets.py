"""Telling an API key from the name of a variable, and keeping keys out of what is printed.

A key pasted where the config wants a variable's NAME would be printed by every message that
names the variable; an endpoint's error text may echo the key it was sent, or an altered one.
"""

from __future__ import annotations

import re

# Prefixes of the keys and tokens of common services (OpenAI, Anthropic, DeepSeek, GitHub,
# GitLab, Slack, Google, AWS, Hugging Face).
_PREFIXES = ("sk-", "sk_", "pk-", "pk_", "rk_", "ghp_", "gho_", "ghs_", "github_pat_",
             "glpat-", "xox", "AIza", "AKIA", "hf_")  # fmt: skip
_TOKEN = re.compile(r"[A-Za-z0-9_\-.*+/=]{16,}")
_BLOB = re.compile(r"[A-Za-z0-9]{32,}")


def looks_like_key(text: str) -> bool:
    """True for a key or token rather than a name or a word: a known key prefix, mixed case
    with digits, or a long run of letters and digits (hex, base64)."""
    text = text.strip()
    if len(text) >= 16 and text.startswith(_PREFIXES):
        return True
    lower, upper = any(c.islower() for c in text), any(c.isupper() for c in text)
    digits = any(c.isdigit() for c in text)
    if len(text) >= 20 and lower and upper and digits:
        return True
    return any(
        any(c.isdigit() for c in blob) and any(c.isalpha() for c in blob)
        for blob in _BLOB.findall(text)
    )


def redact(text: str, *known: str) -> str:
    """``text`` with the ``known`` secrets and anything else that looks like a key as ``***``."""
    for secret in known:
        if secret:
            text = text.replace(secret, "***")
    return _TOKEN.sub(lambda m: "***" if looks_like_key(m.group()) else m.group(), text)
