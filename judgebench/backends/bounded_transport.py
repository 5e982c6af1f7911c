"""An httpx transport that bounds what an untrusted endpoint can make the client read.

The ``openai`` SDK reads bodies (error bodies always) by itself, with no size limit; so the limit
lives below it, in the transport: every response body is decoded here (gzip/deflate, with an output
limit, so a small compressed answer cannot inflate to gigabytes) and handed up as identity bytes.
A success body past its cap raises :class:`BodyTooLarge`; an error body is cut at
:data:`ERROR_BODY_CAP` (it is only read for its message). The per-request cap and the httpcore
trace hook (which starts the total deadline once the request is sent) travel in a context variable,
because the SDK offers no way to pass httpx request extensions.
"""

from __future__ import annotations

import contextvars
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx2 as httpx  # the openai SDK's own httpx: its connection pool scales (httpcore 1 is quadratic at 64+ in flight)

from judgebench.backends.base import BackendError, PermanentBackendError, TransientBackendError

ERROR_BODY_CAP = 64 << 10
"""Bytes of an error body read for its message; the rest is never read."""
DEFAULT_CAP = 1 << 20
"""The cap for a request sent outside :data:`EXCHANGE` (none is, in judgebench)."""

EXCHANGE: contextvars.ContextVar[tuple[int, Any] | None] = contextvars.ContextVar("judgebench_exchange",
                                                                                  default=None)
"""(success body cap, httpcore trace callback or None) for the request being sent in this context."""


class BodyTooLarge(PermanentBackendError):
    """The answer passed its size cap: never stored, never retried (it would come again)."""


class Decoder:
    """Content-Encoding decoding with an output limit (identity, gzip, deflate)."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap = cap
        self.size = 0
        enc = encoding.strip().lower()
        if enc in ("", "identity"):
            self._z: Any = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(wbits=31)
        elif enc == "deflate":
            self._z = zlib.decompressobj(wbits=47)
        else:
            raise TransientBackendError(f"the answer uses an unsupported Content-Encoding {encoding[:40]!r}")

    def feed(self, chunk: bytes) -> bytes:
        """The decoded bytes of ``chunk``; raises once the decoded total passes the cap."""
        if self._z is None:
            return self._keep(chunk)
        parts: list[bytes] = []
        try:
            data = chunk
            while data:
                parts.append(self._keep(self._z.decompress(data, self.cap + 1 - self.size)))
                data = self._z.unconsumed_tail
        except zlib.error as e:
            raise TransientBackendError(f"the answer's compressed body is corrupt ({e})") from None
        return b"".join(parts)

    def flush(self) -> bytes:
        return self._keep(self._z.flush()) if self._z is not None else b""

    def _keep(self, out: bytes) -> bytes:
        self.size += len(out)
        if self.size > self.cap:
            raise BodyTooLarge(f"the answer is larger than {self.cap:,} bytes (the limit for its max_tokens)")
        return out


class _CappedStream(httpx.AsyncByteStream):
    """The inner raw stream, decoded and capped; ``truncate`` ends quietly instead of raising."""

    def __init__(self, inner: Any, encoding: str, cap: int, *, truncate: bool) -> None:
        self._inner, self._encoding, self._cap, self._truncate = inner, encoding, cap, truncate

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            decoder = Decoder(self._encoding, self._cap)
            async for chunk in self._inner:
                out = decoder.feed(chunk)
                if out:
                    yield out
            out = decoder.flush()
            if out:
                yield out
        except BackendError:
            if not self._truncate:
                raise

    async def aclose(self) -> None:
        await self._inner.aclose()


class BoundedTransport(httpx.AsyncBaseTransport):
    """Wraps :class:`httpx.AsyncHTTPTransport`: decoded, capped bodies; the trace hook attached."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        cap, trace = EXCHANGE.get() or (DEFAULT_CAP, None)
        if trace is not None:
            request.extensions = {**request.extensions, "trace": trace}
        response = await self._inner.handle_async_request(request)
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length")]
        is_error = response.status_code >= 300
        stream = _CappedStream(response.stream, response.headers.get("content-encoding", ""),
                               ERROR_BODY_CAP if is_error else cap, truncate=is_error)
        return httpx.Response(response.status_code, headers=headers, stream=stream,
                              extensions=response.extensions, request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()
