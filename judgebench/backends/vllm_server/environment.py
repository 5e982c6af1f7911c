"""The server's environment and what must never be shown: secrets stay out of its env, argv and log."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

from judgebench.config import ServerOptions

# Defaults for the child's environment; values the user set (process env or suite) win.
DEFAULT_ENV = {"VLLM_CPU_KVCACHE_SPACE": "2", "HF_HUB_OFFLINE": "1"}
# Hub tokens stay: a GPU user may serve a gated repo id. Other secrets never reach the server.
_PASSTHROUGH_SECRETS = frozenset({"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"})
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH", re.IGNORECASE)
_SECRET_FLAGS = frozenset({"--api-key"})


def server_env(options: ServerOptions, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ``base`` (default os.environ) without secrets, plus the suite's
    ``env``, plus :data:`DEFAULT_ENV` where unset. The server never needs an API key, and what it
    does not have it cannot log."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if not _is_secret_name(k) or k in _PASSTHROUGH_SECRETS}
    env.update(options.env)
    for k, v in DEFAULT_ENV.items():
        env.setdefault(k, v)
    return env


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret value in ``text`` with ``***``."""
    for s in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(s, "***")
    return text


def secret_values(env: Mapping[str, str], args: Sequence[str] = ()) -> list[str]:
    """Values that must never be shown: secret-named env vars and ``--api-key`` arguments."""
    found = [v for k, v in env.items() if _is_secret_name(k) and len(v) >= 6]
    for i, a in enumerate(args):
        if a in _SECRET_FLAGS and i + 1 < len(args):
            found.append(args[i + 1])
        elif "=" in a and a.split("=", 1)[0] in _SECRET_FLAGS:
            found.append(a.split("=", 1)[1])
    return found


def _is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))
