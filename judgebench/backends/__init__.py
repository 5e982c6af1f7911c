"""Backends: one async method, ``complete(request) -> Completion``; everything else is attributes."""

from judgebench.backends.base import (
    Backend,
    BackendError,
    ConnectionFailure,
    PermanentBackendError,
    TransientBackendError,
)

__all__ = ["Backend", "BackendError", "ConnectionFailure", "PermanentBackendError", "TransientBackendError"]
