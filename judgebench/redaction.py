"""Credentials inside a ``base_url`` never leave the process in clear.

Some gateways take a key in the URL (``https://user:pass@host``, ``?api-key=...``). The URL is
needed to connect, but everything displayed or written (error messages, the store's saved config,
leaderboard manifests, the published site, content keys) uses :func:`redact_url`: the secret
parts become ``redacted-<8 hex of their SHA-256>``, so two different keys still give two
different keys and manifests, and the redaction is idempotent (redacting a redacted URL changes
nothing, which keeps keys computed from a stored config equal to those computed from the file).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

_SECRET_PARAM = re.compile(
    r"(key|token|secret|password|passwd|pwd|auth|signature|sig|credential|session|access)", re.I
)
_REDACTED = re.compile(r"^redacted-[0-9a-f]{8}$")


def _mask(value: str) -> str:
    if _REDACTED.match(value):
        return value
    return "redacted-" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def redact_url(url: str | None) -> str | None:
    """``url`` with its user info and secret-looking query values replaced by a short hash."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _mask(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{_mask(userinfo)}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAM.search(k) for k, _ in pairs):
            query = urlencode([(k, _mask(v) if _SECRET_PARAM.search(k) else v) for k, v in pairs], quote_via=quote)
    fragment = _mask(parts.fragment) if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def has_credentials(url: str | None) -> bool:
    return bool(url) and redact_url(url) != url
