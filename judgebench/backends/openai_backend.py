"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp, Ollama, TGI), over httpx.

The endpoint is untrusted, so every exchange is bounded here rather than in a client library:

* one total deadline per request: from the moment it is sent, the server has ``timeout``
  seconds for the whole answer (a per-read timeout alone let a server trickling a byte every half
  second keep a request alive forever); waiting for a pooled connection and connecting have their
  own bounds (``timeout`` and 30 s), and an outer bound of 2 x ``timeout`` + 30 s holds regardless;
* a body size cap derived from ``max_tokens`` (:func:`body_cap`), counted on the *decoded*
  bytes: gzip/deflate are decompressed here with an output limit, so a small compressed answer
  cannot inflate to gigabytes; error bodies are capped too;
* answers are parsed by shape (:mod:`judgebench.backends.answers`): wrong shapes, absurd usage
  numbers and lone surrogates become a classified error or a normalised completion, never a crash.

Failures are classified into transient / permanent / connection errors by exception type and
HTTP status; :mod:`judgebench.retry` is the one retry policy. (The official ``openai`` client was
used before; it reads whole bodies, error bodies included, with no size or total-time bound.)
"""

from __future__ import annotations

import asyncio
import json
import zlib
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from judgebench.backends.answers import parse_answer
from judgebench.backends.base import (
    BackendError,
    ConnectionFailure,
    PermanentBackendError,
    TransientBackendError,
)
from judgebench.records import Completion, CompletionRequest
from judgebench.redaction import redact_url

_PERMANENT = {400, 401, 403, 404, 405, 409, 413, 422}
DEFAULT_BASE_URL = "https://api.openai.com/v1"
ERROR_BODY_CAP = 64 << 10
"""Bytes of an error body read for its message; the rest is never read."""


def body_cap(request: CompletionRequest) -> int:
    """The most bytes an honest answer to ``request`` can take, decoded.

    1 MiB of envelope, plus per token: the text with worst-case JSON escaping and, when logprobs
    are asked for, their entries (each alternative as token, logprob and bytes).
    """
    per_token = 128 + 256 * (request.top_logprobs or 0)
    return (1 << 20) + request.max_tokens * per_token


class BodyTooLarge(PermanentBackendError):
    """The answer passed :func:`body_cap`: never stored, never retried (it would come again)."""


def _retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header, if present, numeric and finite."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                seconds = float(value) / scale
            except ValueError:
                continue
            if seconds == seconds and seconds != float("inf"):  # NaN and inf are no waits
                return max(0.0, seconds)
    return None


class _Decoder:
    """Content-Encoding decoding with an output limit (identity, gzip, deflate)."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap = cap
        self.size = 0
        self._parts: list[bytes] = []
        enc = encoding.strip().lower()
        if enc in ("", "identity"):
            self._z: Any = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(wbits=31)
        elif enc == "deflate":
            self._z = zlib.decompressobj(wbits=47)
        else:
            raise TransientBackendError(f"the answer uses an unsupported Content-Encoding {encoding[:40]!r}")

    def feed(self, chunk: bytes) -> None:
        if self._z is None:
            self._keep(chunk)
            return
        try:
            data = chunk
            while data:
                out = self._z.decompress(data, self.cap + 1 - self.size)
                self._keep(out)
                data = self._z.unconsumed_tail
        except zlib.error as e:
            raise TransientBackendError(f"the answer's compressed body is corrupt ({e})") from None

    def _keep(self, out: bytes) -> None:
        self.size += len(out)
        if self.size > self.cap:
            raise BodyTooLarge(f"the answer is larger than {self.cap:,} bytes (the limit for its max_tokens)")
        self._parts.append(out)

    def text(self) -> str:
        if self._z is not None:
            self._keep(self._z.flush())
        return b"".join(self._parts).decode("utf-8", "replace")


async def _read(response: Any, cap: int) -> str:
    decoder = _Decoder(response.headers.get("content-encoding", ""), cap)
    async for chunk in response.aiter_raw():
        decoder.feed(chunk)
    return decoder.text()


async def _read_error(response: Any) -> str:
    """The start of an error body (for its message); an oversized or undecodable one reads as empty."""
    try:
        return await _read(response, ERROR_BODY_CAP)
    except BackendError:
        return ""


def _endpoint_url(base_url: str) -> str:
    """``base_url`` + ``/chat/completions``, keeping a query (``?api-version=...``) at the end."""
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/chat/completions", fragment=""))


class OpenAIBackend:
    """An OpenAI-compatible endpoint. ``api_key`` is resolved by the caller, never logged."""

    supports_json_schema = True
    supports_logprobs = True

    def __init__(self, *, base_url: str | None, api_key: str | None, timeout: float, name: str = "openai") -> None:
        import httpx  # lazy: keeps `import judgebench` light

        self.name = name
        self.base_url = base_url
        self.shown_url = redact_url(base_url) or "the OpenAI API"
        self.timeout = timeout
        self._url = _endpoint_url(base_url or DEFAULT_BASE_URL)
        self._secret = api_key if api_key and len(api_key) >= 8 else None
        self._client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {api_key or 'EMPTY'}", "Accept-Encoding": "gzip, deflate",
                     "Content-Type": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)),
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
            follow_redirects=False,
        )

    def _body(self, request: CompletionRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [m.to_openai() for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.seed is not None:
            body["seed"] = request.seed
        if request.stop:
            body["stop"] = list(request.stop)
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.json_schema, "strict": True},
            }
        if request.top_logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = request.top_logprobs
        if request.extra_body:
            body.update(dict(request.extra_body))
        return body

    async def complete(self, request: CompletionRequest) -> Completion:
        payload = json.dumps(self._body(request), ensure_ascii=False, allow_nan=False).encode("utf-8", "replace")
        loop = asyncio.get_running_loop()
        # Waiting for a pooled connection and connecting have their own httpx timeouts; from the moment
        # the request is sent, the server has `timeout` seconds in all (a trickle cannot extend it).
        # The outer bound holds even if the transport never reports sending.
        try:
            async with asyncio.timeout(loop.time() + 2 * self.timeout + 30.0) as deadline:

                async def trace(event: str, info: Any) -> None:
                    if event.endswith("send_request_headers.started"):
                        deadline.reschedule(loop.time() + self.timeout)

                text = await self._exchange(request, payload, trace)
        except TimeoutError:
            raise TransientBackendError(f"no complete answer within the timeout ({self.timeout:g} s)") from None
        return parse_answer(text)

    async def _exchange(self, request: CompletionRequest, payload: bytes, trace: Any) -> str:
        """Send one request and read its (capped) body; HTTP and transport failures are classified."""
        import httpx

        try:
            async with self._client.stream("POST", self._url, content=payload,
                                           extensions={"trace": trace}) as response:
                status = response.status_code
                if status >= 300:
                    detail = _error_detail(await _read_error(response) if status >= 400 else "")
                    self._raise_status(status, detail, response.headers)
                return await _read(response, body_cap(request))
        except httpx.TimeoutException:
            raise TransientBackendError("request timed out") from None
        except httpx.TransportError as e:
            raise ConnectionFailure(f"cannot connect to {self.shown_url} ({type(e).__name__})") from None
        except httpx.HTTPError as e:
            raise TransientBackendError(f"the answer could not be read ({type(e).__name__})") from None

    def _raise_status(self, status: int, detail: str, headers: Any) -> None:
        if self._secret:  # servers quote a wrong key back ("Incorrect API key provided: sk-...")
            detail = detail.replace(self._secret, "***")
        if status == 429 or status >= 500 or status == 408:
            raise TransientBackendError(f"HTTP {status}{detail}", status, _retry_after(headers))
        if status in _PERMANENT or 400 <= status < 500:
            raise PermanentBackendError(f"HTTP {status}{detail}", status)
        raise BackendError(f"HTTP {status}{detail}", status)  # 3xx: redirects are not followed

    async def aclose(self) -> None:
        await self._client.aclose()


def _error_detail(text: str) -> str:
    """A short server-provided reason, if the body carried one (never the request or its headers)."""
    try:
        body = json.loads(text)
    except ValueError:
        return ""
    msg: Any = None
    if isinstance(body, dict):
        err = body.get("error")
        msg = err.get("message") if isinstance(err, dict) else body.get("message")
        if msg is None and isinstance(err, str):
            msg = err
    if isinstance(msg, str) and msg:
        from judgebench.backends.answers import clean_text

        return f": {clean_text(msg)[:200]}"
    return ""
