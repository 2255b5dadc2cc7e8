"""Headers of the pages Lazo serves to browsers (the ops dashboard, the API docs)."""

from __future__ import annotations


def security_headers(policy: str) -> dict[str, str]:
    """A page's Content-Security-Policy, and no framing, no MIME sniffing, no referrer."""
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
