"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp, Ollama, TGI), via the ``openai`` SDK.

The endpoint is untrusted, so every exchange is bounded, partly below the SDK:

* one total deadline per request: from the moment it is sent, the server has ``timeout``
  seconds for the whole answer (a per-read timeout alone let a server trickling a byte every half
  second keep a request alive forever); waiting for a pooled connection and connecting have their
  own bounds (``timeout`` and 30 s), and an outer bound of 2 x ``timeout`` + 30 s holds regardless;
* a body size cap derived from ``max_tokens`` (:func:`body_cap`), counted on the *decoded* bytes,
  and a cap on error bodies: both enforced by :class:`~judgebench.backends.bounded_transport.BoundedTransport`
  under the SDK, because the SDK reads (error) bodies whole by itself;
* no redirects followed and no SDK retries (``max_retries=0``): :mod:`judgebench.retry` is the one
  retry policy;
* answers are parsed by shape (:mod:`judgebench.backends.answers`): wrong shapes, absurd usage
  numbers and lone surrogates become a classified error or a normalised completion, never a crash.

Failures are classified into transient / permanent / connection errors by exception type and
HTTP status, and the API key is scrubbed from any server-provided detail.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from judgebench.backends.answers import parse_answer
from judgebench.backends.base import (
    BackendError,
    ConnectionFailure,
    PermanentBackendError,
    TransientBackendError,
)
from judgebench.backends.bounded_transport import ERROR_BODY_CAP, EXCHANGE, BodyTooLarge, BoundedTransport
from judgebench.records import Completion, CompletionRequest
from judgebench.redaction import redact_url

_PERMANENT = {400, 401, 403, 404, 405, 409, 413, 422}
DEFAULT_BASE_URL = "https://api.openai.com/v1"
__all__ = ["ERROR_BODY_CAP", "BodyTooLarge", "OpenAIBackend", "body_cap"]


def body_cap(request: CompletionRequest) -> int:
    """The most bytes an honest answer to ``request`` can take, decoded.

    1 MiB of envelope, plus per token: the text with worst-case JSON escaping and, when logprobs
    are asked for, their entries (each alternative as token, logprob and bytes).
    """
    per_token = 128 + 256 * (request.top_logprobs or 0)
    return (1 << 20) + request.max_tokens * per_token


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


async def _read(response: Any) -> str:
    """The whole body; the transport below has decoded it and enforces its cap while it streams."""
    parts = [chunk async for chunk in response.aiter_raw()]
    return b"".join(parts).decode("utf-8", "replace")


def _split_base_url(base_url: str) -> tuple[str, dict[str, str]]:
    """``base_url`` without its query, and the query (``?api-version=...``) as SDK default params."""
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(query="", fragment="")), dict(parse_qsl(parts.query))


class OpenAIBackend:
    """An OpenAI-compatible endpoint. ``api_key`` is resolved by the caller, never logged."""

    supports_json_schema = True
    supports_logprobs = True

    def __init__(self, *, base_url: str | None, api_key: str | None, timeout: float, name: str = "openai") -> None:
        import httpx2 as httpx  # lazy, like openai; the SDK's own httpx (see bounded_transport)
        import openai

        self.name = name
        self.base_url = base_url
        self.shown_url = redact_url(base_url) or "the OpenAI API"
        self.timeout = timeout
        self._secret = api_key if api_key and len(api_key) >= 8 else None
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
        http_timeout = httpx.Timeout(timeout, connect=min(timeout, 30.0))
        self._http = httpx.AsyncClient(
            transport=BoundedTransport(httpx.AsyncHTTPTransport(limits=limits)),
            headers={"Accept-Encoding": "gzip, deflate"}, timeout=http_timeout, follow_redirects=False,
        )
        url, query = _split_base_url(base_url or DEFAULT_BASE_URL)
        self._client = openai.AsyncOpenAI(
            base_url=url, api_key=api_key or "EMPTY", organization=None, project=None,
            default_query=query or None, max_retries=0,
            timeout=cast(Any, http_timeout), http_client=cast(Any, self._http),
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
        # Lone surrogates cannot be sent as UTF-8: replaced here, as the wire would need anyway.
        body = json.loads(json.dumps(self._body(request), ensure_ascii=False, allow_nan=False)
                          .encode("utf-8", "replace"))
        loop = asyncio.get_running_loop()
        # Waiting for a pooled connection and connecting have their own httpx timeouts; from the moment
        # the request is sent, the server has `timeout` seconds in all (a trickle cannot extend it).
        # The outer bound holds even if the transport never reports sending.
        try:
            async with asyncio.timeout(loop.time() + 2 * self.timeout + 30.0) as deadline:

                async def trace(event: str, info: Any) -> None:
                    if event.endswith("send_request_headers.started"):
                        deadline.reschedule(loop.time() + self.timeout)

                token = EXCHANGE.set((body_cap(request), trace))
                try:
                    text = await self._exchange(body)
                finally:
                    EXCHANGE.reset(token)
        except TimeoutError:
            raise TransientBackendError(f"no complete answer within the timeout ({self.timeout:g} s)") from None
        return parse_answer(text)

    async def _exchange(self, body: dict[str, Any]) -> str:
        """Send one request through the SDK and read its (capped) body; every failure is classified."""
        import httpx2 as httpx
        import openai

        model, messages = body.pop("model"), body.pop("messages")
        try:
            async with self._client.chat.completions.with_streaming_response.create(
                model=model, messages=messages, extra_body=body,
            ) as response:
                return await _read(response.http_response)
        except openai.APIStatusError as e:
            detail = _error_detail(_body_text(e.response))
            self._raise_status(e.status_code, detail, e.response.headers)
        except openai.APITimeoutError:
            raise TransientBackendError("request timed out") from None
        except openai.APIConnectionError as e:
            cause = e.__cause__
            if isinstance(cause, BackendError):  # a cap or a bad encoding, raised under the SDK
                raise cause from None
            raise ConnectionFailure(f"cannot connect to {self.shown_url} ({type(cause).__name__})") from None
        except httpx.TimeoutException:  # while reading a body, outside the SDK's own wrapping
            raise TransientBackendError("request timed out") from None
        except httpx.TransportError as e:
            raise ConnectionFailure(f"cannot connect to {self.shown_url} ({type(e).__name__})") from None
        except (httpx.HTTPError, openai.OpenAIError) as e:
            raise TransientBackendError(f"the answer could not be read ({type(e).__name__})") from None
        raise AssertionError("unreachable")  # _raise_status always raises

    def _raise_status(self, status: int, detail: str, headers: Any) -> None:
        if self._secret:  # servers quote a wrong key back ("Incorrect API key provided: sk-...")
            detail = detail.replace(self._secret, "***")
        if status == 429 or status >= 500 or status == 408:
            raise TransientBackendError(f"HTTP {status}{detail}", status, _retry_after(headers))
        if status in _PERMANENT or 400 <= status < 500:
            raise PermanentBackendError(f"HTTP {status}{detail}", status)
        raise BackendError(f"HTTP {status}{detail}", status)  # 3xx: redirects are not followed

    async def aclose(self) -> None:
        await self._client.close()  # closes self._http, which the SDK was given


def _body_text(response: Any) -> str:
    """An error body the SDK has read (already cut to ERROR_BODY_CAP below it), or ''."""
    try:
        return str(response.text)
    except Exception:  # not read, or undecodable: the status alone is the message
        return ""


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
