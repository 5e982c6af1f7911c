"""Stand-in for ``python -m vllm.entrypoints.openai.api_server`` in unit tests.

Accepts the command line judgebench builds, serves ``/health``, ``/v1/models`` and
``/v1/chat/completions`` on the given host/port, and misbehaves on request through env vars:

* ``FAKE_VLLM_MODE``: ``ok`` (default), ``never_healthy`` (health answers 503), ``crash`` (exits 3
  at start), ``ignore_term`` (ignores SIGTERM, so only SIGKILL stops it).
* ``FAKE_VLLM_CHILD=1``: spawn a child process in the same group, like vLLM's engine core.
* ``FAKE_VLLM_ECHO_ENV=A,B``: print those variables' values to the log.
* ``FAKE_VLLM_EVENTS=PATH``: append a JSON line when the server is up (``start``, with its argv and
  ``CUDA_VISIBLE_DEVICES``) and when SIGTERM stops it (``stop``), so tests can tell which servers
  were alive together.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--served-model-name", required=True)
    p.add_argument("--enable-lora", action="store_true")
    p.add_argument("--lora-modules", nargs="+", default=[])
    p.add_argument("--max-loras", type=int)
    p.add_argument("--max-lora-rank", type=int)
    p.add_argument("--dtype")
    p.add_argument("--max-model-len", type=int)
    p.add_argument("--tensor-parallel-size", type=int)
    p.add_argument("--gpu-memory-utilization", type=float)
    p.add_argument("--enforce-eager", action="store_true")
    args, unknown = p.parse_known_args()
    args.unknown = unknown
    return args


def main() -> None:
    args = parse()
    mode = os.environ.get("FAKE_VLLM_MODE", "ok")
    print(f"fake vllm: starting {args.served_model_name} from {args.model}", flush=True)
    print(f"fake vllm: argv {json.dumps(sys.argv[1:])}", flush=True)
    for name in filter(None, os.environ.get("FAKE_VLLM_ECHO_ENV", "").split(",")):
        print(f"fake vllm: env {name}={os.environ.get(name)}", flush=True)
    if mode == "crash":
        print("fake vllm: RuntimeError: cannot load the checkpoint", flush=True)
        sys.exit(3)
    events = os.environ.get("FAKE_VLLM_EVENTS")

    def event(kind: str) -> None:
        if events:
            line = {"event": kind, "name": args.served_model_name, "model": args.model, "pid": os.getpid(),
                    "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"), "argv": sys.argv[1:], "t": time.time()}
            with open(events, "a") as fh:
                fh.write(json.dumps(line) + "\n")

    if mode == "ignore_term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    elif events:
        def on_term(signum: int, frame: object) -> None:
            event("stop")
            os._exit(0)

        signal.signal(signal.SIGTERM, on_term)
    if os.environ.get("FAKE_VLLM_CHILD") == "1":
        child = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(3600)\n"
        if mode != "ignore_term":
            child = "import time\ntime.sleep(3600)\n"
        subprocess.Popen([sys.executable, "-c", child])
    names = [args.served_model_name] + [m.split("=", 1)[0] for m in args.lora_modules]

    class Handler(BaseHTTPRequestHandler):
        def _send(self, code: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/health":
                self._send(503 if mode == "never_healthy" else 200, {})
            elif self.path == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": n, "object": "model"} for n in names]})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": "not found"})
            elif body.get("model") not in names:
                self._send(404, {"error": f"model {body.get('model')} does not exist"})
            else:
                text = f"{body['model']} answers: {body['messages'][-1]['content']}"
                self._send(
                    200,
                    {
                        "id": "fake",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": text},
                            }
                        ],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
                    },
                )

        def log_message(self, format: str, *a: object) -> None:
            print("fake vllm: " + format % a, flush=True)

    class Server(ThreadingHTTPServer):
        # vLLM's uvicorn listens with a backlog of 2048; http.server's 5 makes the kernel reset
        # connections when a stage opens dozens at once on a loaded machine (ReadError in tests).
        request_queue_size = 1024
        daemon_threads = True

    server = Server((args.host, args.port), Handler)
    event("start")
    print(f"fake vllm: listening on {args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
