"""Part of a fake `vllm` package for tests (see api_server.py)."""
