"""A real OpenAI-compatible HTTP server on loopback, for tests, benchmarks and dry runs.

It speaks just enough of the chat-completions API (HTTP/1.1 keep-alive, JSON bodies), answers
with a deterministic responder, counts requests, and injects faults on demand: 429 with
Retry-After, 500, hangs longer than the client's timeout, and non-JSON bodies. It runs its own
asyncio loop in a background thread so synchronous tests and the CLI in a subprocess can use it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reply:
    """A responder's answer with its token logprobs: ``tokens`` is [(token, {alternative: logprob})].

    The tokens must concatenate to ``text``. Returned only when the request asks for logprobs.
    """

    text: str
    tokens: tuple[tuple[str, dict[str, float]], ...] | None = None


Responder = Callable[[dict[str, Any]], "str | Reply"]

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """A crude tokenizer (words, runs of spaces, single punctuation) that concatenates back to ``text``."""
    return _TOKEN.findall(text)


def logprob_reply(text: str, alternatives: dict[str, float], after: str = '"verdict": "') -> Reply:
    """``text`` with certain tokens, except the first token after the last ``after``, whose top
    alternatives are ``alternatives`` (token -> probability; logprobs are their logs)."""
    cut = text.rindex(after) + len(after)
    head, tail = tokenize(text[:cut]), tokenize(text[cut:])
    chosen = max(alternatives, key=lambda t: alternatives[t])
    if not tail or tail[0] != chosen:
        raise ValueError(f"the token after {after!r} must be the most likely alternative {chosen!r}")
    tokens = [(t, {t: 0.0}) for t in head]
    tokens.append((tail[0], {t: math.log(p) for t, p in alternatives.items()}))
    tokens += [(t, {t: 0.0}) for t in tail[1:]]
    return Reply(text, tuple(tokens))


def _logprobs_payload(reply: Reply, top: int) -> dict[str, Any]:
    tokens = reply.tokens if reply.tokens is not None else tuple((t, {t: 0.0}) for t in tokenize(reply.text))
    content = []
    for token, alts in tokens:
        ranked = sorted(alts.items(), key=lambda kv: -kv[1])[: max(1, top)]
        content.append({"token": token, "logprob": alts.get(token, ranked[0][1]),
                        "top_logprobs": [{"token": t, "logprob": lp} for t, lp in ranked]})
    return {"content": content}


RequestHook = Callable[[int, dict[str, Any]], None]
"""Called in the server thread with (request number, body) as each chat request arrives."""

_SECTION = re.compile(r"\[Response A\]\n(.*?)\n\n\[Response B\]\n(.*?)\n", re.S)


def _digest(obj: Any) -> int:
    return int(hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:12], 16)


def default_responder(body: dict[str, Any]) -> str:
    """Deterministic answers: generation text depends on model and prompt; the judge prefers the longer response."""
    messages = body.get("messages") or []
    last = str(messages[-1].get("content", "")) if messages else ""
    if body.get("response_format"):
        schema = body["response_format"].get("json_schema", {}).get("schema", {})
        if "score" in schema.get("properties", {}):
            return json.dumps({"reasoning": "fake grade", "score": 1 + _digest(last) % 10})
        labels = list(schema.get("properties", {}).get("verdict", {}).get("enum") or ["A", "B", "tie"])
        m = _SECTION.search(last)
        if m:
            a, b = len(m.group(1)), len(m.group(2))
            verdict = _label(labels, "A" if a > b else "B" if b > a else "tie")
        else:
            verdict = labels[_digest(last) % len(labels)]
        return json.dumps({"reasoning": "fake judge: longer is better", "verdict": verdict})
    model = str(body.get("model", ""))
    n = 1 + _digest([model, messages]) % 6
    return f"{model} says:" + " lorem" * (n + len(model) % 5) + f" ({_digest(last) % 1000})"


def _label(labels: list[str], verdict: str) -> str:
    """The protocol's own label for A / B / tie: "A>>B" and "B>>A" on a 5-point scale, "neither"."""
    if verdict in labels:
        return verdict
    if verdict == "A":
        return next(lab for lab in labels if lab.startswith("A"))
    if verdict == "B":
        return [lab for lab in labels if lab.startswith("B")][-1]
    return next((lab for lab in labels if "=" in lab or lab in ("tie", "neither", "C")), labels[len(labels) // 2])


@dataclass
class Faults:
    """Fault injection. ``rate`` of requests fail with a kind drawn from ``kinds``.

    ``max_per_request`` bounds how often the same request body fails, so retries always win.
    Besides the transient kinds, ``"auth-echo"`` answers 401 with an error message that quotes the
    caller's API key (as some real servers do): a permanent error whose text holds a secret.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "500", "timeout", "nonjson")
    seed: int = 0
    max_per_request: int = 2
    retry_after: float = 0.05
    hang_seconds: float = 2.0


@dataclass
class Counters:
    requests: int = 0
    completions: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    prompt_tokens: int = 0
    """Usage reported in successful answers (what a client is billed for)."""
    completion_tokens: int = 0
    api_keys: set[str] = field(default_factory=set)
    """Bearer tokens seen in Authorization headers."""
    usage_by_model: dict[str, list[int]] = field(default_factory=dict)
    """model id -> [prompt_tokens, completion_tokens, answers] reported in successful answers."""


class FakeOpenAIServer:
    """``with FakeOpenAIServer() as srv: srv.base_url`` -> ``http://127.0.0.1:PORT/v1``."""

    def __init__(self, responder: Responder = default_responder, latency: float = 0.0,
                 faults: Faults | None = None, host: str = "127.0.0.1", port: int = 0,
                 on_request: RequestHook | None = None) -> None:
        self.responder = responder
        self.latency = latency
        self.faults = faults or Faults()
        self.counters = Counters()
        self._host, self._port = host, port
        self._rng = random.Random(self.faults.seed)
        self._failed: Counter[int] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self.on_request = on_request
        self.down = False
        """When True, connections are accepted and closed at once (a dying endpoint)."""

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}/v1"

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(target=self._serve, name="fake-openai", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake server did not start")
        return self

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._server = loop.run_until_complete(asyncio.start_server(self._handle, self._host, self._port, backlog=1024))
        self._port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        loop.run_forever()
        self._server.close()
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP -----------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                if self.down:
                    return
                line = await reader.readline()
                if not line:
                    return
                method, path, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                status, payload, extra = await self._route(method, path.split("?", 1)[0], body, headers)
                head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'ERR'}",
                        f"Content-Length: {len(payload)}", "Content-Type: application/json"]
                head += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, asyncio.CancelledError):
            return
        finally:
            writer.close()

    async def _route(self, method: str, path: str, body: bytes,
                     headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        if method == "GET" and path.rstrip("/") in ("/health", "/v1/models"):
            return 200, json.dumps({"object": "list", "data": [{"id": "fake", "object": "model"}]}).encode(), {}
        if method != "POST" or not path.rstrip("/").endswith("/chat/completions"):
            return 404, b'{"error": {"message": "not found"}}', {}
        with self._lock:
            self.counters.requests += 1
            self.counters.in_flight += 1
            self.counters.max_in_flight = max(self.counters.max_in_flight, self.counters.in_flight)
            number = self.counters.requests
            auth = (headers or {}).get("authorization", "")
            key = auth[7:] if auth.lower().startswith("bearer ") else auth
            if key:
                self.counters.api_keys.add(key)
        try:
            request = json.loads(body)
            if self.on_request is not None:
                self.on_request(number, request)
            fault = self._draw_fault(request)
            if fault is not None:
                self.counters.faults[fault] += 1
                return await self._fault(fault, key)
            if self.latency:
                await asyncio.sleep(self.latency)
            answer = self.responder(request)
            reply = answer if isinstance(answer, Reply) else Reply(str(answer))
            text = reply.text
            prompt_tokens = sum(len(str(m.get("content", ""))) for m in request.get("messages", [])) // 4
            with self._lock:
                self.counters.completions += 1
                self.counters.prompt_tokens += prompt_tokens
                self.counters.completion_tokens += max(1, len(text) // 4)
                per_model = self.counters.usage_by_model.setdefault(str(request.get("model")), [0, 0, 0])
                per_model[0] += prompt_tokens
                per_model[1] += max(1, len(text) // 4)
                per_model[2] += 1
            out = {
                "id": f"chatcmpl-{self.counters.requests}", "object": "chat.completion", "created": int(time.time()),
                "model": request.get("model"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text},
                             "logprobs": _logprobs_payload(reply, int(request.get("top_logprobs") or 1))
                             if request.get("logprobs") else None}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": max(1, len(text) // 4),
                          "total_tokens": prompt_tokens + max(1, len(text) // 4)},
            }
            return 200, json.dumps(out).encode(), {}
        finally:
            with self._lock:
                self.counters.in_flight -= 1

    def _draw_fault(self, request: dict[str, Any]) -> str | None:
        f = self.faults
        if f.rate <= 0:
            return None
        key = _digest(request)
        with self._lock:
            if self._failed[key] >= f.max_per_request or self._rng.random() >= f.rate:
                return None
            self._failed[key] += 1
            return self._rng.choice(f.kinds)

    async def _fault(self, kind: str, api_key: str = "") -> tuple[int, bytes, dict[str, str]]:
        if kind == "auth-echo":
            message = f"Incorrect API key provided: {api_key}. You can find your API key in your account."
            return 401, json.dumps({"error": {"message": message, "code": "invalid_api_key"}}).encode(), {}
        if kind == "429":
            return 429, b'{"error": {"message": "rate limited"}}', {"Retry-After": str(self.faults.retry_after)}
        if kind == "500":
            return 500, b'{"error": {"message": "internal error"}}', {}
        if kind == "timeout":
            await asyncio.sleep(self.faults.hang_seconds)
            return 504, b'{"error": {"message": "too slow"}}', {}
        return 200, b"<html>this is not json</html>", {}


def main(argv: list[str] | None = None) -> None:
    """``python -m judgebench.testing.openai_server --latency 0.2``: serve in the foreground (its own
    process, so a benchmark's client and server do not share a GIL); prints the base URL, then
    serves until stdin closes or the process is killed."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--latency", type=float, default=0.0, help="Seconds each answer waits.")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    with FakeOpenAIServer(latency=args.latency, port=args.port) as srv:
        print(srv.base_url, flush=True)
        sys.stdin.read()
        print(json.dumps({"requests": srv.counters.requests, "max_in_flight": srv.counters.max_in_flight}),
              flush=True)


if __name__ == "__main__":  # pragma: no cover
    main()
