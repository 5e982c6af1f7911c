"""A hostile OpenAI-compatible endpoint on loopback: what an endpoint we do not control can do.

Every chat request it *targets* (generation requests, judge requests, or both) gets one hostile
answer, chosen by ``mode`` (see :data:`MODES`): a body trickled one byte at a time, a hang, an
oversized or gzip-bomb body, lone surrogates, absurd usage numbers, wrong JSON shapes, huge
Retry-After values. Other requests get the ordinary answers of
:func:`judgebench.testing.openai_server.default_responder`, so a run can get past the stage that
is not under attack.

It is built to be safe to leave in a test suite: it binds 127.0.0.1 only, reads at most 64 KiB of
headers and 16 MiB of request body, serves at most ``max_connections`` connections at once, and
stops itself after ``lifetime`` seconds whatever the client does. Connections it was still
trickling or hanging on when its lifetime ran out are counted in ``outlived``: a client with
bounded waits leaves none (it gives up first, counted in ``gave_up``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from judgebench.testing.openai_server import default_responder

MODES = {
    "trickle": "200 with a Content-Length of 100 MB, then one byte every `interval` seconds",
    "hang": "reads the request, never answers",
    "oversized": "a valid answer whose content is `size` bytes",
    "gzip-bomb": "Content-Encoding: gzip, ~0.5 MB that inflates to `bomb_mb` MB",
    "error-bomb": "HTTP 500 whose gzip body inflates to `bomb_mb` MB",
    "surrogates": "content with lone surrogates (\\ud800, \\udfff) as JSON escapes",
    "invalid-utf8": "content bytes that are not UTF-8",
    "usage-inf": "usage.prompt_tokens: 1e999 (infinity once parsed)",
    "usage-huge": "usage.prompt_tokens: 10**30",
    "usage-negative": "usage.completion_tokens: -5",
    "usage-string": 'usage.prompt_tokens: "12"',
    "usage-list": "usage: [1, 2]",
    "content-parts": 'content as a list of parts [{"type": "text", "text": ...}] (normalised)',
    "content-number": "content: 42",
    "content-object": 'content: {"text": ...}',
    "message-string": 'message: "..."',
    "choices-object": "choices: {...} (not a list)",
    "choices-empty": "choices: []",
    "body-list": "a JSON list as the body",
    "body-null": "null as the body",
    "deep-json": "a body nested 100,000 levels deep",
    "not-json": "an HTML page with status 200",
    "retry-after-huge": "429 with Retry-After: 1000000000",
    "retry-after-nan": "429 with Retry-After: nan",
}

NORMALISED = {"surrogates", "invalid-utf8", "content-parts"}
"""Modes whose answers are stored (cleaned up); every other mode ends as error rows."""


@dataclass
class Counts:
    requests: int = 0
    hostile: int = 0
    answered: int = 0
    gave_up: int = 0
    """Trickled or hung connections the client closed before the server's lifetime ended."""
    outlived: int = 0
    """Trickled or hung connections still open when the lifetime ran out (an unbounded client)."""
    bytes_sent: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)


@functools.lru_cache(maxsize=2)
def gzip_bomb(megabytes: int) -> bytes:
    """A gzip stream of a JSON-looking prefix plus ``megabytes`` MB of spaces (~1 KB per MB)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [z.compress(b'{"choices": [{"message": {"content": "')]
    block = b" " * (1 << 20)
    parts += [z.compress(block) for _ in range(megabytes)]
    parts.append(z.compress(b'"}}]}'))
    parts.append(z.flush())
    return b"".join(parts)


def _completion(content: Any, usage: Any = None, *, raw_content: str | None = None) -> bytes:
    usage = usage if usage is not None else {"prompt_tokens": 10, "completion_tokens": 5}
    body = {"id": "x", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": usage}
    text = json.dumps(body)
    if raw_content is not None:  # splice JSON the json module will not write (escapes, numbers)
        text = text.replace(json.dumps(content), raw_content, 1)
    return text.encode()


class HostileServer:
    """``with HostileServer("trickle") as srv: srv.base_url`` -> ``http://127.0.0.1:PORT/v1``."""

    def __init__(self, mode: str, *, target: str = "generate", lifetime: float = 120.0, interval: float = 0.2,
                 size: int = 4 << 20, bomb_mb: int = 500, max_connections: int = 64) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
        if target not in ("generate", "judge", "all"):
            raise ValueError("target is generate, judge or all")
        self.mode, self.target, self.lifetime, self.interval = mode, target, lifetime, interval
        self.size, self.bomb_mb = size, bomb_mb
        self.counts = Counts()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._expired: asyncio.Event | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"

    # -- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> HostileServer:
        if self.mode in ("gzip-bomb", "error-bomb"):
            gzip_bomb(self.bomb_mb)  # built before serving, so no request waits on it
        self._thread = threading.Thread(target=self._serve, name=f"hostile-{self.mode}", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("hostile server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._expire)
        if self._thread is not None:
            self._thread.join(30)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._expired = asyncio.Event()
        server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self._port = server.sockets[0].getsockname()[1]
        loop.call_later(self.lifetime, self._expire)
        self._ready.set()
        loop.run_until_complete(self._expired.wait())
        server.close()
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

    def _expire(self) -> None:
        assert self._expired is not None
        self._expired.set()

    # -- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._slots.acquire(blocking=False):
            writer.close()
            return
        try:
            while True:
                request = await self._read(reader)
                if request is None:
                    return
                method, path, body = request
                if method == "GET":
                    await self._send(writer, 200, b'{"object": "list", "data": []}')
                    continue
                if not path.rstrip("/").endswith("/chat/completions"):
                    await self._send(writer, 404, b'{"error": {"message": "not found"}}')
                    continue
                with self._lock:
                    self.counts.requests += 1
                is_judge = bool(body.get("response_format")) or "[Response A]" in json.dumps(body)
                if self.target == "all" or (self.target == "judge") == is_judge:
                    with self._lock:
                        self.counts.hostile += 1
                        self.counts.by_kind["judge" if is_judge else "generate"] += 1
                    if not await self._hostile(reader, writer, body):
                        return
                else:
                    with self._lock:
                        self.counts.answered += 1
                    await self._send(writer, 200, _completion(str(default_responder(body))))
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            self._slots.release()
            writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> tuple[str, str, dict[str, Any]] | None:
        line = await reader.readline()
        if not line:
            return None
        method, path, _ = line.decode("latin-1").split(" ", 2)
        length = 0
        total = 0
        while True:
            h = await reader.readline()
            total += len(h)
            if total > 64 << 10:
                raise ValueError("headers too long")
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            if k.strip().lower() == "content-length":
                length = int(v.strip() or 0)
        if length > 16 << 20:
            raise ValueError("request too large")
        raw = await reader.readexactly(length)
        return method, path, (json.loads(raw) if raw else {})

    async def _send(self, writer: asyncio.StreamWriter, status: int, payload: bytes,
                    headers: dict[str, str] | None = None) -> None:
        head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'ERR'}", f"Content-Length: {len(payload)}",
                "Content-Type: application/json", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        await writer.drain()
        with self._lock:
            self.counts.bytes_sent += len(payload)

    async def _until_client_leaves(self, reader: asyncio.StreamReader) -> None:
        """Wait for the client to close the connection, or for the lifetime to end."""
        assert self._expired is not None
        eof = asyncio.ensure_future(reader.read())
        expired = asyncio.ensure_future(self._expired.wait())
        done, _ = await asyncio.wait({eof, expired}, return_when=asyncio.FIRST_COMPLETED)
        for t in (eof, expired):
            t.cancel()
        with self._lock:
            if eof in done:
                self.counts.gave_up += 1
            else:
                self.counts.outlived += 1

    async def _hostile(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: dict[str, Any]) -> bool:
        """Answer one request in the hostile way; False when the connection must end."""
        mode = self.mode
        assert self._expired is not None
        if mode == "hang":
            await self._until_client_leaves(reader)
            return False
        if mode == "trickle":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{")
            try:
                while not self._expired.is_set():
                    await writer.drain()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._expired.wait(), self.interval)
                    if reader.at_eof() or writer.is_closing():
                        raise ConnectionResetError
                    writer.write(b" ")
                    with self._lock:
                        self.counts.bytes_sent += 1
                with self._lock:
                    self.counts.outlived += 1
            except ConnectionError:
                with self._lock:
                    self.counts.gave_up += 1
            return False
        if mode in ("gzip-bomb", "error-bomb"):
            bomb = gzip_bomb(self.bomb_mb)
            await self._send(writer, 200 if mode == "gzip-bomb" else 500, bomb, {"Content-Encoding": "gzip"})
            return True
        if mode == "oversized":
            await self._send(writer, 200, _completion("x" * self.size))
            return True
        if mode in ("retry-after-huge", "retry-after-nan"):
            value = "1000000000" if mode == "retry-after-huge" else "nan"
            await self._send(writer, 429, b'{"error": {"message": "slow down"}}', {"Retry-After": value})
            return True
        await self._send(writer, 200, self._shaped(mode, body))
        return True

    def _shaped(self, mode: str, body: dict[str, Any]) -> bytes:
        text = str(default_responder(body))
        good = {"prompt_tokens": 10, "completion_tokens": 5}
        if mode == "surrogates":
            return _completion("S", raw_content=json.dumps(text)[:-1] + ' \\ud800 lone \\udfff"')
        if mode == "invalid-utf8":
            return _completion("@@", raw_content='"@@"').replace(b"@@", text.encode() + b" caf\xe9 \xff\xfe")
        if mode == "usage-inf":
            return _completion(text).replace(b'"prompt_tokens": 10', b'"prompt_tokens": 1e999')
        if mode == "usage-huge":
            return _completion(text, good | {"prompt_tokens": 10**30})
        if mode == "usage-negative":
            return _completion(text, good | {"completion_tokens": -5})
        if mode == "usage-string":
            return _completion(text, good | {"prompt_tokens": "12"})
        if mode == "usage-list":
            return _completion(text, [1, 2])
        if mode == "content-parts":
            return _completion([{"type": "text", "text": text[: len(text) // 2]},
                                {"type": "text", "text": text[len(text) // 2:]}])
        if mode == "content-number":
            return _completion(42)
        if mode == "content-object":
            return _completion({"text": text})
        if mode == "message-string":
            return json.dumps({"choices": [{"message": text}]}).encode()
        if mode == "choices-object":
            return json.dumps({"choices": {"0": {"message": {"content": text}}}}).encode()
        if mode == "choices-empty":
            return json.dumps({"choices": []}).encode()
        if mode == "body-list":
            return json.dumps([{"choices": [{"message": {"content": text}}]}]).encode()
        if mode == "body-null":
            return b"null"
        if mode == "deep-json":
            return b"[" * 100_000 + b"]" * 100_000
        if mode == "not-json":
            return b"<html><body>502 Bad Gateway</body></html>"
        raise AssertionError(mode)
