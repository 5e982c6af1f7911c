"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp, Ollama, TGI) via the official client.

The client's own retries are off (``max_retries=0``): the package has one retry policy
(:mod:`judgebench.retry`), and this module only classifies failures into
transient / permanent / connection errors by exception type and HTTP status.
"""

from __future__ import annotations

import json
import math
from typing import Any

from judgebench.backends.base import (
    BackendError,
    ConnectionFailure,
    PermanentBackendError,
    TransientBackendError,
)
from judgebench.records import Completion, CompletionRequest, TokenLogprobs, Usage

_PERMANENT = {400, 401, 403, 404, 405, 409, 413, 422}


def _retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header, if present and numeric."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            return None
    return None


def _parse_body(text: str) -> Completion:
    """Build a Completion from a raw chat-completions body; malformed bodies are transient."""
    try:
        body = json.loads(text)
        choice = body["choices"][0]
        message = choice.get("message") or {}
        content = message.get("content")
        if content is None:
            content = ""
        usage = body.get("usage") or {}
        logprobs = None
        lp = choice.get("logprobs")
        if lp and lp.get("content"):
            logprobs = tuple(
                TokenLogprobs(
                    token=item.get("token", ""),
                    top={t["token"]: float(t["logprob"]) for t in (item.get("top_logprobs") or [])
                         if t.get("logprob") is not None and math.isfinite(float(t["logprob"]))},
                )
                for item in lp["content"]
            )
        return Completion(
            text=str(content),
            usage=Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)),
            finish_reason=choice.get("finish_reason"),
            logprobs=logprobs,
        )
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
        raise TransientBackendError(f"malformed response body ({type(e).__name__}): {text[:120]!r}") from None


class OpenAIBackend:
    """An OpenAI-compatible endpoint. ``api_key`` is resolved by the caller, never logged."""

    supports_json_schema = True
    supports_logprobs = True

    def __init__(self, *, base_url: str | None, api_key: str | None, timeout: float, name: str = "openai") -> None:
        from openai import AsyncOpenAI  # lazy: keeps `import judgebench` light

        self.name = name
        self.base_url = base_url
        self._secret = api_key if api_key and len(api_key) >= 8 else None
        self._client = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "EMPTY",
            timeout=timeout,
            max_retries=0,
        )

    async def complete(self, request: CompletionRequest) -> Completion:
        import openai

        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": [m.to_openai() for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.top_p is not None:
            kwargs["top_p"] = request.top_p
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.stop:
            kwargs["stop"] = list(request.stop)
        if request.json_schema is not None:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.json_schema, "strict": True},
            }
        if request.top_logprobs:
            kwargs["logprobs"] = True
            kwargs["top_logprobs"] = request.top_logprobs
        if request.extra_body:
            kwargs["extra_body"] = dict(request.extra_body)
        try:
            raw = await self._client.chat.completions.with_raw_response.create(**kwargs)
            text = raw.http_response.text
        except openai.APITimeoutError:
            raise TransientBackendError("request timed out") from None
        except openai.APIConnectionError as e:
            cause = e.__cause__ or e
            raise ConnectionFailure(f"cannot connect to {self.base_url or 'the OpenAI API'} ({type(cause).__name__})") from None
        except openai.APIStatusError as e:
            status = e.status_code
            detail = _error_detail(e)
            if self._secret:  # servers quote a wrong key back ("Incorrect API key provided: sk-...")
                detail = detail.replace(self._secret, "***")
            if status == 429 or status >= 500 or status == 408:
                raise TransientBackendError(f"HTTP {status}{detail}", status, _retry_after(e.response.headers)) from None
            if status in _PERMANENT or 400 <= status < 500:
                raise PermanentBackendError(f"HTTP {status}{detail}", status) from None
            raise BackendError(f"HTTP {status}{detail}", status) from None
        except openai.APIResponseValidationError as e:
            raise TransientBackendError(f"malformed response ({e.message[:80]})") from None
        return _parse_body(text)

    async def aclose(self) -> None:
        await self._client.close()


def _error_detail(e: Any) -> str:
    """A short server-provided reason, if the body carried one (never the request or its headers)."""
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        msg = body.get("message") or (body.get("error") or {}).get("message") if isinstance(body.get("error"), dict) else body.get("message")
        if msg:
            return f": {str(msg)[:200]}"
    return ""
